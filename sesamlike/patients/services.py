"""Use cases for patients: register, search, read, contact, addresses, guardians.

Each function takes the acting user, reaches patients only through `access`, adds
an audit row for every read or write of patient data and commits once. A refusal
raises a DomainError; the caller rolls the session back.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from sesamlike.accounts import audit
from sesamlike.accounts.models import Clinic, Role, User
from sesamlike.common.addresses import EMAIL_MAX, is_email
from sesamlike.common.errors import Forbidden, Invalid, NotVisible
from sesamlike.common.i18n import N_
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.patients import access, errors, protection
from sesamlike.patients.addresses import BOX_ADDRESS_REFUSAL, is_box_address
from sesamlike.patients.care import begin_episode
from sesamlike.patients.contact_checks import (
    city_refusal,
    door_code_refusal,
    phone_refusal,
    street_refusal,
)
from sesamlike.patients.errors import PatientExists
from sesamlike.patients.identity import (
    AgeGroup,
    IdKind,
    PersonalId,
    parse_personal_id,
    parse_reserve_number,
)
from sesamlike.patients.models import Address, CareRelationship, Guardian, Patient
from sesamlike.patients.search import (  # noqa: F401  (search_patients: public here)
    SEARCH_ROLES,
    SearchPage,
    search_patients,
)

DIABETES_TYPES = ("type1", "type2", "other")
# Pages: prescribers work with patients; nobody else reads the record here.
VIEW_ROLES = SEARCH_ROLES
WRITE_ROLES = frozenset({Role.PRESCRIBER})

POSTAL_CODE = re.compile(r"^\d{3} ?\d{2}$")
_LMA_NUMBER = re.compile(r"^[A-Za-z0-9\-]{4,20}$")
_SEPARATORS = re.compile(r"[\s\-+]")


def may_view(user: User) -> bool:
    return user.role in VIEW_ROLES


def may_write(user: User) -> bool:
    return user.role in WRITE_ROLES


def clinic_delivery_only(patient: Patient) -> bool:
    """Protected identity: aids go to the clinic, never to an address."""
    return patient.protected_identity


class _Checks:
    """Collects field errors so one Invalid names every bad field at once."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.fields: dict[str, list[str]] = {}

    def fail(self, name: str, message: str) -> None:
        self.fields.setdefault(name, []).append(message)

    def check(self, name: str, message: str | None) -> None:
        if message is not None:
            self.fail(name, message)

    def text(self, name: str, max_len: int, *, required: bool = False) -> str | None:
        value = self.data.get(name)
        value = value.strip() if isinstance(value, str) else ""
        if not value:
            if required:
                self.fail(name, N_("Obligatoriskt."))
            return None
        if len(value) > max_len:
            self.fail(name, "För långt.")
        return value

    def day(self, name: str, *, required: bool = False) -> date | None:
        value = self.data.get(name)
        if isinstance(value, str) and value.strip():
            try:
                value = date.fromisoformat(value.strip())
            except ValueError:
                self.fail(name, "Ange ett datum som ÅÅÅÅ-MM-DD.")
                return None
        if not isinstance(value, date):
            if required:
                self.fail(name, N_("Obligatoriskt."))
            return None
        return value

    def contact(self) -> tuple[str | None, str | None]:
        phone = self.text("phone", 30)
        self.check("phone", phone_refusal(phone))
        email = self.text("email", EMAIL_MAX)
        if email and not is_email(email):
            self.fail("email", N_("Ange en e-postadress som namn@exempel.se."))
        return phone, email

    def address(self) -> dict[str, Any]:
        street = self.text("street", 120, required=True)
        if is_box_address(street):
            self.fail("street", BOX_ADDRESS_REFUSAL)
        else:
            self.check("street", street_refusal(street))
        postal_code = self.text("postal_code", 10, required=True)
        if postal_code and not POSTAL_CODE.match(postal_code):
            self.fail("postal_code", "Postnumret ska ha fem siffror.")
        city = self.text("city", 80, required=True)
        self.check("city", city_refusal(city))
        door_code = self.text("door_code", 20)
        self.check("door_code", door_code_refusal(door_code))
        return {
            "street": street,
            "postal_code": (postal_code or "").replace(" ", ""),
            "city": city,
            "door_code": door_code,
            "care_of": self.text("care_of", 120),
        }

    def done(self) -> None:
        if self.fields:
            raise errors.PatientDetailsInvalid(fields=self.fields)


