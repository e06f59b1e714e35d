"""One-time password links: a new account's first password and a reset.

The link is mailed, never shown: it sets a password under the password policy,
works once and expires after PASSWORD_LINK_HOURS; a newer link ends the older
ones. Only the token's hash is stored.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa

from sesamlike.accounts import audit, errors, logins, services, sessions
from sesamlike.accounts.models import LoginFailure, PasswordLink, User
from sesamlike.common.i18n import N_, Plural, _, written_in
from sesamlike.common.mail import MailKind, queue_mail
from sesamlike.common.time import stored_utc, utcnow
from sesamlike.extensions import db

PASSWORD_LINK_HOURS = 48

FIRST_SUBJECT = N_("Ditt konto i Sesamlike")
FIRST_OPENING = N_(
    "Ett konto har skapats åt dig i Sesamlike med användarnamnet {username}."
)
RESET_SUBJECT = N_("Välj ett nytt lösenord i Sesamlike")
RESET_OPENING = N_(
    "Ett nytt lösenord har begärts för ditt konto {username} i Sesamlike."
)
ASKED_OPENING = N_(
    "Du har bett om ett nytt lösenord för ditt konto {username} i Sesamlike."
)
BODY = Plural(
    "Hej!\n\n{opening}\n\n"
    "Välj ditt lösenord här (länken fungerar en gång och i {hours} timme):\n"
    "{url}\n\n"
    "Har du inte väntat dig det här? Kontakta regionens IT-förvaltning.\n",
    "Hej!\n\n{opening}\n\n"
    "Välj ditt lösenord här (länken fungerar en gång och i {hours} timmar):\n"
    "{url}\n\n"
    "Har du inte väntat dig det här? Kontakta regionens IT-förvaltning.\n",
    count="hours",
)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def send(
    admin: User | None,
    user: User,
    link_url: Callable[[str], str],
    *,
    first: bool,
    asked_by_user: bool = False,
) -> None:
    """Mail `user` a new link (`first`: for a new account); older links stop
    working. `admin` None: the user asked for it (`forgotten_password`)."""
    now = utcnow()
    # An older unused link stops working: only the newest mail counts.
    db.session.execute(
        sa.update(PasswordLink)
        .where(PasswordLink.user_id == user.id, PasswordLink.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    token = secrets.token_urlsafe(32)
    link = PasswordLink(
        user_id=user.id,
        token_hash=_hash(token),
        created_at=now,
        expires_at=now + timedelta(hours=PASSWORD_LINK_HOURS),
        created_by_id=admin.id if admin else None,
    )
    db.session.add(link)
    db.session.flush()
    url = link_url(token)
    opening = RESET_OPENING if not asked_by_user else ASKED_OPENING
    # In the language the user chose at their login; a new account's: Swedish.
    with written_in(user.locale):
        subject = _(FIRST_SUBJECT if first else RESET_SUBJECT)
        body = _(
            BODY,
            opening=_(FIRST_OPENING if first else opening, username=user.username),
            hours=PASSWORD_LINK_HOURS,
            url=url,
        )
    queue_mail(
        user.email, subject, body, MailKind.PASSWORD_LINK, f"password_link:{link.id}"
    )
    detail = f"{user.username} (asked at the login page)" if asked_by_user else None
    audit.record_on_login(
        "password_link_sent", user, user=admin, detail=detail or user.username
    )


def link_user(token: str) -> User:
    """The account a link is for, while it is unused and unexpired."""
    link = _open_link(token)
    return link.user


def _open_link(token: str) -> PasswordLink:
    link = db.session.scalar(
        sa.select(PasswordLink).where(PasswordLink.token_hash == _hash(token or ""))
    )
    if (
        link is None
        or link.used_at is not None
        or stored_utc(link.expires_at) <= utcnow()
        or not link.user.active
    ):
        raise errors.PasswordLinkInvalid()
    return link


def set_password_by_link(token: str, password: str, repeated: str) -> User:
    """Set a password through a link: once, before expiry, under the policy.

    Every web session and API token of the account ends (a reset is for a
    password lost, or known to someone else), and a login lock is lifted. Two
    requests with the same link at once: the first to claim it sets the
    password, the other is refused.
    """
    link = _open_link(token)
    user = link.user
    if password != repeated:
        raise errors.PasswordsDiffer(fields={"repeated": [N_("Skiljer sig.")]})
    services.check_password_policy(password, user.username)
    claimed = db.session.execute(
        sa.update(PasswordLink)
        .where(PasswordLink.id == link.id, PasswordLink.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        raise errors.PasswordLinkInvalid()
    user.set_password(password)
    sessions.end_all(user.id)
    services.revoke_all_tokens(user.id)
    db.session.execute(
        sa.delete(LoginFailure).where(
            LoginFailure.username_key == logins.login_key(user.username)
        )
    )
    audit.record_on_login("password_set", user, user=user, detail=user.username)
    db.session.commit()
    return user
