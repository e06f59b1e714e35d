"""The admin's use cases on accounts: list, create, change, deactivate, unlock,
and mailing the one-time password link (`password_links`).

No password is ever chosen by the admin, shown on a page or mailed: a new account
and a reset both get a link by mail that sets a password. Every change writes an
audit row (object type "user"), and deactivation ends the account's web sessions
and API tokens at once.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from sesamlike.accounts import account_details as details
from sesamlike.accounts import (
    audit,
    email_change,
    errors,
    logins,
    password_links,
    services,
)
from sesamlike.accounts.models import (
    Clinic,
    LoginFailure,
    Role,
    User,
)
from sesamlike.accounts.staff import PORTAL_ROLES
from sesamlike.common.errors import DomainError, Forbidden, NotVisible
from sesamlike.common.i18n import N_
from sesamlike.common.time import stored_utc, utcnow
from sesamlike.extensions import db

PAGE_SIZE = 50


@dataclass(frozen=True)
class AccountShown:
    """An account as the admin's pages show it. A hidden one, the login of a
    patient or of a guardian (`identifies_patient`), has no name or e-mail
    here: they would say who the patient is, which an admin has no need to
    know (domain.md); the admin's patient pages show patients by id only."""

    id: int
    username: str
    role: str
    display_name: str | None
    email: str | None
    clinics: list[Clinic]
    first_time_prescriber: bool
    active: bool
    last_login_at: datetime | None
    created_at: datetime
    hidden: bool


def identifies_patient(user: User) -> bool:
    """A patient's or guardian's login: its name and e-mail say who the patient is."""
    return user.role in PORTAL_ROLES


def shown(user: User) -> AccountShown:
    hidden = identifies_patient(user)
    return AccountShown(
        user.id, user.username, user.role,
        None if hidden else user.display_name, None if hidden else user.email,
        list(user.clinics), user.first_time_prescriber, user.active,
        user.last_login_at, user.created_at, hidden,
    )  # fmt: skip


@dataclass(frozen=True)
class UserPage:
    users: list[AccountShown]
    total: int
    page: int
    pages: int
    locked: set[str]


def _require_admin(admin: User) -> None:
    if admin.role != Role.ADMIN:
        raise Forbidden()


def search(admin: User, text: str, role: str | None, page: int) -> UserPage:
    """Accounts whose username, name or e-mail contains the text; paged. A
    patient's or guardian's login is found by its username only."""
    _require_admin(admin)
    query = sa.select(User)
    needle = text.strip().lower()[:80]
    if needle:
        like = f"%{needle}%"
        query = query.where(
            sa.or_(
                sa.func.lower(User.username).like(like),
                sa.and_(
                    User.role.not_in(PORTAL_ROLES),
                    sa.or_(
                        sa.func.lower(User.display_name).like(like),
                        sa.func.lower(sa.func.coalesce(User.email, "")).like(like),
                    ),
                ),
            )
        )
    if role in set(Role):
        query = query.where(User.role == role)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(page, pages)
    users = list(
        db.session.scalars(
            query.options(selectinload(User.clinics))
            .order_by(User.username)
            .limit(PAGE_SIZE)
            .offset((page - 1) * PAGE_SIZE)
        )
    )
    return UserPage(
        [shown(u) for u in users], total, page, pages, locked_usernames(users)
    )


def locked_usernames(users: Iterable[User | AccountShown]) -> set[str]:
    """Which of these usernames are locked after failed logins right now."""
    keys = {logins.login_key(u.username): u.username for u in users}
    if not keys:
        return set()
    now = utcnow()
    return {
        keys[row.username_key]
        for row in db.session.scalars(
            sa.select(LoginFailure).where(LoginFailure.username_key.in_(keys))
        )
        if row.locked_until is not None and stored_utc(row.locked_until) > now
    }


def account(admin: User, user_id: int) -> User:
    _require_admin(admin)
    user = db.session.get(User, user_id)
    if user is None:
        raise NotVisible()
    return user


def account_shown(admin: User, user_id: int) -> AccountShown:
    """An account for its page, as `shown`."""
    return shown(account(admin, user_id))


def account_summary(user: User) -> str:
    clinics = ",".join(sorted(c.code for c in user.clinics)) or "-"
    first = " nyförskrivning" if user.first_time_prescriber else ""
    return f"{user.username}: {user.role} {clinics}{first}"


