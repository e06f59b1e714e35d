"""A password forgotten: the user asks for a one-time link on the login page,
by username or e-mail address, rather than waiting for the region's admin (a
parent with a child's sensors to reorder at night).

The answer is the same whether an account was found or not, so nobody learns
which usernames or addresses exist. A link (`password_links`, as an admin's
reset) goes only to an active patient's or guardian's account with an e-mail
address (NO_CLINIC_ROLES), never to staff's: prescribers, clinic managers, the
aids centre's and the region's staff read patients' data, and a mailbox taken
over must not open their accounts (nor an admin's: the region's
administration). Staff are reset by the region's admin, and the answer says
so. An e-mail address finds an account only when it is the address of one
account alone: a parent's address on a child's own login as well as the
parent's names neither (the username does).
At most one link every RESEND_MINUTES and DAILY_LINKS a day per account, so
nobody floods a mailbox by asking again and again (the page is limited per
address too, as the login is).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa

from sesamlike.accounts import password_links
from sesamlike.accounts.models import NO_CLINIC_ROLES, PasswordLink, User
from sesamlike.common.time import utcnow
from sesamlike.extensions import db

RESEND_MINUTES = 10
DAILY_LINKS = 3
MAX_LENGTH = 254


def request_link(identifier: str | None, link_url: Callable[[str], str]) -> int:
    """Mail a link to the account the username or address names; how many
    were sent, 0 or 1 (the page says the same whatever it is). Commits."""
    text = (identifier or "").strip()
    if not text or len(text) > MAX_LENGTH:
        return 0
    user = _account(text.lower())
    if user is None or _linked_lately(user):
        return 0
    password_links.send(None, user, link_url, first=False, asked_by_user=True)
    db.session.commit()
    return 1


def _account(lowered: str) -> User | None:
    """The active patient's or guardian's account with an address to mail that
    the username names, else the one account alone that has the address."""
    by_name = db.session.scalar(
        sa.select(User).where(sa.func.lower(User.username) == lowered)
    )
    if by_name is not None and _mailable(by_name):
        return by_name
    # Every account with the address, mailable or not: two share it, none is named.
    found = db.session.scalars(
        sa.select(User).where(sa.func.lower(User.email) == lowered).limit(2)
    ).all()
    return found[0] if len(found) == 1 and _mailable(found[0]) else None


def _mailable(user: User) -> bool:
    """A portal account only: staff's (and admins') are reset by an admin."""
    return bool(user.active and user.email and user.role in NO_CLINIC_ROLES)


def _linked_lately(user: User) -> bool:
    """A link sent within RESEND_MINUTES, or DAILY_LINKS within a day."""
    now = utcnow()
    made = sa.select(sa.func.count(PasswordLink.id)).where(
        PasswordLink.user_id == user.id
    )
    recent = db.session.scalar(
        made.where(PasswordLink.created_at > now - timedelta(minutes=RESEND_MINUTES))
    )
    today = db.session.scalar(
        made.where(PasswordLink.created_at > now - timedelta(days=1))
    )
    return bool(recent) or today >= DAILY_LINKS
