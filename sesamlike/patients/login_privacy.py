"""Logins that would say who a patient with protected identity is.

An admin has no need to know who a patient is (domain.md), and a patient with
protected identity is shown by id only everywhere an admin looks. The login of
such a patient carries the patient's name and e-mail; a guardian's login the
family's. The user administration shows neither for these logins and finds
them by username only (`accounts.administration`, `hidden=protected_logins()`).
"""

from __future__ import annotations

import sqlalchemy as sa

from sesamlike.patients.models import Guardian, Patient


def protected_logins() -> sa.CompoundSelect:
    """The ids of the own and guardians' logins of patients with protected identity.

    A guardian's stays hidden after the child turns 18: the name still says who.
    """
    own = sa.select(Patient.user_id).where(
        Patient.protected_identity.is_(True), Patient.user_id.is_not(None)
    )
    guardians = (
        sa.select(Guardian.user_id)
        .join(Patient, Patient.id == Guardian.patient_id)
        .where(Patient.protected_identity.is_(True), Guardian.user_id.is_not(None))
    )
    return sa.union(own, guardians)