def create(
    admin: User,
    *,
    username: str,
    role: str,
    clinic_codes: Iterable[str],
    display_name: str,
    email: str | None,
    first_time_prescriber: bool,
    link_url: Callable[[str], str],
    link_to_patient: Callable[[User], None] | None = None,
    address_refusal: Callable[[str], DomainError | None] | None = None,
) -> User:
    """A new account; its first password is set through a mailed one-time link.

    A patient or guardian login is made from the patient's page only: its
    `link_to_patient` ties it to the patient before anything is stored, and
    `address_refusal` says why a well-formed address may not have the link
    (among the other faults, all at once)."""
    _require_admin(admin)
    username = (username or "").strip()
    display_name = (display_name or "").strip()
    if (role in PORTAL_ROLES) != (link_to_patient is not None):
        raise errors.PortalAccountsByCli()
    refusals, clinics, address = details.new_account_refusals(
        username, role, clinic_codes, first_time_prescriber, display_name, email
    )
    if address is not None and address_refusal is not None:
        refusals += [r for r in [address_refusal(address)] if r is not None]
    details.raise_all(refusals, errors.AccountInvalid)
    user = User(
        username=username,
        role=role,
        display_name=display_name or username,
        email=address,
        first_time_prescriber=bool(first_time_prescriber),
        clinics=clinics,
    )
    # Nobody knows this password: the user sets their own through the link.
    user.set_password(secrets.token_urlsafe(32))
    db.session.add(user)
    db.session.flush()
    if link_to_patient is not None:
        link_to_patient(user)
    # Not in the patient's access log: the tie writes its own row there
    # (login_create, guardian_add).
    audit.record(
        "user_create", "user", patient_id=None, object_id=user.id, user=admin,
        detail=account_summary(user),
    )  # fmt: skip
    password_links.send(admin, user, link_url, first=True)
    db.session.commit()
    return user


def update(
    admin: User,
    user_id: int,
    *,
    role: str,
    clinic_codes: Iterable[str],
    display_name: str,
    email: str | None,
    first_time_prescriber: bool,
) -> User:
    """Change role, clinics, first-time right, name or e-mail of an account.

    A patient's or guardian's login keeps its name and e-mail: the admin
    neither sees them (`identifies_patient`) nor may change them, or the
    password link could be sent to an address of the admin's choosing. A
    staff account's old address is told when its e-mail changes.
    """
    user = account(admin, user_id)
    display_name = (display_name or "").strip()
    if identifies_patient(user):
        given = {"display_name": display_name, "email": (email or "").strip()}
        if any(given.values()):
            message = N_("Kan inte ändras av en administratör.")
            raise errors.PortalLoginDetails(
                fields={name: [message] for name, value in given.items() if value}
            )
        display_name, address = user.display_name, user.email
        refusals, clinics = details.role_refusals(
            role, clinic_codes, first_time_prescriber
        )
    else:
        # A staff account is held to a new one's rules: a blank name became
        # the username, and the reset link needs the e-mail address.
        refusals, clinics, address = details.details_refusals(
            role, clinic_codes, first_time_prescriber, display_name, email
        )
    details.raise_all(refusals, errors.AccountChangeInvalid)
    if (role in PORTAL_ROLES) != identifies_patient(user):
        raise errors.RoleChangeAcrossPortal(
            fields={"role": [N_("Välj en annan roll.")]}
        )
    if user.id == admin.id and role != Role.ADMIN:
        raise errors.OwnAdminRole(fields={"role": [N_("Välj en annan roll.")]})
    before = account_summary(user)
    if user.email and not same_address(user.email, address):
        email_change.tell_old_address(user, user.email)
    user.role = role
    user.clinics = clinics
    user.display_name = display_name[: details.NAME_MAX] or user.username
    user.email = address
    user.first_time_prescriber = bool(first_time_prescriber)
    after = account_summary(user)
    audit_account(admin, "user_update", user, f"{before} -> {after.split(': ', 1)[1]}")
    db.session.commit()
    return user


def deactivate(admin: User, user_id: int) -> tuple[int, int]:
    """The login, its web sessions and API tokens stop at once; (ended, revoked)."""
    user = account(admin, user_id)
    if user.id == admin.id:
        raise errors.OwnAccount()
    if not user.active:
        raise errors.AccountDeactivated(username=user.username)
    audit_account(admin, "user_deactivate", user, user.username)
    db.session.flush()
    return services.deactivate(user.username)


def reactivate(admin: User, user_id: int) -> User:
    """A deactivated account may log in again (with its old password)."""
    user = account(admin, user_id)
    if user.active:
        raise errors.AccountActive(username=user.username)
    user.active = True
    audit_account(admin, "user_reactivate", user, user.username)
    db.session.commit()
    return user


def unlock(admin: User, user_id: int) -> bool:
    """Lift the lock after failed logins; True if there was one."""
    user = account(admin, user_id)
    was_locked = logins.unlock(user.username)
    if was_locked:
        audit_account(admin, "user_unlock", user, user.username)
        db.session.commit()
    return was_locked


def send_password_link(
    admin: User, user_id: int, link_url: Callable[[str], str]
) -> None:
    """Mail the account a one-time link to set a new password."""
    user = account(admin, user_id)
    if not user.active:
        raise errors.AccountDeactivated(username=user.username)
    if not user.email:
        raise errors.NoEmail(username=user.username)
    password_links.send(admin, user, link_url, first=False)
    db.session.commit()


def same_address(old: str, new: str | None) -> bool:
    """The same mailbox: the domain part of an address has no case, and a
    change of case alone is no change to tell anyone of."""
    return (new or "").lower() == old.lower()


def audit_account(admin: User | None, action: str, user: User, detail: str) -> None:
    """An account change in the audit log; `admin` None: the command line. A
    patient's or guardian's login: in the log of each patient it acts for."""
    audit.record_on_login(action, user, user=admin, detail=detail)
