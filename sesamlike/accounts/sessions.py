"""Web sessions kept on the server, so logout and deactivation really end them.

Flask's signed cookie carries a random session key next to Flask-Login's user
id; the database keeps the SHA-256 of that key in `user_sessions`. Every request
with a cookie asks the table again (one indexed read), so:

- logging out ends the row: a copy of the same cookie is refused from then on;
- `users deactivate` ends every row of that user at once, on every worker;
- a session idle longer than SESSION_IDLE_MINUTES is ended on the server too,
  whatever the cookie says.

`last_seen_at` is written at most once a minute per session, at the start of the
request, before any use case has written anything; the cookie is signed and sent
again then (and when the session changes), not on every request.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask, current_app, g, request, session
from flask_login import current_user

from sesamlike.accounts.models import NO_CLINIC_ROLES, User, UserSession
from sesamlike.common.time import stored_utc, utcnow
from sesamlike.extensions import db

SESSION_KEY = "session_key"
TOUCH_EVERY = timedelta(minutes=1)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start(user: User) -> UserSession:
    """A new server-side session for a user who just logged in (not committed)."""
    key = secrets.token_urlsafe(32)
    started = UserSession(user_id=user.id, key_hash=_hash(key))
    db.session.add(started)
    session[SESSION_KEY] = key
    return started


def ended_session_id(user: User, key: str | None) -> int | None:
    """The id of the session with this cookie key, if it was this user's."""
    if not key:
        return None
    return db.session.scalar(
        sa.select(UserSession.id).where(
            UserSession.key_hash == _hash(key), UserSession.user_id == user.id
        )
    )


def end_current() -> None:
    """End the session the cookie names (not committed)."""
    key = session.get(SESSION_KEY)
    if key:
        db.session.execute(
            sa.update(UserSession)
            .where(UserSession.key_hash == _hash(key), UserSession.ended_at.is_(None))
            .values(ended_at=utcnow())
        )


def end_all(user_id: int, now: datetime | None = None) -> int:
    """End every open session of a user (not committed); how many."""
    return db.session.execute(
        sa.update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
        .values(ended_at=now or utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount


# Built once: every request asks it (a statement built anew costs more than the
# query; SQLAlchemy's compiled cache then only fills in the values). The
# session row comes as its two columns, not as an entity: building and
# tracking a second object cost more than the rest of the lookup.
def _session_user() -> sa.Select:
    return (
        sa.select(User, UserSession.id, UserSession.last_seen_at)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            UserSession.key_hash == sa.bindparam("key_hash"),
            UserSession.ended_at.is_(None),
            User.id == sa.bindparam("user_id"),
            User.active.is_(True),
        )
    )


@dataclass(frozen=True)
class _Beside:
    """What `load_beside` registered: the login's statement without and with
    the columns, who gets what it read, and which requests want the columns."""

    plain: sa.Select
    with_columns: sa.Select
    loaded: Callable[..., None]
    wanted: Callable[[], bool] | None


_SESSION_USER = _session_user()  # with nothing beside it
_BESIDE: _Beside | None = None


def load_beside(entity, onclause, loaded: Callable[..., None], *columns,
                wanted: Callable[[], bool] | None = None):  # fmt: skip
    """Read `entity` outer-joined on `onclause` in the same statement as the
    login, and `columns` (which may name it) where `wanted()` says this
    request uses them (always without `wanted`); hand them (None where none
    matched) with the user to `loaded`: `loaded(user, entity, *columns)`, or
    `loaded(user, entity)` where the columns were not read.

    For the rows a higher area reads first on the requests of a role: a
    patient login's own record (`patients.access.remember_own`), which every
    portal page reads, and its data versions, which "my aids" alone reads
    next; found by unique indexes, they cost the other roles' lookups next
    to nothing, and each such request a statement fewer.
    Registered once at app start (`security.init_app`).
    """
    global _BESIDE
    joined = _session_user().add_columns(entity).outerjoin(entity, onclause)
    _BESIDE = _Beside(joined, joined.add_columns(*columns), loaded, wanted)


def user_for_session(user_id: str) -> User | None:
    """Flask-Login's user loader: the user, if the cookie's session is still open."""
    key = session.get(SESSION_KEY)
    if not key or not str(user_id).isdecimal():
        return None
    beside = _BESIDE
    statement = _SESSION_USER
    if beside is not None:
        wanted = beside.wanted is None or beside.wanted()
        statement = beside.with_columns if wanted else beside.plain
    found = db.session.execute(
        statement, {"key_hash": _hash(key), "user_id": int(user_id)}
    ).first()
    if found is None:
        return None
    user, session_id, last_seen_at, *read_beside = found
    now = utcnow()
    last_seen = stored_utc(last_seen_at)
    idle = timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])
    if now - last_seen > idle:
        _touch(session_id, ended_at=now)
        g.session_ran_out = True  # the login page says why (`views.unauthorized`)
        g.ran_out_session_id = session_id  # a form sent with it is kept for later
        return None
    g.user_session_id = session_id  # `kept_forms` finds what this login kept
    if now - last_seen > TOUCH_EVERY:
        _touch(session_id, last_seen_at=now)
        session.modified = True  # the cookie's lifetime starts again too
    if user.role not in NO_CLINIC_ROLES:
        # Staff: their clinics now (every audit row names the acting clinic),
        # not in the lookup: joined there, they cost every portal request too.
        user.clinics  # noqa: B018
    if beside is not None:
        beside.loaded(user, *read_beside)
    return user


def _touch(session_id: int, **values) -> None:
    """End or touch the session row, committed at once (before any use case)."""
    db.session.execute(
        sa.update(UserSession)
        .where(UserSession.id == session_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def purge_ended(now: datetime, keep_days: int = 30) -> int:
    """Remove sessions ended (or idle) more than `keep_days` ago; how many."""
    cutoff = now - timedelta(days=keep_days)
    return db.session.execute(
        sa.delete(UserSession)
        .where(sa.or_(UserSession.ended_at < cutoff, UserSession.last_seen_at < cutoff))
        .execution_options(synchronize_session=False)
    ).rowcount


def init_app(app: Flask) -> None:
    # The signed cookie is re-sent when its session changes, and when the
    # server's session is touched (at most once a minute, above): its lifetime
    # (the idle timeout) then runs from the same moment as the server's. Not on
    # every request: signing and sending an unchanged cookie costs CPU each time.
    app.config["SESSION_REFRESH_EACH_REQUEST"] = False

    @app.before_request
    def check_session():
        # Ask the sessions table first thing, before any use case writes, so
        # an ended session is anonymous for the whole request.
        if request.path.startswith(("/api/", "/static/")):
            return
        if session.get("_user_id") is not None:
            current_user._get_current_object()
