"""Usernames are one regardless of case: "SSK.NORR" is the login "ssk.norr".

A login, the lock after failed logins (`logins.login_key`), the admin's
lookups and the command line all read a typed username this way, and no new
account may take a name that differs from an existing one only in case.

Accounts made before this rule may still differ only in case (nothing is
renamed or deleted): each keeps logging in with its own spelling, and a
spelling that matches neither exactly names no account.
"""

from __future__ import annotations

import re
import zlib

import sqlalchemy as sa

from sesamlike.accounts import errors
from sesamlike.accounts.models import User
from sesamlike.extensions import db

# A username is typed at every login: letters a-z, digits, dot, hyphen,
# underscore, and @ for a region that logs staff in by e-mail address. Only
# a-z, as SQLite's lower() folds no other letter (`_same_name`).
USERNAME_PATTERN = re.compile(r"[A-Za-z0-9._@-]+")
# A Swedish identity number (personnummer or samordningsnummer: 10 or 12
# digits, with or without - or +) is no username: a username stands in the
# admin's lists and their search (in the URL), the audit log and the mail that
# opens the account, and the admin sees no patient's identity (domain.md).
_IDENTITY_NUMBER = re.compile(r"(?:\d{2})?\d{6}[-+]?\d{4}")


def is_identity_number(username: str) -> bool:
    """Whether `username` has the shape of a personnummer or samordningsnummer."""
    return _IDENTITY_NUMBER.fullmatch(username) is not None


# One PostgreSQL advisory lock for "a new username is being taken", so that
# two accounts differing only in case cannot be created at the same moment.
_NEW_USERNAME_LOCK = zlib.crc32(b"sesamlike:new-username")


def _same_name(typed: str) -> sa.ColumnElement[bool]:
    # The exact spelling too: SQLite's lower() folds only A-Z, so a name
    # with other letters is still found as typed.
    return sa.or_(User.username == typed, sa.func.lower(User.username) == typed.lower())


def find(username: str | None) -> User | None:
    """The account this typed username names, whatever its case; None if none
    (or if it matches only several older accounts that differ only in case)."""
    typed = (username or "").strip()
    if not typed:
        return None
    users = db.session.scalars(sa.select(User).where(_same_name(typed))).all()
    exact = [user for user in users if user.username == typed]
    if exact:
        return exact[0]
    return users[0] if len(users) == 1 else None


def taken_by(username: str) -> str | None:
    """The existing username that this one would duplicate, ignoring case.

    On PostgreSQL this also takes a lock held until the caller's commit, so a
    concurrent creation of the same name in other case waits and then sees it.
    """
    typed = username.strip()
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(_NEW_USERNAME_LOCK)))
    return db.session.scalar(
        sa.select(User.username).where(_same_name(typed)).order_by(User.id).limit(1)
    )


def refusal_if_taken(username: str) -> errors.UsernameTaken | None:
    """The refusal of a new account named like an existing one, else None."""
    existing = taken_by(username)
    if existing is None:
        return None
    if existing == username.strip():
        return errors.UsernameTaken(username=existing)
    return errors.UsernameTakenInOtherCase(username=existing)
