"""The admin's use cases on accounts: list, create, change, deactivate, unlock,
and mailing the one-time password link (`password_links`).

No password is ever chosen by the admin, shown on a page or mailed: a new account
and a reset both get a link by mail that sets a password. Every change writes an
audit row (object type "user"), and deactivation ends the account's web sessions
and API tokens at once.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from sesamlike.accounts import (
    audit,
    errors,
    logins,
    password_links,
    services,
    usernames,
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
EMAIL_MAX = 254
# Roles whose login works at clinics (and so must name at least one).
CLINIC_ROLES = frozenset({Role.PRESCRIBER, Role.MANAGER})


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


def _clinics(codes: Iterable[str]) -> list[Clinic]:
    codes = [c for c in dict.fromkeys(c.strip() for c in codes) if c]
    return [services.clinic_by_code(code) for code in codes]


# Something before one @, and a domain of dot-separated parts after it: the
# link must reach a mail server, and "anna@exa" (no dot) names none.
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")


def _email(text: str | None) -> str | None:
    text = (text or "").strip()
    if not text:
        return None
    if len(text) > EMAIL_MAX or not EMAIL_PATTERN.fullmatch(text):
        raise errors.EmailFormat(fields={"email": [N_("Fel format.")]})
    return text


def offers_clinics(role: str | None) -> bool:
    """Whether an account of this role works at clinics (the form offers them)."""
    return role in CLINIC_ROLES


def offers_first_time_right(role: str | None) -> bool:
    """Whether an account of this role may get the first-time right."""
    return role == Role.PRESCRIBER


def _role_refusals(
    role: str, clinic_codes: Iterable[str], first_time_prescriber: bool
) -> tuple[list[DomainError], list[Clinic]]:
    """Every refusal of a role with its clinics and first-time right, and the
    clinics as far as they were valid. A role that works at no clinic takes
    none, and only a prescriber the first-time right, as only the aids
    centre's staff take a depot: ticked for another role, they would show on
    the user's pages ("Vårdenhet: ..." on a patient's start page)."""
    refusals: list[DomainError] = []
    clinics: list[Clinic] = []
    unknown_clinic = False
    try:
        clinics = _clinics(clinic_codes)
    except errors.UnknownClinic as error:
        error.fields = {"clinics": [N_("Okänd vårdenhet.")]}
        refusals.append(error)
        unknown_clinic = True
    if role not in set(Role):
        refusals.append(
            errors.UnknownRole(role=role, fields={"role": [N_("Välj en roll.")]})
        )
        return refusals, clinics
    if offers_clinics(role) and not clinics and not unknown_clinic:
        _refuse(refusals, errors.ClinicRequired(), "clinics")
    elif not offers_clinics(role) and (clinics or unknown_clinic):
        refusals = [r for r in refusals if not isinstance(r, errors.UnknownClinic)]
        error = errors.ClinicsNotForRole(
            fields={"clinics": [N_("Välj ingen vårdenhet för den här rollen.")]}
        )
        refusals.append(error)
    if first_time_prescriber and not offers_first_time_right(role):
        error = errors.FirstTimeRightNotForRole(
            fields={"first_time_prescriber": [N_("Bara för förskrivare.")]}
        )
        refusals.append(error)
    return refusals, clinics


# A username is typed at every login: letters a-z, digits, dot, hyphen,
# underscore, and @ for a region that logs staff in by e-mail address.
USERNAME_PATTERN = re.compile(r"[A-Za-z0-9._@-]+")
NAME_MAX = 120


def _refuse(refusals: list[DomainError], error: DomainError, field: str) -> None:
    error.fields = {field: [error.message]}
    refusals.append(error)


def _raise_all(refusals: list[DomainError], several: type[DomainError]) -> None:
    """The one refusal; or `several`, naming every fault beside its field, so
    one submit shows them all."""
    if len(refusals) > 1:
        raise several(
            fields={name: m for r in refusals for name, m in r.fields.items()}
        )
    if refusals:
        raise refusals[0]


def _new_account_refusals(
    username: str,
    role: str,
    clinic_codes: Iterable[str],
    first_time_prescriber: bool,
    display_name: str,
    email: str | None,
) -> tuple[list[DomainError], list[Clinic], str | None]:
    """Every refusal of a new account's details, each with its field's sentence;
    and the clinics and e-mail address as far as they were valid."""
    refusals: list[DomainError] = []

    def refuse(error: DomainError, field: str) -> None:
        _refuse(refusals, error, field)

    if not username:
        refuse(errors.UsernameRequired(), "username")
    elif len(username) > 80:
        refuse(errors.UsernameTooLong(), "username")
    elif not USERNAME_PATTERN.fullmatch(username):
        refuse(errors.UsernameCharacters(), "username")
    elif (taken := usernames.refusal_if_taken(username)) is not None:
        # "SSK.NORR" beside "ssk.norr" would be one login to the lock and
        # to anyone reading the lists: names differ in more than case.
        taken.fields = {"username": [N_("Användarnamnet är upptaget.")]}
        refusals.append(taken)
    details, clinics, address = _details_refusals(
        role, clinic_codes, first_time_prescriber, display_name, email
    )
    return refusals + details, clinics, address


def _details_refusals(
    role: str,
    clinic_codes: Iterable[str],
    first_time_prescriber: bool,
    display_name: str,
    email: str | None,
) -> tuple[list[DomainError], list[Clinic], str | None]:
    """Every refusal of an account's name, role, clinics, first-time right and
    e-mail (a new account's or a staff account changed); and the clinics and
    e-mail address as far as they were valid."""
    refusals: list[DomainError] = []

    def refuse(error: DomainError, field: str) -> None:
        _refuse(refusals, error, field)

    if role not in PORTAL_ROLES and not display_name:
        # Staff are named in audit rows, lists and mails; a patient's login is
        # named by the patient's record.
        refuse(errors.NameRequired(), "display_name")
    elif len(display_name) > NAME_MAX:
        refuse(errors.NameTooLong(), "display_name")
    role_refusals, clinics = _role_refusals(role, clinic_codes, first_time_prescriber)
    refusals += role_refusals
    address = None
    try:
        address = _email(email)
    except errors.EmailFormat as error:
        refuse(error, "email")
    else:
        if address is None:
            refuse(errors.EmailRequired(), "email")
    return refusals, clinics, address


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
) -> User:
    """A new account; its first password is set through a mailed one-time link.

    A patient or guardian login is made from the patient's page only: its
    `link_to_patient` ties it to the patient before anything is stored."""
    _require_admin(admin)
    username = (username or "").strip()
    display_name = (display_name or "").strip()
    if (role in PORTAL_ROLES) != (link_to_patient is not None):
        raise errors.PortalAccountsByCli()
    refusals, clinics, address = _new_account_refusals(
        username, role, clinic_codes, first_time_prescriber, display_name, email
    )
    _raise_all(refusals, errors.AccountInvalid)
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
    audit_account(admin, "user_create", user, account_summary(user))
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

    A patient's or guardian's login, whose name and e-mail the form could not
    show (`identifies_patient`), keeps the stored ones where a field is empty.
    """
    user = account(admin, user_id)
    display_name = (display_name or "").strip()
    if identifies_patient(user):
        display_name = display_name or user.display_name
        address = _email(email) or user.email
        refusals, clinics = _role_refusals(role, clinic_codes, first_time_prescriber)
    else:
        # A staff account is held to a new one's rules: a blank name became
        # the username, and the reset link needs the e-mail address.
        refusals, clinics, address = _details_refusals(
            role, clinic_codes, first_time_prescriber, display_name, email
        )
    _raise_all(refusals, errors.AccountChangeInvalid)
    if (role in PORTAL_ROLES) != identifies_patient(user):
        raise errors.RoleChangeAcrossPortal(
            fields={"role": [N_("Välj en annan roll.")]}
        )
    if user.id == admin.id and role != Role.ADMIN:
        raise errors.OwnAdminRole(fields={"role": [N_("Välj en annan roll.")]})
    before = account_summary(user)
    user.role = role
    user.clinics = clinics
    user.display_name = display_name[:NAME_MAX] or user.username
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


def audit_account(admin: User | None, action: str, user: User, detail: str) -> None:
    """An account change in the audit log; `admin` None: the command line."""
    audit.record(
        action, "user", patient_id=None, object_id=user.id, user=admin, detail=detail
    )
