"""Taking over a prescription of another clinic (a patient who moved clinic).

The unit that prescribes pays (domain.md): a patient who moves to another
clinic brings prescriptions of the old one that run for months, and until
they end the old clinic pays for every delivery on them. The new clinic takes
them over: each ends yesterday, and a prescription of the new clinic carries
on from today with what was left of it (withdrawals, terms, validity, the time
lock from the last withdrawal). What was ordered before stays the old
clinic's cost; what is ordered from today is the new one's. The new
prescription continues the old one (`renewed_from_id`), as a renewal does, so
the patient's supplies and reminders follow it; the old one names it
(`taken_over_by_id`), so a withdrawal given back to the old one afterwards (an
order placed before, cancelled after) is the new one's.
"""

from __future__ import annotations

from datetime import date, timedelta

from sesamlike.accounts.models import Clinic, User
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.patients import access, care_end
from sesamlike.prescriptions import checks, rules, services
from sesamlike.prescriptions.errors import (
    AlreadyOwnClinics,
    TakeOverNotActive,
    TakeOverOfRenewed,
)
from sesamlike.prescriptions.models import Prescription, PrescriptionStatus
from sesamlike.prescriptions.renewals import live_renewal_exists, renewed_ids


def take_over(
    user: User,
    prescription_id: int,
    patient_id: int | None = None,
    today: date | None = None,
) -> Prescription:
    """The prescription of another clinic, now `user`'s clinic's: the new one."""
    services.require_prescriber(user)
    today = today or region_today()
    old = services.load_prescription(user, prescription_id, patient_id, for_update=True)
    with access.refusal_logs_read(user, old.patient_id, "refused take-over"):
        new = _taken_over(user, old, today)
        db.session.commit()
    return new


def take_over_all(user: User, patient_id: int, today: date | None = None) -> int:
    """Every prescription of the patient `take_over` would take (renewed ones
    aside: their renewal is taken over once it begins): how many."""
    services.require_prescriber(user)
    today = today or region_today()
    patient = services.visible_patient(user, patient_id, for_update=True)
    in_force = db.session.scalars(
        services.in_force_query(patient.id, today)
        .order_by(Prescription.id)
        .with_for_update(of=Prescription)
    ).all()
    renewed = renewed_ids([rx.id for rx in in_force])
    taken = [
        rx
        for rx in in_force
        if may_take_over(rx, user.clinic_ids, today) and rx.id not in renewed
    ]
    with access.refusal_logs_read(user, patient.id, "refused take-over"):
        for old in taken:
            _taken_over(user, old, today)
        db.session.commit()
    return len(taken)


def may_take_over(rx: Prescription, own_clinic_ids: set[int], today: date) -> bool:
    """Whether the page offers to take `rx` over: another clinic's, begun
    before today, with withdrawals left (not whether it was renewed)."""
    return (
        rx.clinic_id not in own_clinic_ids
        and rx.status_on(today) == PrescriptionStatus.ACTIVE
        and rx.valid_from < today
    )


def taking_clinic(user: User, patient) -> Clinic | None:
    """The clinic of `user`'s that would take over: the first caring for the
    patient (as a new prescription's default)."""
    shared = [c for c in checks.sorted_clinics(user) if c.id in patient.clinic_ids]
    return shared[0] if shared else None


def _taken_over(user: User, old: Prescription, today: date) -> Prescription:
    # Read with the patient locked (`services.load_prescription`): the end of
    # care registered meanwhile ended the prescriptions it saw, not this one.
    care_end.refuse_if_ended(user, old.patient)
    if old.clinic_id in user.clinic_ids:
        raise AlreadyOwnClinics(clinic=old.clinic.name)
    if old.status_on(today) != PrescriptionStatus.ACTIVE or old.valid_from >= today:
        raise TakeOverNotActive()
    if live_renewal_exists(old.id):
        raise TakeOverOfRenewed()
    patient = old.patient
    clinic = rules.choose_clinic(checks.sorted_clinics(user), patient.clinic_ids, None)
    terms = rules.Terms(
        packs_per_withdrawal=old.packs_per_withdrawal,
        withdrawals=old.remaining_withdrawals,
        period_days=old.period_days,
        lock_days=old.lock_days,
        valid_from=today,
        valid_to=old.valid_to,
    )
    new = services.new_prescription(
        user, patient, old.article, clinic, clinic.cost_centre, terms,
        (old.reason_code, old.reason_text),
    )  # fmt: skip
    new.renewed_from_id = old.id
    # What tells a take-over from a renewal: a withdrawal given back to the
    # old one from now on (an order placed on it before, cancelled after)
    # goes on to the new one (`orders.withdrawals.give_back`).
    old.taken_over_by_id = new.id
    # The time lock runs on from the last withdrawal: taking over opens none.
    new.last_withdrawal_on = old.last_withdrawal_on
    old.valid_to = today - timedelta(days=1)
    services.audit_prescription(
        user, old, "take_over", f"ended {old.valid_to}: taken over by {clinic.code}"
    )
    services.audit_prescription(
        user, new, "take_over", f"from {old.id} ({old.clinic.code})"
    )
    return new
