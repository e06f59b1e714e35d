"""Care relationships (vårdrelationer) by personnummer: start one, end one;
take a patient who moved back into the region into care again.

A care relationship is what lets a clinic's staff look a patient up. A
prescriber starts one for their own clinic when the patient comes into its care
(the patient is named by personnummer, since the clinic cannot see them yet),
and ends it when the care ends: from then on that clinic's staff no longer reach
the patient. Both are written to the patient's access log.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from sesamlike.accounts import audit
from sesamlike.accounts.models import Clinic, Role, User
from sesamlike.common.errors import Forbidden, NotVisible
from sesamlike.common.i18n import N_
from sesamlike.common.time import region_today
from sesamlike.common.transaction_ends import rollback_keeping_reads
from sesamlike.extensions import db
from sesamlike.patients import access, care_end, errors
from sesamlike.patients.identity import parse_personal_id
from sesamlike.patients.models import CareEndReason, CareRelationship, Patient

_SEPARATORS = re.compile(r"[\s\-+]")
# What else follows an ended care relationship (the patient's orders waiting to
# go to that clinic go to the one caring now: `orders.delivery`, given at app
# start, the orders area being above this one).
_after_end: list[Callable[[Patient, Clinic, User], object]] = []


def register_on_care_ended(step: Callable[[Patient, Clinic, User], object]) -> None:
    """`step(patient, clinic, user)` runs when the clinic's care of the patient
    ends, in the same transaction."""
    if step not in _after_end:
        _after_end.append(step)


def ended(relationship: CareRelationship, user: User) -> None:
    """The relationship was just ended by `user` (a prescriber or the admin)."""
    for step in _after_end:
        step(relationship.patient, relationship.clinic, user)


def _require_prescriber(user: User) -> None:
    if user.role != Role.PRESCRIBER:
        raise Forbidden()


def own_clinic(user: User, clinic_code: str | None) -> Clinic:
    # An unknown code and another clinic's code get the same answer: no probing.
    clinic = next((c for c in user.clinics if c.code == clinic_code), None)
    if clinic is None:
        raise errors.NotOwnClinic(
            fields={"clinic_code": [N_("Välj en av dina vårdenheter.")]}
        )
    return clinic


# The audit detail of a lookup that found no one (the number is kept nowhere).
NO_MATCH = "vårdrelation"


def _patient_by_personal_id(user: User, text: str | None, clinic: Clinic) -> Patient:
    """The patient with the number; a number that names no one is logged as a
    lookup without a match (as the admin's is), so fishing for numbers shows."""
    text = (text or "").strip()
    digits = _SEPARATORS.sub("", text)
    number = parse_personal_id(digits).number if digits.isdecimal() else text.upper()
    patient = db.session.scalar(sa.select(Patient).where(Patient.personal_id == number))
    if patient is None:
        audit.record("search", "patient", patient_id=None, user=user,
                     detail=NO_MATCH, clinic_code=clinic.code)  # fmt: skip
        db.session.commit()
        raise NotVisible()
    return patient


def start(
    user: User, personal_id: str | None, clinic_code: str | None
) -> CareRelationship:
    """The patient comes into the care of one of the prescriber's clinics;
    one who had moved out of the region is taken into its care again."""
    _require_prescriber(user)
    clinic = own_clinic(user, clinic_code)
    patient = _patient_by_personal_id(user, personal_id, clinic)
    if patient.care_ended_reason == CareEndReason.MOVED_OUT:
        # Read afresh under the lock: `lift_move` asks again.
        return _resume(user, care_end.lock(patient.id), clinic)
    relationship = begin_episode(patient, clinic)
    audit_episode(user, relationship, clinic, "care_relationship_start")
    db.session.commit()
    return relationship


def resume(user: User, patient_id: int, clinic_code: str | None) -> CareRelationship:
    """A patient who moved out of the region has moved back: one of the
    prescriber's clinics takes them into care again, with a new care
    relationship, and orders and prescriptions can be made again. What the
    move stopped stays stopped. Never after a death (409)."""
    _require_prescriber(user)
    with access.refusal_logs_read(user, patient_id, "refused resumed care"):
        patient = care_end.locked(user, patient_id)
        return _resume(user, patient, own_clinic(user, clinic_code))


def _resume(user: User, patient: Patient, clinic: Clinic) -> CareRelationship:
    care_end.lift_move(user, patient)
    relationship = begin_episode(patient, clinic)
    audit_episode(user, relationship, clinic, "care_relationship_start")
    db.session.commit()
    return relationship


def open_episode(patient: Patient, clinic: Clinic) -> CareRelationship | None:
    """The clinic's care relationship with the patient now, if one is open."""
    return next(
        (
            c
            for c in patient.care_relationships
            if c.clinic_id == clinic.id and c.ended_on is None
        ),
        None,
    )


def begin_episode(patient: Patient, clinic: Clinic) -> CareRelationship:
    """A new episode of the clinic's care of the patient, flushed.

    A clinic that takes a patient back starts a row of its own: an earlier,
    ended episode keeps its dates (follow-up, audits and the access rules may
    need them). Only one episode of a clinic is open at a time (a partial
    unique index); a start that races another is refused like a second one.
    """
    name = clinic.name
    if patient.care_ended_reason is not None:
        # Died, or moved out of the region (`care_end`): a mistake is undone
        # on the patient's page first, which opens the episodes it ended; a
        # patient who moved back is taken into care again (`resume`).
        raise errors.CareAlreadyEnded()
    if open_episode(patient, clinic) is not None:
        raise errors.CareRelationshipExists(clinic=name)
    relationship = CareRelationship(clinic_id=clinic.id, started_on=region_today())
    patient.care_relationships.append(relationship)
    try:
        db.session.flush()
    except IntegrityError:
        rollback_keeping_reads()
        raise errors.CareRelationshipExists(clinic=name) from None
    return relationship


def end(user: User, relationship_id: int) -> CareRelationship:
    """The care at the prescriber's clinic ends: its staff lose the patient."""
    _require_prescriber(user)
    relationship = db.session.get(CareRelationship, relationship_id)
    if relationship is None or relationship.clinic_id not in user.clinic_ids:
        raise NotVisible()
    if relationship.ended_on is not None:
        raise errors.CareRelationshipEnded()
    relationship.ended_on = region_today()
    audit_episode(user, relationship, relationship.clinic, "care_relationship_end")
    ended(relationship, user)
    db.session.commit()
    return relationship


def audit_episode(
    user: User, relationship: CareRelationship, clinic: Clinic, action: str
) -> None:
    audit.record(
        action,
        "care_relationship",
        patient_id=relationship.patient_id,
        object_id=relationship.id,
        user=user,
        detail=clinic.code,
        clinic_code=clinic.code,
    )