def _require(user: User, roles: frozenset[str]) -> None:
    if user.role not in roles:
        raise Forbidden()


def _patient_for_update(user: User, patient_id: int, detail: str) -> Patient:
    _require(user, WRITE_ROLES)
    return access.get_patient(user, patient_id, action="update", detail=detail)


# Registration -----------------------------------------------------------------


@dataclass(frozen=True)
class _Registration:
    """A registration's details as checked (`_Checks.fields` says what is wrong)."""

    identity: PersonalId | None
    first_name: str | None
    last_name: str | None
    clinic: Clinic | None
    address: dict[str, Any]
    phone: str | None
    email: str | None


# What the kind of identity decides how to read.
IDENTITY_FIELDS = frozenset({"personal_id", "birth_date", "lma_number", "lma_valid_to"})


def _registration(user: User, check: _Checks) -> _Registration:
    identity = _identity(check)
    first_name = check.text("first_name", 80, required=True)
    last_name = check.text("last_name", 80, required=True)
    if check.data.get("diabetes_type") not in DIABETES_TYPES:
        check.fail("diabetes_type", N_("Välj diabetestyp."))
    code = check.data.get("clinic_code")
    # An unknown code and another clinic's code get the same answer: no probing.
    clinic = next((c for c in user.clinics if c.code == code), None)
    if clinic is None:
        check.fail("clinic_code", "Välj en av dina vårdenheter.")
    address = check.address()
    phone, email = check.contact()
    return _Registration(identity, first_name, last_name, clinic, address, phone, email)


def registration_faults(
    user: User, data: Mapping[str, Any], unchecked: Collection[str] = ()
) -> dict[str, list[str]]:
    """The field faults `register_patient` would refuse `data` for, nothing
    read or written: for the API to answer with its schema's. Fields in
    `unchecked` (found wrong already) are not judged again, nor the identity
    when its kind is among them."""
    _require(user, WRITE_ROLES)
    check = _Checks(data)
    _registration(user, check)
    skip = set(unchecked)
    if "id_kind" in skip:
        skip |= IDENTITY_FIELDS
    return {name: m for name, m in check.fields.items() if name not in skip}


def register_patient(user: User, data: Mapping[str, Any]) -> Patient:
    """Register a patient at one of the prescriber's clinics (care relationship)."""
    _require(user, WRITE_ROLES)
    check = _Checks(data)
    details = _registration(user, check)
    check.done()
    identity, clinic = details.identity, details.clinic
    first_name, last_name = details.first_name, details.last_name
    address, phone, email = details.address, details.phone, details.email
    existing = _patient_by_number(identity.number)
    if existing is not None:
        raise _exists(user, existing, clinic)
    patient = Patient(
        personal_id=identity.number,
        id_kind=identity.kind.value,
        lma_number=check.text("lma_number", 20)
        if identity.kind == IdKind.RESERVE
        else None,
        lma_valid_to=check.day("lma_valid_to")
        if identity.kind == IdKind.RESERVE
        else None,
        first_name=first_name,
        last_name=last_name,
        birth_date=identity.birth_date,
        diabetes_type=data["diabetes_type"],
        protected_identity=bool(data.get("protected_identity")),
        phone=phone,
        email=email,
    )
    patient.addresses.append(Address(kind="home", **address))
    patient.care_relationships.append(
        CareRelationship(clinic_id=clinic.id, started_on=region_today())
    )
    db.session.add(patient)
    try:
        db.session.flush()
    except IntegrityError:
        # Registered by someone else between our check and our insert.
        db.session.rollback()
        existing = _patient_by_number(identity.number)
        raise _exists(user, existing, clinic) if existing else PatientExists() from None
    audit.record(
        "create",
        "patient",
        patient_id=patient.id,
        object_id=patient.id,
        user=user,
        detail=f"vårdrelation {clinic.code}",
    )
    db.session.commit()
    return patient


