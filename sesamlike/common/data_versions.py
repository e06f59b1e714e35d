"""Data versions: numbers that move whenever data that pages show changes.

Triggers (migrations 0024, 0025) add a row to `patient_data_changes` for each
statement that writes a patient's prescriptions, orders, order lines or lent
devices, and one to `catalogue_changes` for each transaction that writes
articles, in the writing transaction. A patient's version is the number of
their rows: every committed writer adds at least one, so a reader that sees the
number also sees the data it stands for, and a later commit always moves it.
The app adds such rows itself (`note_patients`) for what the pages show of a
patient that no trigger sees: their care relationships and the name and
address of a clinic caring for them (`patients.models`).
Adding a row locks nothing another writer waits for (a counter row raised in
place did: jobs and reorders of the same patients waited for, and could
deadlock on, each other). What is built from the data can be kept under the
versions (`portal.kept`) and is good until one moves. Likewise (migration
0043) a row in `patient_grouping_changes` for each transaction that changes a
patient's birth date or diabetes type: the follow-up report's kept figures
(`followup.stored_figures`) are good until `GROUPING_VERSION` moves.

`prune` empties the logs each night and raises the generation ('pruned' in
`data_versions`), which every key holds too: numbers that start again from 0
match no key made before.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import sqlalchemy as sa
from flask import g, has_app_context

from sesamlike.common.models import (
    CatalogueChange,
    DataVersion,
    PatientDataChange,
    PatientGroupingChange,
)
from sesamlike.common.transaction_ends import WROTE
from sesamlike.extensions import db

PRUNED = "pruned"
# SQLite's triggers skip while this row exists (written and deleted inside the
# suspending transaction); PostgreSQL's read a transaction-local setting.
_SUSPENDED_ROW = "suspended"
_SUSPENDED_SETTING = "sesamlike.data_versions_suspended"

# The tables whose rows move their patient's version, each with a trigger per
# event (migrations 0024, 0025).
PATIENT_TABLES = ("prescriptions", "orders", "order_lines", "devices")
_PATIENT_TRIGGERS = [
    f"{table}_bump_{event}"
    for table in PATIENT_TABLES
    for event in ("insert", "update", "delete")
]


def _patient_version(patient_id: sa.ColumnElement[int]) -> sa.Select:
    return (
        sa.select(sa.func.count())
        .select_from(PatientDataChange)
        .where(PatientDataChange.patient_id == patient_id)
    )


PATIENT_VERSION = _patient_version(sa.bindparam("patient_id"))
CATALOGUE_VERSION = sa.select(sa.func.count()).select_from(CatalogueChange)


def _counter(name: str) -> sa.Select:
    """A counter of data_versions (no row: none yet)."""
    return sa.select(DataVersion.version).where(DataVersion.name == name)


GENERATION = _counter(PRUNED)
# The version of what the follow-up report groups patients by (birth date,
# diabetes type; migration 0043): the changes `prune` has emptied (counted in
# data_versions) and those since, in one snapshot. Not the generation: the
# nightly prune leaves the sum as it was, so the report's figures the nightly
# run warmed stay kept through it.
GROUPINGS_PRUNED = "grouping_changes_pruned"
GROUPING_VERSION = sa.select(
    sa.func.coalesce(_counter(GROUPINGS_PRUNED).scalar_subquery(), 0)
    + sa.select(sa.func.count()).select_from(PatientGroupingChange).scalar_subquery()
)
_REMEMBERED = "sesamlike_data_versions"


def _versions(patient_id: sa.ColumnElement[int]) -> list[sa.ColumnElement]:
    """(generation, catalogue, patient) of the patient `patient_id` names."""
    return [
        sa.func.coalesce(GENERATION.scalar_subquery(), 0),
        CATALOGUE_VERSION.scalar_subquery(),
        _patient_version(patient_id).scalar_subquery(),
    ]


# The three in one statement, so in one snapshot.
VERSIONS = sa.select(*_versions(sa.bindparam("patient_id")))


def beside(patient_id: sa.ColumnElement[int]) -> list[sa.ColumnElement]:
    """`VERSIONS`' columns for the patient an outer statement names, to read
    in that statement (None where it names none, and then not read at all):
    the login reads a patient login's own versions with the patient's record
    (`accounts.sessions.load_beside`), and the patient's "my aids" asks the
    database one statement fewer. Only a request for "my aids" reads them
    there (`security.init_app`): three lookups by index and a count of the
    catalogue's changes of the day (`prune` empties that log each night)."""
    named = patient_id.is_not(None)
    return [sa.case((named, column)) for column in _versions(patient_id)]


def remember(patient_id: int, versions: tuple) -> None:
    """Versions read (`beside`) in this request's transaction, for
    `of_patient` while that transaction has written nothing."""
    if has_app_context():
        transaction = db.session().get_transaction()
        g.setdefault(_REMEMBERED, {})[patient_id] = (transaction, tuple(versions))


