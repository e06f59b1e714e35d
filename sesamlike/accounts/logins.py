"""Checking a username and password, and the lock after too many failures.

Every attempt costs the same whether the username exists or not: an unknown
username is checked against a dummy hash made the same way, and counts towards
a lock just like a known one. So neither the time of the answer nor the lock
tells which usernames exist. The lock lives in the database (`login_failures`),
shared by every worker, and `users unlock USERNAME` lifts it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache

import sqlalchemy as sa
from flask import current_app
from limits import parse as parse_limit
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from sesamlike.accounts import usernames
from sesamlike.accounts.models import LoginFailure, User
from sesamlike.common.time import stored_utc, utcnow
from sesamlike.extensions import db

KEY_LENGTH = 80


class LoginLocked(Exception):
    """Too many failed logins for this username: the page answers 429."""


def _dummy_hash() -> str:
    """A hash made like real ones (the app's method), for unknown usernames."""
    return _dummy_hash_by(current_app.config.get("PASSWORD_HASH_METHOD", "scrypt"))


@cache
def _dummy_hash_by(method: str) -> str:
    return generate_password_hash(
        "no such user: the same work as a real check", method=method
    )


def login_key(username: str) -> str:
    """The lock's key: one per account, as `usernames.find` reads a name."""
    return username.strip().lower()[:KEY_LENGTH]


def _policy() -> tuple[int, timedelta]:
    """Failures allowed and the window (and lock) from LOGIN_FAILURES_PER_ACCOUNT."""
    limit = parse_limit(current_app.config["LOGIN_FAILURES_PER_ACCOUNT"])
    return limit.amount, timedelta(seconds=limit.get_expiry())


def authenticate(username: str, password: str) -> User | None:
    """The active user these credentials name, else None; LoginLocked when locked.

    Once locked, even the right password waits until the lock ends (or an admin
    runs `users unlock`).
    """
    now = utcnow()
    key = login_key(username)
    # The same account whatever the case typed, as the lock's key is.
    user = usernames.find(username)
    right = check_password_hash(
        user.password_hash if user is not None else _dummy_hash(), password
    )
    failure = db.session.get(LoginFailure, key)
    if failure is not None and (stored_utc(failure.locked_until) or now) > now:
        db.session.rollback()
        raise LoginLocked()
    if right and user is not None and user.active:
        if failure is not None:
            db.session.delete(failure)
        user.last_login_at = now
        db.session.commit()
        return user
    _count_failure(key, failure, now)
    return None


def _count_failure(key: str, failure: LoginFailure | None, now: datetime) -> None:
    allowed, window = _policy()
    if failure is None or stored_utc(failure.first_failed_at) + window <= now:
        if failure is None:
            failure = LoginFailure(username_key=key)
            db.session.add(failure)
        failure.failures, failure.first_failed_at, failure.locked_until = 0, now, None
    failure.failures += 1
    if failure.failures >= allowed:
        failure.locked_until = now + window
    try:
        db.session.commit()
    except IntegrityError:  # a parallel failure for the same name counted first
        db.session.rollback()


def unlock(username: str) -> bool:
    """Lift the lock (and forget the failures) of a username; True if it had one."""
    removed = db.session.execute(
        sa.delete(LoginFailure).where(LoginFailure.username_key == login_key(username))
    ).rowcount
    db.session.commit()
    return bool(removed)


def purge_failures(now: datetime, keep: timedelta = timedelta(days=1)) -> int:
    """Forget old failures and ended locks; how many rows."""
    cutoff = now - keep
    return db.session.execute(
        sa.delete(LoginFailure)
        .where(
            LoginFailure.first_failed_at < cutoff,
            sa.or_(
                LoginFailure.locked_until.is_(None), LoginFailure.locked_until < now
            ),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
