"""The rules of an account's details, as the admin's pages enter them:
username, name, e-mail address, role, clinics and first-time right.

Each check returns its refusals (with the sentence for its field) instead of
raising at the first, so one submit shows every fault (`raise_all`).
"""

from __future__ import annotations

from collections.abc import Iterable

from sesamlike.accounts import errors, services, usernames
from sesamlike.accounts.models import Clinic, Role
from sesamlike.accounts.staff import PORTAL_ROLES
from sesamlike.common.addresses import is_email
from sesamlike.common.errors import DomainError
from sesamlike.common.i18n import N_

# Roles whose login works at clinics (and so must name at least one).
CLINIC_ROLES = frozenset({Role.PRESCRIBER, Role.MANAGER})


def clinics_by_code(codes: Iterable[str]) -> list[Clinic]:
    codes = [c for c in dict.fromkeys(c.strip() for c in codes) if c]
    return [services.clinic_by_code(code) for code in codes]


def email_address(text: str | None) -> str | None:
    text = (text or "").strip()
    if not text:
        return None
    if not is_email(text):
        raise errors.EmailFormat(fields={"email": [N_("Fel format.")]})
    return text


def offers_clinics(role: str | None) -> bool:
    """Whether an account of this role works at clinics (the form offers them)."""
    return role in CLINIC_ROLES


def offers_first_time_right(role: str | None) -> bool:
    """Whether an account of this role may get the first-time right."""
    return role == Role.PRESCRIBER


def role_refusals(
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
        clinics = clinics_by_code(clinic_codes)
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


NAME_MAX = 120


def _refuse(refusals: list[DomainError], error: DomainError, field: str) -> None:
    error.fields = {field: [error.message]}
    refusals.append(error)


def raise_all(refusals: list[DomainError], several: type[DomainError]) -> None:
    """The one refusal; or `several`, naming every fault beside its field, so
    one submit shows them all."""
    if len(refusals) > 1:
        raise several(
            fields={name: m for r in refusals for name, m in r.fields.items()}
        )
    if refusals:
        raise refusals[0]


def new_account_refusals(
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
    elif not usernames.USERNAME_PATTERN.fullmatch(username):
        refuse(errors.UsernameCharacters(), "username")
    elif usernames.is_identity_number(username):
        refuse(errors.UsernameIdentityNumber(), "username")
    elif (taken := usernames.refusal_if_taken(username)) is not None:
        # "SSK.NORR" beside "ssk.norr" would be one login to the lock and
        # to anyone reading the lists: names differ in more than case.
        taken.fields = {"username": [N_("Användarnamnet är upptaget.")]}
        refusals.append(taken)
    details, clinics, address = details_refusals(
        role, clinic_codes, first_time_prescriber, display_name, email
    )
    return refusals + details, clinics, address


def details_refusals(
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
    of_role, clinics = role_refusals(role, clinic_codes, first_time_prescriber)
    refusals += of_role
    address = None
    try:
        address = email_address(email)
    except errors.EmailFormat as error:
        refuse(error, "email")
    else:
        if address is None:
            refuse(errors.EmailRequired(), "email")
    return refusals, clinics, address
