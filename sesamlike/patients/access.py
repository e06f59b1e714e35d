"""Who may see which patient: role, care relationship, guardian link, protection.

Every service that touches a patient goes through here, so pages, API and jobs
obey the same rules.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from sesamlike.accounts import audit
from sesamlike.accounts.models import Role, User, user_clinics
from sesamlike.common.errors import NotVisible
from sesamlike.extensions import db
from sesamlike.patients.models import CareRelationship, Guardian, Patient

# Roles that reach patients through their clinics' care relationships.
CLINIC_ROLES = frozenset({Role.PRESCRIBER, Role.MANAGER})
# The aids centre delivers to every patient; the region follows up all.
REGION_WIDE_ROLES = frozenset({Role.DEPOT, Role.REGION})


def visible_patient_filter(user: User) -> sa.ColumnElement[bool]:
    """A WHERE clause on Patient for the patients this user may see."""
    role = user.role
    if role in REGION_WIDE_ROLES:
        return sa.true()
    if role in CLINIC_ROLES:
        clinic_ids = sa.select(user_clinics.c.clinic_id).where(
            user_clinics.c.user_id == user.id
        )
        return Patient.id.in_(
            sa.select(CareRelationship.patient_id).where(
                CareRelationship.clinic_id.in_(clinic_ids),
                CareRelationship.ended_on.is_(None),
            )
        )
    if role == Role.PATIENT:
        return Patient.user_id == user.id
    if role == Role.GUARDIAN:
        # A child with protected identity cannot be acted for online, and
        # guardianship ends on the 18th birthday.
        return sa.and_(
            Patient.id.in_(
                sa.select(Guardian.patient_id).where(Guardian.user_id == user.id)
            ),
            Patient.protected_identity.is_(False),
            sa.or_(
                Patient.birth_date.is_(None), Patient.birth_date > adult_born_before()
            ),
        )
    return sa.false()


def adult_born_before(today: date | None = None) -> date:
    """Whoever was born on or before this day is 18 or older today."""
    today = today or date.today()
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


def get_patient(
    user: User, patient_id: int, *, action: str = "read", detail: str | None = None
) -> Patient:
    """Load a patient this user may see and audit the access; else NotVisible."""
    patient = db.session.scalar(
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
    )
    return patient


def can_see_address(user: User, patient: Patient) -> bool:
    """Protected identity hides the address from everyone but the aids centre."""
    return not patient.protected_identity or user.role == Role.DEPOT
