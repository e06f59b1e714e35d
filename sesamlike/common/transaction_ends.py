"""A request's transaction that only read ends with COMMIT, not ROLLBACK.

psycopg forgets every statement it has prepared on the connection whenever a
transaction rolls back (it sends DEALLOCATE ALL: one prepared inside it might
be gone), and it prepares a statement only from its fifth run on. Nearly every
page reads something after its last commit (a list with no audit row, a
template's lazy load), and the session's end rolled that back: the statements
a worker sends again and again (the login's, the patient's, "my aids") were
parsed and planned afresh for five runs after each such page, and prepared
again, only to be dropped by the next.

For a transaction that wrote nothing, COMMIT and ROLLBACK leave the database
the same, and both release its locks. So at the end of a request without an
error, a transaction that sent only plain SELECTs since it began, holds no
unflushed change and has nothing its commit would write (`writes_at_commit`:
audit rows waiting in the session) is committed; any other (a write, a failure,
DDL, a statement that is not a SELECT) is left to roll back as before. A commit
of only reads that fails here is rolled back and logged: nothing was lost.

The one thing such a commit may write is what a key registers as surviving a
rollback: the audit rows of the request's reads. A page answered 422 (a form
shown again with its errors) or after a refused write has shown the patient's
data it read; the read's audit row waited for a commit that never came, and was
dropped with the rollback at the request's end. Now a transaction that only
read commits those rows before its response leaves (`after_request`), and
`rollback_keeping_reads` rolls back a refused write but keeps the rows of the
reads made before it. A commit of audit rows that fails is raised, so the page
becomes the error page: no patient data goes out whose reading was not logged.
On both databases: the audit log may not depend on the driver.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, g

from sesamlike.common.request_logs import mask_personal_data
from sesamlike.extensions import db

WROTE = "sesamlike_wrote"  # connection.info: sent something but a SELECT
# session.info keys of rows a before_commit hook writes (`writes_at_commit`),
# each with which of its rows a rollback spares.
_WRITTEN_AT_COMMIT: dict[str, Callable[[Any], bool]] = {}

log = logging.getLogger(__name__)
mask_personal_data(log)  # its tracebacks: no personnummer or name


def _never(_row: Any) -> bool:
    return False


def writes_at_commit(
    key: str, survives_rollback: Callable[[Any], bool] = _never
) -> None:
    """Rows kept under session.info[key] are written when the session commits
    (accounts.audit's waiting rows). A transaction holding one that does not
    survive a rollback has not only read, and is left to roll back; rows that
    survive one (the record of a read, which happened whatever came after)
    are committed at the request's end, and kept by `rollback_keeping_reads`."""
    _WRITTEN_AT_COMMIT[key] = survives_rollback


def rollback_keeping_reads() -> None:
    """Roll back what the request began (a refused write), but the rows that
    survive a rollback (the audit rows of the reads before it) wait for the
    next commit again: the page shows what was read."""
    session = db.session()
    kept = {
        key: [row for row in session.info.get(key, ()) if survives(row)]
        for key, survives in _WRITTEN_AT_COMMIT.items()
    }
    session.rollback()
    for key, rows in kept.items():
        if rows:
            session.info.setdefault(key, []).extend(rows)


def init_app(app: Flask, engine: sa.Engine) -> None:
    @sa.event.listens_for(engine, "begin")
    def _began(connection) -> None:
        connection.info.pop(WROTE, None)

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _sent(connection, _cursor, statement, *_args, **_kwargs) -> None:
        if not _only_reads(statement):
            connection.info[WROTE] = True

    @app.before_request
    def _note_open() -> None:
        # A transaction already open (a test's app context shared with its
        # requests) is its owner's to end.
        g.sesamlike_open_before = db.session().in_transaction()

    @app.after_request
    def _end(response: Response) -> Response:
        # Not a server error's page: its handler has rolled back already.
        if response.status_code < 500 and not g.get("sesamlike_open_before", True):
            commit_if_only_read()
        return response


def _only_reads(statement: str) -> bool:
    """A plain SELECT (locking or not): no data-changing CTE can hide in it,
    as one may behind WITH."""
    return statement.lstrip()[:6].upper() == "SELECT"


def commit_if_only_read() -> bool:
    """Commit the session's transaction if it only read (and, with it, the
    audit rows of its reads); whether it did."""
    session = db.session()
    waiting = False
    for key, survives in _WRITTEN_AT_COMMIT.items():
        rows = session.info.get(key) or ()
        if not all(survives(row) for row in rows):
            return False
        waiting = waiting or bool(rows)
    if not session.in_transaction():
        if not waiting:
            return False
    elif session.get_nested_transaction() is not None:
        return False
    elif session.new or session.dirty or session.deleted:
        return False
    elif session.connection().info.get(WROTE):
        return False
    try:
        session.commit()
    except sa.exc.SQLAlchemyError:
        session.rollback()
        if waiting:  # the reads would go unlogged: the page must not go out
            raise
        log.exception("Committing a transaction that only read failed")
        return False
    return True
