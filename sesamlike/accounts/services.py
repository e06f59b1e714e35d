"""Use cases for users, clinics, API tokens and ending a login's access.

Checking a password at login, and the lock after failures: `accounts.logins`.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import timedelta

import sqlalchemy as sa
from zxcvbn import zxcvbn

from sesamlike.accounts import errors, sessions, usernames
from sesamlike.accounts.models import ApiToken, Clinic, Role, User
from sesamlike.common.i18n import N_
from sesamlike.common.time import utcnow
from sesamlike.extensions import db

MIN_PASSWORD_LENGTH = 12
# zxcvbn's score 0-4: 3 is "safely unguessable" (about 10^8 guesses and more).
MIN_PASSWORD_SCORE = 3
TOKEN_DAYS = 90
MAX_TOKEN_DAYS = 3650
# The commonest choices that still pass the length rule.
COMMON_PASSWORDS = frozenset(
    {
        "123456789012",
        "password1234",
        "qwertyuiopas",
        "lösenord1234",
        "losenord1234",
        "sommar123456",
        "hejsan123456",
        "111111111111",
        "abcdefghijkl",
    }
)


def check_password_policy(password: str, username: str) -> None:
    """At least 12 characters, not the username, not guessable.

    Guessable is what zxcvbn (Dropbox's estimator: common passwords, keyboard
    patterns, repeats, dictionary words, dates) scores below 3, and a short list
    of Swedish favourites.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise errors.PasswordTooShort(
            n=MIN_PASSWORD_LENGTH, fields={"password": [N_("För kort.")]}
        )
    lowered = password.lower()
    if len(username) >= 3 and username.lower() in lowered:
        raise errors.PasswordContainsUsername(
            fields={"password": [N_("Innehåller användarnamnet.")]}
        )
    if (
        lowered in COMMON_PASSWORDS
        or len(set(password)) < 4
        or zxcvbn(password[:100], user_inputs=[username])["score"] < MIN_PASSWORD_SCORE
    ):
        raise errors.PasswordTooCommon(fields={"password": [N_("För lätt att gissa.")]})


# The widths of Clinic's and User's columns: SQLite keeps none, PostgreSQL
# refuses more.
CLINIC_CODE_MAX, CLINIC_NAME_MAX, COST_CENTRE_MAX = 20, 120, 20
USERNAME_MAX = 80


def create_clinic(
    code: str, name: str, cost_centre: str, *, commit: bool = True, **extra
) -> Clinic:
    code, name, cost_centre = code.strip(), name.strip(), cost_centre.strip()
    if not code or not name or not cost_centre:
        raise errors.ClinicDetailsRequired()
    if (
        len(code) > CLINIC_CODE_MAX
        or len(name) > CLINIC_NAME_MAX
        or len(cost_centre) > COST_CENTRE_MAX
    ):
        raise errors.ClinicDetailsTooLong(
            code_max=CLINIC_CODE_MAX,
            name_max=CLINIC_NAME_MAX,
            cost_centre_max=COST_CENTRE_MAX,
        )
    if db.session.scalar(sa.select(Clinic.id).where(Clinic.code == code)):
        raise errors.ClinicExists(code=code)
    clinic = Clinic(code=code, name=name, cost_centre=cost_centre, **extra)
    db.session.add(clinic)
    if commit:
        db.session.commit()
    return clinic


def clinic_by_code(code: str) -> Clinic:
    clinic = db.session.scalar(sa.select(Clinic).where(Clinic.code == code))
    if clinic is None:
        raise errors.UnknownClinic(code=code)
    return clinic


def create_user(
    username: str,
    password: str,
    role: str,
    *,
    clinic_codes: Iterable[str] = (),
    display_name: str = "",
    email: str | None = None,
    first_time_prescriber: bool = False,
    commit: bool = True,
) -> User:
    """Create a login. Patients and guardians are linked to patients separately."""
    username = username.strip()
    if role not in set(Role):
        raise errors.UnknownRole(role=role)
    if not username:
        raise errors.UsernameRequired()
    if len(username) > USERNAME_MAX:  # the column's width (users create)
        raise errors.UsernameTooLong()
    if not usernames.USERNAME_PATTERN.fullmatch(username):  # as the admin's page
        raise errors.UsernameCharacters()
    if usernames.is_identity_number(username):
        raise errors.UsernameIdentityNumber()
    check_password_policy(password, username)
    if (taken := usernames.refusal_if_taken(username)) is not None:
        raise taken
    clinics = [clinic_by_code(code) for code in clinic_codes]
    if role in (Role.PRESCRIBER, Role.MANAGER) and not clinics:
        raise errors.ClinicRequired()
    user = User(
        username=username,
        role=role,
        display_name=display_name or username,
        email=email,
        first_time_prescriber=first_time_prescriber and role == Role.PRESCRIBER,
        clinics=clinics,
    )
    user.set_password(password)
    db.session.add(user)
    if commit:
        db.session.commit()
    return user


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def user_named(username: str) -> User:
    """The account a typed username names, whatever its case."""
    user = usernames.find(username)
    if user is None:
        raise errors.UnknownUser(username=username)
    return user


def issue_token(username: str, days: int = TOKEN_DAYS) -> str:
    """Create a bearer token that works for `days` days; only its hash is stored."""
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise errors.TokenDaysOutOfRange(
            max=MAX_TOKEN_DAYS, fields={"days": [N_("Fel antal.")]}
        )
    user = user_named(username)
    if not user.active:
        raise errors.AccountDeactivated(username=username)
    token = secrets.token_urlsafe(32)
    db.session.add(
        ApiToken(
            user_id=user.id,
            token_hash=_hash_token(token),
            expires_at=utcnow() + timedelta(days=days),
        )
    )
    db.session.commit()
    return token


def user_for_token(token: str) -> User | None:
    """The active user of a token that has neither expired nor been revoked."""
    now = utcnow()
    row = db.session.scalar(
        sa.select(ApiToken).where(
            ApiToken.token_hash == _hash_token(token),
            ApiToken.revoked_at.is_(None),
            ApiToken.expires_at > now,
        )
    )
    if row is None or not row.user.active:
        return None
    row.last_used_at = now
    return row.user


def revoke_tokens(username: str) -> int:
    """Every API token of the user stops working now; how many were open."""
    user = user_named(username)
    count = revoke_all_tokens(user.id)
    db.session.commit()
    return count


def deactivate(username: str) -> tuple[int, int]:
    """The login, its web sessions and its tokens stop working at once.

    Returns (sessions ended, tokens revoked). Nothing is deleted.
    """
    user = user_named(username)
    user.active = False
    ended = sessions.end_all(user.id)
    revoked = revoke_all_tokens(user.id)
    db.session.commit()
    return ended, revoked


def revoke_all_tokens(user_id: int) -> int:
    """Revoke every open API token of the user (not committed); how many."""
    return db.session.execute(
        sa.update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
