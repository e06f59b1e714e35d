"""A password forgotten: the user asks for a one-time link on the login page,
by username or e-mail address, rather than waiting for the region's admin (a
parent with a child's sensors to reorder at night).

The answer is the same whether an account was found or not, so nobody learns
which usernames or addresses exist. A link (`password_links`, as an admin's
reset) goes to an active account with an e-mail address, never to an admin's:
a mailbox taken over must not give anyone the region's administration, and
an admin's reset stays another admin's. At most one link every RESEND_MINUTES
per account: nobody floods a mailbox by asking again and again (the page is
limited per address too, as the login is).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa

from sesamlike.accounts import password_links
from sesamlike.accounts.models import PasswordLink, Role, User
from sesamlike.common.time import utcnow
from sesamlike.extensions import db

RESEND_MINUTES = 10
# An address shared by a few logins (a parent's own and a child's) gets a link
# for each; no more than this many.
MAX_ACCOUNTS = 5
MAX_LENGTH = 254


def request_link(identifier: str | None, link_url: Callable[[str], str]) -> int:
    """Mail a link to each account the username or address names; how many
    were sent (the page says the same whatever it is). Commits."""
    text = (identifier or "").strip()
    if not text or len(text) > MAX_LENGTH:
        return 0
    lowered = text.lower()
    accounts = db.session.scalars(
        sa.select(User)
        .where(
            User.active.is_(True),
            User.email.is_not(None),
            User.email != "",
            User.role != Role.ADMIN,
            sa.or_(
                sa.func.lower(User.username) == lowered,
                sa.func.lower(User.email) == lowered,
            ),
        )
        .order_by(User.id)
        .limit(MAX_ACCOUNTS)
    ).all()
    sent = 0
    for user in accounts:
        if _linked_lately(user):
            continue
        password_links.send(None, user, link_url, first=False, asked_by_user=True)
        sent += 1
    db.session.commit()
    return sent


def _linked_lately(user: User) -> bool:
    since = utcnow() - timedelta(minutes=RESEND_MINUTES)
    return (
        db.session.scalar(
            sa.select(PasswordLink.id)
            .where(PasswordLink.user_id == user.id, PasswordLink.created_at > since)
            .limit(1)
        )
        is not None
    )
