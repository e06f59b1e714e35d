"""Links between patient or guardian logins and the patients they act for."""

from __future__ import annotations

import re
from collections.abc import Iterable

import sqlalchemy as sa

from sesamlike.accounts.models import Role, User
from sesamlike.common.models import OutgoingMail
from sesamlike.extensions import db
from sesamlike.patients import errors
from sesamlike.patients.access import adult_born_before
from sesamlike.patients.models import Guardian, Patient


def link_user_to_patients(user: User, patient_ids: Iterable[int]) -> None:
    """A patient login acts for exactly one patient; a guardian for one or more."""
    ids = list(dict.fromkeys(patient_ids))
    if user.role not in (Role.PATIENT, Role.GUARDIAN):
        if ids:
            raise errors.PatientLinkNotAllowed()
        return
    if not ids:
        raise errors.PatientIdRequired()
    if user.role == Role.PATIENT and len(ids) != 1:
        raise errors.OnePatientPerLogin()
    for patient_id in ids:
        patient = db.session.get(Patient, patient_id)
        if patient is None:
            raise errors.UnknownPatient(id=patient_id)
        if user.role == Role.PATIENT:
            if patient.user_id is not None:
                raise errors.PatientHasLogin(id=patient_id)
            patient.user_id = user.id
        else:
            db.session.add(
                Guardian(
                    patient_id=patient.id,
                    name=user.display_name or user.username,
                    email=user.email,
                    user_id=user.id,
                )
            )


def patients_of_login(user: User) -> list[int]:
    """The patients a patient's login (its own patient) or a guardian's login
    (every child linked to it, a link ended by age or protection included)
    acts for, by id."""
    if user.role == Role.PATIENT:
        query = sa.select(Patient.id).where(Patient.user_id == user.id)
    elif user.role == Role.GUARDIAN:
        query = sa.select(Guardian.patient_id).where(Guardian.user_id == user.id)
    else:
        return []
    return sorted(db.session.scalars(query))


# A notice's recipient, last in its dedupe key: "...:guardian:7" (":sms" after).
_TO_GUARDIAN = re.compile(r":guardian:(\d+)(?::sms)?$")


def may_still_hear(mail: OutgoingMail) -> bool:
    """Whether a queued notice may go to its recipient now: one to a guardian
    only while the guardian may act for the child (the link kept, no
    protected identity, under 18 today), as `access` has it on the pages.
    A mail queued the day before the 18th birthday and sent after midnight
    went to the parent of an adult."""
    found = _TO_GUARDIAN.search(mail.dedupe_key or "")
    if found is None:
        return True
    guardian = db.session.get(Guardian, int(found.group(1)))
    if guardian is None or guardian.patient_id != mail.patient_id:
        return False
    child = guardian.patient
    return not child.protected_identity and (
        child.birth_date is None or child.birth_date > adult_born_before()
    )
