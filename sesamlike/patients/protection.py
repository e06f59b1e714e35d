"""What protected identity changes beyond the patient's record, the moment it
is set (by the admin or the patient's prescriber), in the caller's transaction.

A guardian may not act for a protected child online: their waiting mail goes
no more. And the patient's orders not sent yet go to the clinic, in the books
as on the parcel (`orders.delivery.reroute_to_clinic`, given at app start: the
orders area is above this one), so the clinic finds them among the orders to
hand over.
"""

from __future__ import annotations

from collections.abc import Callable

from sesamlike.accounts.models import User
from sesamlike.common import mail
from sesamlike.patients.models import Patient

_then: list[Callable[[Patient, User], object]] = []


def register_on_protected(step: Callable[[Patient, User], object]) -> None:
    """`step(patient, user)` runs when protected identity is set on a patient."""
    if step not in _then:
        _then.append(step)


def protected(patient: Patient, user: User) -> None:
    """Protected identity was just set on `patient` by `user`."""
    mail.withdraw_unsent(patient.id, "guardian", "protected identity")
    for step in _then:
        step(patient, user)