def _identity(check: _Checks) -> PersonalId | None:
    kind = check.data.get("id_kind") or IdKind.PERSONNUMMER
    if kind not in set(IdKind):
        check.fail("id_kind", N_("Välj typ av identitet."))
        return None
    try:
        if kind != IdKind.RESERVE:
            number = re.sub(r"\s", "", check.data.get("personal_id") or "")
            parsed = parse_personal_id(number)
            if parsed.birth_date and parsed.birth_date > region_today():
                check.fail("personal_id", N_("Födelsedatumet ligger i framtiden."))
            return parsed
        birth_date = check.day("birth_date", required=True)
        if birth_date and birth_date > region_today():
            check.fail("birth_date", N_("Födelsedatumet ligger i framtiden."))
        lma_number = check.text("lma_number", 20, required=True)
        if lma_number and not _LMA_NUMBER.match(lma_number):
            check.fail("lma_number", N_("Fel format."))
        valid_to = check.day("lma_valid_to", required=True)
        if valid_to and valid_to < region_today():
            check.fail("lma_valid_to", N_("LMA-kortets giltighetstid har gått ut."))
        number = check.data.get("personal_id") or ""
        if _SEPARATORS.sub("", number).isdecimal():
            check.fail("personal_id", N_("Ett reservnummer innehåller bokstäver."))
            return None
        return parse_reserve_number(number, birth_date)
    except Invalid as error:
        for name, messages in error.fields.items():
            for message in messages:
                check.fail(name, message)
        return None


def _patient_by_number(number: str) -> Patient | None:
    return db.session.scalar(sa.select(Patient).where(Patient.personal_id == number))


def _exists(user: User, existing: Patient, clinic: Clinic) -> PatientExists:
    """Say the patient exists; only name it to a user who may already see it.

    The attempt is written to the patient's access log and kept although the
    registration is refused: trying a personnummer tells that the person is a
    diabetes patient of the region (and, to a user of the patient's clinic,
    which patient), so the patient sees who tried.
    """
    fields = {"personal_id": [N_("Finns redan.")]}
    here, patient_id = access.can_see(user, existing), existing.id
    audit.record(
        "registration_attempt",
        "patient",
        patient_id=existing.id,
        object_id=existing.id,
        user=user,
        detail=f"registrering vid {clinic.code}",
        clinic_code=clinic.code,
    )
    db.session.commit()
    if here:
        return errors.PatientExistsHere(fields=fields, id=patient_id)
    return errors.PatientExistsElsewhere(fields=fields)


# Read ------------------------------------------------------------------------


@dataclass
class PatientCard:
    """A patient as one user may see it: hidden contact details are simply absent.

    Protected identity: no address, phone or e-mail, nor the guardians' contact.
    """

    patient: Patient
    contact_visible: bool
    home_address: Address | None
    temporary_addresses: list[Address]
    age_group: AgeGroup | None
    clinic_delivery_only: bool
    # The guardians while they act for the child; none from the 18th birthday,
    # when the links end (`guardianship_ended` says so; the rows are kept).
    guardians: list[Guardian] = field(default_factory=list)
    guardianship_ended: bool = False

    @property
    def is_child(self) -> bool:
        return self.age_group == AgeGroup.CHILD


def patient_card(user: User, patient_id: int) -> PatientCard:
    """Read one patient for the pages (audited)."""
    _require(user, VIEW_ROLES)
    patient = access.get_patient(user, patient_id)
    db.session.commit()
    visible = access.can_see_contact(user, patient)
    group = patient.age_group_on(region_today())
    # An unknown birth date ends no link, as access has it.
    grown_up = group is not None and group != AgeGroup.CHILD
    return PatientCard(
        patient=patient,
        contact_visible=visible,
        home_address=patient.home_address() if visible else None,
        temporary_addresses=[a for a in patient.addresses if a.kind == "temporary"]
        if visible
        else [],
        age_group=group,
        clinic_delivery_only=clinic_delivery_only(patient),
        guardians=[] if grown_up else sorted(patient.guardians, key=lambda g: g.id),
        guardianship_ended=grown_up and bool(patient.guardians),
    )


# Changes ---------------------------------------------------------------------