def of_patient(patient_id: int) -> tuple:
    """(generation, catalogue, patient): as `remember` kept them, if they were
    read in this transaction and it has written nothing since (else a page
    could be looked up under versions older than its own write); else read
    now. Read before anything built under them."""
    remembered = g.get(_REMEMBERED, {}) if has_app_context() else {}
    transaction, versions = remembered.get(patient_id, (None, None))
    session = db.session()
    if (
        versions is not None
        and transaction is not None
        and transaction is session.get_transaction()
        and not (session.new or session.dirty or session.deleted)
        and not session.connection().info.get(WROTE)
    ):
        return versions
    return tuple(db.session.execute(VERSIONS, {"patient_id": patient_id}).one())


def not_suspended(connection: sa.Connection) -> sa.ColumnElement[bool]:
    """True unless `suspended` is on in the connection's transaction, tested
    as the triggers test it (migration 0025), for a bump written from Python
    (`note_patients`) to honour it within its own one statement."""
    if connection.dialect.name == "postgresql":
        setting = sa.func.current_setting(_SUSPENDED_SETTING, sa.true())
        return sa.func.coalesce(setting, "") != "on"
    return ~sa.exists().where(DataVersion.name == _SUSPENDED_ROW)


def note_patients(connection: sa.Connection, patient_ids: sa.Select) -> None:
    """Move the version of each patient `patient_ids` selects (one column, a
    patient as often as wanted), as the triggers do: in one statement, in the
    writing transaction, and not while `suspended`."""
    connection.execute(
        sa.insert(PatientDataChange.__table__).from_select(
            ["patient_id"], patient_ids.where(not_suspended(connection))
        )
    )


# Add n to a counter (made at n when missing).
_ADD = sa.text(
    "INSERT INTO data_versions (name, version) VALUES (:name, :n) "
    "ON CONFLICT (name) DO UPDATE SET version = data_versions.version + :n"
)


def prune(now: datetime | None = None) -> dict[str, int]:
    """The nightly job: empty the logs and raise the generation, in one
    transaction (rows of writers not yet committed stay, and count after).
    The grouping changes emptied are added to their count in data_versions,
    so `GROUPING_VERSION` stays as it was."""
    counts = {
        "patient_changes": db.session.execute(sa.delete(PatientDataChange)).rowcount,
        "catalogue_changes": db.session.execute(sa.delete(CatalogueChange)).rowcount,
        "grouping_changes": db.session.execute(
            sa.delete(PatientGroupingChange)
        ).rowcount,
    }
    if counts["grouping_changes"]:
        emptied = {"name": GROUPINGS_PRUNED, "n": counts["grouping_changes"]}
        db.session.execute(_ADD, emptied)
    db.session.execute(_ADD, {"name": PRUNED, "n": 1})
    db.session.commit()
    return counts


@contextmanager
def suspended(connection: sa.Connection) -> Iterator[None]:
    """No counter moves for what this transaction writes inside the block.

    Only for writers of rows no page has been built from: `demo generate`,
    which writes the history of patients it creates in the same transaction.
    Ends with the block or, at the latest, with the transaction (a failed load
    leaves nothing suspended).
    """
    if connection.dialect.name == "postgresql":
        switch = sa.text("SELECT set_config(:name, :value, true)")
        connection.execute(switch, {"name": _SUSPENDED_SETTING, "value": "on"})
        try:
            yield
        finally:
            _end(connection, switch, {"name": _SUSPENDED_SETTING, "value": ""})
        return
    table = DataVersion.__table__
    connection.execute(sa.insert(table).values(name=_SUSPENDED_ROW, version=0))
    try:
        yield
    finally:
        # Also when the block fails: a caller that went on to commit would
        # otherwise leave every bump off.
        _end(connection, sa.delete(table).where(table.c.name == _SUSPENDED_ROW))


def _end(connection: sa.Connection, statement, params=None) -> None:
    """End a suspension; in a transaction the database has already failed
    (PostgreSQL), nothing can be committed, and the error that failed it is
    the one to raise."""
    try:
        connection.execute(statement, params)
    except sa.exc.DBAPIError:
        if not connection.in_transaction() or connection.dialect.name == "sqlite":
            raise


@contextmanager
def left_out(connection: sa.Connection) -> Iterator[None]:
    """`suspended`, for a bulk load in one transaction: on PostgreSQL the
    patients' triggers are dropped and made again at the end, as
    `common.bulk.deferred_indexes` does with indexes (and a rollback brings
    them back). A suspended statement trigger still has PostgreSQL keep every
    row written in its transition table: about a fifth more time for a COPY of
    two million lines; a dropped one costs nothing. Takes the tables' ACCESS
    EXCLUSIVE lock until the commit: only for a load that locks them anyway.
    """
    if connection.dialect.name != "postgresql":
        with suspended(connection):
            yield
        return
    triggers = connection.execute(
        sa.text("SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(oid) "
                "FROM pg_trigger WHERE NOT tgisinternal "
                "AND tgname = ANY(CAST(:names AS text[])) ORDER BY tgname"),
        {"names": _PATIENT_TRIGGERS},
    ).all()  # fmt: skip
    for table, name, _definition in triggers:
        connection.exec_driver_sql(f'DROP TRIGGER "{name}" ON {table}')
    yield
    for _table, _name, definition in triggers:
        connection.exec_driver_sql(definition)
