"""A clinic's details as the region's administrator keeps them.

The name, the address and the phone are what patients and guardians read under
"Din mottagning" (the portal's "Kontakta mottagningen" means it), and the
address is where an order to the clinic goes (a patient with protected
identity, a first pump). The cost centre is copied onto each prescription when
it is written: a new one applies to prescriptions written after the change,
and those before keep theirs, as their costs do. The code is the clinic's key
in files and the API, and never changes.

Only the admin keeps clinics (domain.md: the admin sees no patient data, and a
clinic is none). Each change is one audit row naming what changed; a refusal
names every bad field at once and writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from sesamlike.accounts import audit
from sesamlike.accounts.errors import ClinicExists
from sesamlike.accounts.models import Clinic, Role, User
from sesamlike.accounts.services import (
    CLINIC_CODE_MAX,
    CLINIC_NAME_MAX,
    COST_CENTRE_MAX,
    create_clinic,
)
from sesamlike.common.errors import Forbidden, NotVisible
from sesamlike.common.i18n import N_
from sesamlike.extensions import db
from sesamlike.patients import errors
from sesamlike.patients.addresses import BOX_ADDRESS_REFUSAL, is_box_address
from sesamlike.patients.contact_checks import (
    PHONE_MAX_LENGTH,
    city_refusal,
    phone_refusal,
    street_refusal,
)
from sesamlike.patients.services import POSTAL_CODE

# What the form and the command may set, in the order a change names them.
DETAILS = ("name", "cost_centre", "paediatric", "street", "postal_code", "city",
           "phone")  # fmt: skip
ADDRESS = ("street", "postal_code", "city")
CODE_TAKEN = N_("Koden används redan av en annan vårdenhet.")
ADDRESS_INCOMPLETE = N_(
    "Fyll i gatuadress, postnummer och ort, eller lämna alla tre tomma."
)


@dataclass(frozen=True)
class ClinicDetails:
    name: str
    cost_centre: str
    paediatric: bool = False
    street: str | None = None
    postal_code: str | None = None  # five digits, without the space
    city: str | None = None
    phone: str | None = None


def clinics(user: User) -> list[Clinic]:
    """Every clinic, by code."""
    _require_admin(user)
    return list(db.session.scalars(sa.select(Clinic).order_by(Clinic.code)))


def clinic(user: User, clinic_id: int) -> Clinic:
    _require_admin(user)
    found = db.session.get(Clinic, clinic_id)
    if found is None:
        raise NotVisible()
    return found


def create(user: User | None, code: str, data: Mapping[str, Any]) -> Clinic:
    """A new clinic (`user` None: the command line). Refused with every bad
    field named, or as `accounts.services.create_clinic` refuses a code."""
    if user is not None:
        _require_admin(user)
    details = checked({**data, "code": code}, new=True)
    try:
        created = create_clinic(code, details.name, details.cost_centre,
                                **_values(details, exclude=("name", "cost_centre")),
                                commit=False)  # fmt: skip
    except ClinicExists as taken:  # said beside the code field too
        raise ClinicExists(**taken.params, fields={"code": [CODE_TAKEN]}) from None
    db.session.flush()
    audit.record("clinic_create", "clinic", patient_id=None, object_id=created.id,
                 user=user, detail=created.code)  # fmt: skip
    db.session.commit()
    return created


def update(user: User, clinic_id: int, data: Mapping[str, Any]) -> list[str]:
    """Change the clinic's details; the names of what changed (none: nothing
    written). Patients in its care see the new name, address and phone on
    their next page (`patients.models`: their data versions move)."""
    found = clinic(user, clinic_id)
    details = checked(data)
    changed = [
        name for name in DETAILS if getattr(found, name) != getattr(details, name)
    ]
    if not changed:
        return []
    for name in changed:
        setattr(found, name, getattr(details, name))
    audit.record("clinic_update", "clinic", patient_id=None, object_id=found.id,
                 user=user, detail=f"{found.code}: {', '.join(changed)}")  # fmt: skip
    db.session.commit()
    return changed


def checked(data: Mapping[str, Any], *, new: bool = False) -> ClinicDetails:
    """The details `data` gives, stripped, or ClinicDetailsInvalid naming
    every bad field; for a `new` clinic its code too."""
    fields: dict[str, list[str]] = {}

    def text(name: str, max_len: int, *, required: bool = False) -> str | None:
        value = data.get(name)
        value = value.strip() if isinstance(value, str) else ""
        if not value:
            if required:
                refuse(name, N_("Obligatoriskt."))
            return None
        if len(value) > max_len:
            refuse(name, N_("För långt."))
        return value

    def refuse(name: str, message: str | None) -> None:
        if message is not None:
            fields.setdefault(name, []).append(message)

    if new:
        text("code", CLINIC_CODE_MAX, required=True)
    name = text("name", CLINIC_NAME_MAX, required=True)
    cost_centre = text("cost_centre", COST_CENTRE_MAX, required=True)
    street = text("street", 120)
    if street and is_box_address(street):
        refuse("street", BOX_ADDRESS_REFUSAL)
    elif street:
        refuse("street", street_refusal(street))
    postal_code = text("postal_code", 10)
    if postal_code and not POSTAL_CODE.match(postal_code):
        refuse("postal_code", N_("Postnumret ska ha fem siffror."))
    city = text("city", 80)
    refuse("city", city_refusal(city))
    given = {"street": street, "postal_code": postal_code, "city": city}
    if any(given.values()) and not all(given.values()):
        for name_ in ADDRESS:
            if not given[name_]:
                refuse(name_, ADDRESS_INCOMPLETE)
    phone = text("phone", PHONE_MAX_LENGTH)
    refuse("phone", phone_refusal(phone))
    if fields:
        raise errors.ClinicDetailsInvalid(fields=fields)
    return ClinicDetails(
        name=name or "",
        cost_centre=cost_centre or "",
        paediatric=bool(data.get("paediatric")),
        street=street,
        postal_code=postal_code.replace(" ", "") if postal_code else None,
        city=city,
        phone=phone,
    )


def _values(details: ClinicDetails, exclude: tuple[str, ...] = ()) -> dict:
    return {name: getattr(details, name) for name in DETAILS if name not in exclude}


def _require_admin(user: User) -> None:
    if user.role != Role.ADMIN:
        raise Forbidden()