def update_contact(user: User, patient_id: int, data: Mapping[str, Any]) -> Patient:
    """Phone and e-mail for notices; may turn protected identity on, never off.

    Protected identity: the stored values are not shown, so a field left empty
    keeps what is stored (nothing is lost by saving a form that hid it).
    """
    patient = _patient_for_update(user, patient_id, "kontaktuppgifter")
    check = _Checks(data)
    phone, email = check.contact()
    check.done()
    if patient.protected_identity:
        phone, email = phone or patient.phone, email or patient.email
    patient.phone, patient.email = phone, email
    if data.get("protected_identity") and not patient.protected_identity:
        patient.protected_identity = True
        # Nothing more to a guardian; the open orders go to the clinic.
        protection.protected(patient, user)
        audit.record(
            "update",
            "patient",
            patient_id=patient.id,
            object_id=patient.id,
            user=user,
            detail="skyddade personuppgifter på",
        )
    db.session.commit()
    return patient


def set_home_address(user: User, patient_id: int, data: Mapping[str, Any]) -> Address:
    """Replace the home address; for protected identity the old one stays unseen."""
    patient = _patient_for_update(user, patient_id, "hemadress")
    check = _Checks(data)
    fields = check.address()
    check.done()
    address = patient.home_address()
    if address is None:
        address = Address(kind="home")
        patient.addresses.append(address)
    for name, value in fields.items():
        setattr(address, name, value)
    db.session.commit()
    return address


def add_temporary_address(
    user: User, patient_id: int, data: Mapping[str, Any]
) -> Address:
    """A temporary delivery address, valid from one day to another."""
    patient = _patient_for_update(user, patient_id, "tillfällig adress")
    if clinic_delivery_only(patient):
        raise errors.NoTemporaryAddressForProtectedIdentity()
    check = _Checks(data)
    fields = check.address()
    valid_from = check.day("valid_from", required=True)
    valid_to = check.day("valid_to", required=True)
    if valid_from and valid_to:
        if valid_to < valid_from:
            check.fail("valid_to", N_("Till-datum får inte vara före från-datum."))
        elif valid_to < region_today():
            check.fail("valid_to", N_("Till-datum har redan passerat."))
        elif any(
            a.kind == "temporary"
            and (a.valid_from or date.min) <= valid_to
            and valid_from <= (a.valid_to or date.max)
            for a in patient.addresses
        ):
            check.fail(
                "valid_from", N_("Perioden överlappar en annan tillfällig adress.")
            )
    check.done()
    address = Address(
        kind="temporary", valid_from=valid_from, valid_to=valid_to, **fields
    )
    patient.addresses.append(address)
    db.session.commit()
    return address


def remove_temporary_address(user: User, patient_id: int, address_id: int) -> None:
    patient = _patient_for_update(user, patient_id, "tillfällig adress borttagen")
    address = next(
        (a for a in patient.addresses if a.id == address_id and a.kind == "temporary"),
        None,
    )
    if address is None or not access.can_see_contact(user, patient):
        raise NotVisible()
    patient.addresses.remove(address)
    db.session.commit()


def add_guardian(user: User, patient_id: int, data: Mapping[str, Any]) -> Guardian:
    """A guardian (vårdnadshavare) with contact details; only for children."""
    patient = _patient_for_update(user, patient_id, "vårdnadshavare")
    if patient.age_group_on(region_today()) != AgeGroup.CHILD:
        raise errors.GuardianOnlyForChild()
    check = _Checks(data)
    name = check.text("name", 120, required=True)
    phone, email = check.contact()
    check.done()
    guardian = Guardian(name=name, phone=phone, email=email)
    patient.guardians.append(guardian)
    db.session.commit()
    return guardian


def add_care_relationship(user: User, patient_id: int, clinic_code: str) -> None:
    """Link a patient the prescriber already sees to another of their own clinics.

    Other care relationships are made by region tools, never by a prescriber
    reaching a patient they cannot see.
    """
    patient = _patient_for_update(user, patient_id, f"vårdrelation {clinic_code}")
    clinic: Clinic | None = next(
        (c for c in user.clinics if c.code == clinic_code), None
    )
    if clinic is None:
        raise errors.NotOwnClinic(
            fields={"clinic_code": ["Välj en av dina vårdenheter."]}
        )
    begin_episode(patient, clinic)
    db.session.commit()
