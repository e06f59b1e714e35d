"""Who may see which patient, and how much: need to know (domain.md).

Every service that touches a patient goes through here, so pages, API and jobs
obey the same rules:

- The patient record (identity, contact, prescriptions, orders) is read by
  prescribers with a care relationship, the patient and a guardian who may act
  for the child: `get_patient`. Every other role is refused (403).
- The aids centre reaches a patient only through an order, return or device it
  handles: `handled_by_depot` audits that, and `orders.shipto.ship_to_seen_by`
  gives the ship-to, only of an order the aids centre ships.
- Managers and the region follow up costs: `followup_patient` (managers see
  identities of their own clinics' patients, the region a pseudonym only).
- Address, door code and phone: `can_see_contact`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date

import sqlalchemy as sa
from flask import g, has_app_context

from sesamlike.accounts import audit
from sesamlike.accounts.models import Clinic, Role, User, user_clinics
from sesamlike.common.errors import DomainError, Forbidden, NotVisible
from sesamlike.common.sql import in_ids
from sesamlike.common.time import region_today
from sesamlike.common.transaction_ends import rollback_keeping_reads
from sesamlike.extensions import db
from sesamlike.patients.models import (
    CareEndReason,
    CareRelationship,
    Guardian,
    Patient,
)

# Roles that reach patients through their clinics' care relationships.
CLINIC_ROLES = frozenset({Role.PRESCRIBER, Role.MANAGER})
# The aids centre handles every patient's orders (never their record: see
# RECORD_ROLES); the region follows up every patient (pseudonymised).
REGION_WIDE_ROLES = frozenset({Role.DEPOT, Role.REGION})
# Roles that read a patient's record: identity, contact, prescriptions, orders.
RECORD_ROLES = frozenset({Role.PRESCRIBER, Role.PATIENT, Role.GUARDIAN})
# The patient's own login and the guardians'.
SELF_ROLES = frozenset({Role.PATIENT, Role.GUARDIAN})
# Roles that follow up costs per patient.
FOLLOWUP_ROLES = frozenset({Role.MANAGER, Role.REGION})


def visible_patient_filter(user: User) -> sa.ColumnElement[bool]:
    """A WHERE clause on Patient for the patients this user may see."""
    role = user.role
    if role in REGION_WIDE_ROLES:
        return sa.true()
    if role in CLINIC_ROLES:
        return Patient.id.in_(_in_care_of_own_clinics(user))
    if role == Role.PATIENT:
        # A patient who moved out of the region still reads their own history
        # and access log (their right as a data subject); a deceased one's
        # login no longer opens the record.
        return sa.and_(Patient.user_id == user.id, not_deceased())
    if role == Role.GUARDIAN:
        # A child with protected identity cannot be acted for online, and
        # guardianship ends on the 18th birthday (and at the child's death).
        return sa.and_(
            Patient.id.in_(
                sa.select(Guardian.patient_id).where(Guardian.user_id == user.id)
            ),
            Patient.protected_identity.is_(False),
            not_deceased(),
            sa.or_(
                Patient.birth_date.is_(None), Patient.birth_date > adult_born_before()
            ),
        )
    return sa.false()


def visible_patient_id(
    user: User, patient_id: sa.ColumnElement[int]
) -> sa.ColumnElement[bool]:
    """`visible_patient_filter` on another table's patient id, without joining
    patients (a clinic's staff: patients in the care of one of its clinics)."""
    if user.role in REGION_WIDE_ROLES:
        return sa.true()
    if user.role in CLINIC_ROLES:
        return patient_id.in_(_in_care_of_own_clinics(user))
    return patient_id.in_(sa.select(Patient.id).where(visible_patient_filter(user)))


def _in_care_of_own_clinics(user: User) -> sa.Select:
    """The ids of the patients with an open care relationship at the user's
    clinics, and of those whose care in the region ended (death, a move out of
    it) while one of them cared for them: that clinic still sees the record,
    the devices expected back and the undo of a mistaken registration. The
    episode keeps its `end_reason` only while the patient's care is ended
    (`care_end`)."""
    clinic_ids = sa.select(user_clinics.c.clinic_id).where(
        user_clinics.c.user_id == user.id
    )
    return sa.select(CareRelationship.patient_id).where(
        CareRelationship.clinic_id.in_(clinic_ids),
        sa.or_(
            CareRelationship.ended_on.is_(None),
            CareRelationship.end_reason.is_not(None),
        ),
    )


def not_deceased() -> sa.ColumnElement[bool]:
    """Patients not registered as deceased (NULL-safe)."""
    return sa.or_(
        Patient.care_ended_reason.is_(None),
        Patient.care_ended_reason != CareEndReason.DECEASED,
    )


def adult_born_before(today: date | None = None) -> date:
    """Whoever was born on or before this day is 18 or older today."""
    today = today or region_today()
    try:
        return today.replace(year=today.year - 18)
    except ValueError:  # 29 February: the birthday falls on 1 March
        return today.replace(year=today.year - 18, month=2, day=28)


def can_see(user: User, patient: Patient) -> bool:
    return bool(
        db.session.scalar(
            sa.select(sa.literal(True)).where(
                Patient.id == patient.id, visible_patient_filter(user)
            )
        )
    )


def require_record_reader(user: User) -> None:
    """Only the patient's own care and the patient (or guardian) read the record."""
    if user.role not in RECORD_ROLES:
        raise Forbidden()


def get_patient(
    user: User, patient_id: int, *, action: str = "read", detail: str | None = None
) -> Patient:
    """Load a patient record this user may read and audit it.

    Forbidden for roles that never read records; NotVisible for a patient out of
    this user's reach (absent or not: the same answer).
    """
    require_record_reader(user)
    return _load_audited(user, patient_id, action, detail)


def followup_patient(user: User, patient_id: int, *, detail: str) -> Patient:
    """A patient in a manager's or the region's follow-up; audited."""
    if user.role not in FOLLOWUP_ROLES:
        raise Forbidden()
    return _load_audited(user, patient_id, "read", detail)


def handled_by_depot(
    user: User, patient_id: int, *, action: str, detail: str | None = None
) -> None:
    """The aids centre works on this patient's order, return or device: audit it.

    The depot reaches patients only this way, through the object it handles,
    never by looking the patient up.
    """
    if user.role != Role.DEPOT:
        raise Forbidden()
    audit.record(
        action,
        "patient",
        patient_id=patient_id,
        object_id=patient_id,
        user=user,
        detail=detail,
    )


def log_refusal_read(
    user: User, patient_id: int, error: DomainError, detail: str
) -> None:
    """A refused write that tells what it read of a visible patient (a time
    lock's opening day, the patient's pumps, a first prescription): logged as a
    read, unless one waits already (the form's). Call it after rolling back the
    write. A patient out of reach, or a role that may not, read nothing."""
    if type(error) in (NotVisible, Forbidden):
        return
    if not audit.read_waiting(patient_id):
        get_patient(user, patient_id, detail=detail)


@contextmanager
def refusal_logs_read(user: User, patient_id: int, detail: str) -> Iterator[None]:
    """Around a write to a visible patient: a refusal writes nothing but the
    read (`log_refusal_read`), committed before the refusal goes on up."""
    try:
        yield
    except DomainError as error:
        rollback_keeping_reads()
        log_refusal_read(user, patient_id, error, detail)
        db.session.commit()
        raise


_OWN_PATIENT = sa.select(Patient).where(Patient.user_id == sa.bindparam("user_id"))


def own_patient(user: User) -> Patient | None:
    """A patient login's own record, or None; not audited (the use case that
    shows it audits it). Remembered for the request, so that use case's
    `get_patient` finds it without asking the database again; read with the
    login itself (`remember_own`), it is not asked for at all."""
    if user.role != Role.PATIENT:
        return None
    patient = _remembered(user) or db.session.scalar(_OWN_PATIENT, {"user_id": user.id})
    if patient is not None and patient.deceased:
        return None  # the login no longer opens the record (`care_end`)
    _remember(user, patient)
    return patient


def remember_own(user: User, patient: Patient | None) -> None:
    """The login's own record, read in the same statement as the login
    (`accounts.sessions.load_beside`): remembered for the request."""
    if user.role == Role.PATIENT:
        _remember(user, patient)


def visible_patient(user: User, patient_id: int) -> Patient | None:
    """The patient if this user may see them now, else None; not audited (the
    use case that shows it audits it). Remembered for the request like
    `own_patient`."""
    patient = db.session.scalar(
        sa.select(Patient).where(Patient.id == patient_id, visible_patient_filter(user))
    )
    _remember(user, patient)
    return patient


def visible_patient_with(
    user: User, patient_id: int, column: sa.ColumnElement, params: dict | None = None
) -> tuple[Patient | None, object]:
    """`visible_patient`, and `column` read beside it in the same statement
    (None where the patient is not visible): what a page needs each request
    besides, at no statement of its own. `params`: the column's bound ones."""
    row = db.session.execute(
        sa.select(Patient, column).where(
            Patient.id == patient_id, visible_patient_filter(user)
        ),
        params or {},
    ).first()
    patient, value = row if row is not None else (None, None)
    _remember(user, patient)
    return patient, value


def _remember(user: User, patient: Patient | None) -> None:
    if patient is not None and patient.deceased and user.role in SELF_ROLES:
        return  # not visible to the login (`visible_patient_filter`)
    if patient is not None and has_app_context():
        g.sesamlike_visible_patient = (user.id, user.role, patient)


def _remembered(user: User, patient_id: int | None = None) -> Patient | None:
    """The patient `own_patient` or `visible_patient` found for this user in this
    request, if it is this one (None: whichever) and still loaded, unexpired, in
    this session: that query asked visible_patient_filter itself (for a patient
    login, Patient.user_id == user.id is the whole of it)."""
    if not has_app_context():
        return None
    user_id, role, patient = g.get("sesamlike_visible_patient", (None, None, None))
    if patient is None or user_id != user.id or role != user.role:
        return None
    state = sa.inspect(patient)
    if state.session is not db.session() or state.expired or state.expired_attributes:
        return None  # committed since (expired) or another session: ask again
    return patient if patient_id in (None, patient.id) else None


def _load_audited(
    user: User, patient_id: int, action: str, detail: str | None
) -> Patient:
    patient = _remembered(user, patient_id) or db.session.scalar(
        sa.select(Patient).where(Patient.id == patient_id, visible_patient_filter(user))
    )
    if patient is None:
        raise NotVisible()
    audit.record(
        action,
        "patient",
        patient_id=patient.id,
        object_id=patient.id,
        user=user,
        detail=detail,
        clinic_code=_clinic_read_for(user, patient.id),
    )
    return patient


def _clinic_read_for(user: User, patient_id: int) -> str | None:
    """The clinic a staff member of several clinics reads the patient for: the
    one of theirs that cares for the patient, when one does (the patient's
    access log names it); None leaves it to `audit.acting_clinic_code` (one
    clinic, or none to name)."""
    return clinics_read_for(user, [patient_id]).get(patient_id)


def clinics_read_for(user: User, patient_ids: Iterable[int]) -> dict[int, str]:
    """`_clinic_read_for` of a whole list in one statement: for each patient
    whom exactly one of the user's clinics cares for, that clinic's code.

    Only for a prescriber or manager of several clinics (one clinic's staff
    act for it: `audit.acting_clinic_code`); a patient whom two of their
    clinics care for, or none, is absent, as for a single read."""
    if user.role not in CLINIC_ROLES or len(user.clinics) < 2:
        return {}
    ids = sorted(set(patient_ids))
    if not ids:
        return {}
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    rows = db.session.execute(
        sa.select(CareRelationship.patient_id, sa.func.min(Clinic.code))
        .join(Clinic, CareRelationship.clinic_id == Clinic.id)
        .where(
            in_ids(CareRelationship.patient_id, ids, postgresql=postgresql),
            CareRelationship.ended_on.is_(None),
            Clinic.id.in_([clinic.id for clinic in user.clinics]),
        )
        .group_by(CareRelationship.patient_id)
        .having(sa.func.count(sa.distinct(Clinic.id)) == 1)
    )
    return {patient_id: code for patient_id, code in rows}


def is_self(user: User, patient: Patient) -> bool:
    return user.role == Role.PATIENT and patient.user_id == user.id


def can_see_contact(user: User, patient: Patient) -> bool:
    """Address, door code and phone: the patient's own care, never when protected.

    Protected identity: only the patient. Roles without a record (aids centre,
    managers, region, admin) never see a patient's own address or phone; the aids
    centre gets the ship-to of the orders it ships (a line of the central
    channel, not cancelled) from `orders.shipto.ship_to_seen_by`, and none of
    the orders that only the pharmacy or a supplier delivers.
    """
    if is_self(user, patient):
        return True
    if patient.protected_identity or user.role not in RECORD_ROLES:
        return False
    return can_see(user, patient)
