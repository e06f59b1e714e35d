"""Renewing a prescription: a new one from an old one, checked as a new one.

The page and the API renew alike (`renew`); the page asks the prescriber to
confirm what a new prescription's page asks (a quantity above the expected use;
not the start, which is worked out, not typed) and shows the renewal's terms
(`renewal_preview`); the API's schema faults are answered with the rules'
(`faults.renewal_faults`).
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from sesamlike.accounts.models import User
from sesamlike.catalog import services as catalog
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.patients import access, care_end
from sesamlike.patients.models import Patient
from sesamlike.prescriptions import checks, rules, services
from sesamlike.prescriptions.errors import (
    CancelledNotRenewable,
    PrescriptionAlreadyRenewed,
)
from sesamlike.prescriptions.models import Prescription, PrescriptionStatus


def renew(
    user: User,
    prescription_id: int,
    valid_from: date | None = None,
    valid_to: date | None = None,
    packs_per_withdrawal: int | None = None,
    withdrawals: int | None = None,
    period_days: int | None = None,
    lock_days: int | None = None,
    reason_code: str | None = None,
    reason_text: str | None = None,
    cost_centre: str | None = None,
    patient_id: int | None = None,
    *,
    quantity_confirmed: bool = True,
    any_start: bool = True,
    start_confirmed: bool = True,
) -> Prescription:
    """A new prescription from an old one; the old one keeps its history.

    Unless told otherwise the renewal has the old terms, starts the day after a
    still active prescription ends (today otherwise), lasts as long as the old
    one did, and carries on its time lock from the last withdrawal. It passes
    the checks of a new one (`prescribe`, whose flags these are): the pages
    confirm a quantity above the expected use (and a start given more than 90
    days ahead; the worked-out start needs no confirming, and none is more
    than two years ahead); the API takes quantities and a start as given.
    """
    services.require_prescriber(user)
    old = services.load_prescription(user, prescription_id, patient_id, for_update=True)
    with access.refusal_logs_read(user, old.patient_id, "refused renewal"):
        care_end.refuse_if_ended(user, old.patient)
        check_renewable(old)
        terms, reason, clinic, centre = checked_renewal(
            user,
            old,
            region_today(),
            dict(
                valid_from=valid_from,
                valid_to=valid_to,
                packs_per_withdrawal=packs_per_withdrawal,
                withdrawals=withdrawals,
                period_days=period_days,
                lock_days=lock_days,
                reason_code=reason_code,
                reason_text=reason_text,
                cost_centre=cost_centre,
            ),
            quantity_confirmed=quantity_confirmed,
            any_start=any_start,
            start_confirmed=start_confirmed,
        )
        renewal = services.new_prescription(
            user, old.patient, old.article, clinic, centre, terms, reason
        )
        renewal.renewed_from_id = old.id
        # The time lock runs on from the last withdrawal: renewing opens no extra one.
        renewal.last_withdrawal_on = old.last_withdrawal_on
        services.audit_prescription(user, renewal, "renew", f"renewed from {old.id}")
        db.session.commit()
        return renewal


def check_renewable(old: Prescription) -> None:
    """A cancelled prescription, or one renewed already, is not renewed (409)."""
    if old.status == PrescriptionStatus.CANCELLED:
        raise CancelledNotRenewable()
    if live_renewal_exists(old.id):
        raise PrescriptionAlreadyRenewed()


def renewal_terms(old: Prescription, today: date, **given) -> dict[str, object]:
    """A renewal's quantities and days (`rules.resolve_terms`'s arguments):
    those given, else the old ones; its start the day after a still active
    prescription ends (today otherwise), lasting as long as the old one did."""
    start = given.get("valid_from") or rules.renewal_start(
        today, old.valid_to, old.status_on(today) == PrescriptionStatus.ACTIVE
    )
    end = given.get("valid_to") or rules.renewal_end(
        start, old.valid_from, old.valid_to, old.article.category
    )
    lock_days = given.get("lock_days")
    if lock_days is None and given.get("period_days") is None:
        lock_days = old.lock_days
    terms: dict[str, object] = {
        name: getattr(old, name) if given.get(name) is None else given[name]
        for name in ("packs_per_withdrawal", "withdrawals", "period_days")
    }
    return dict(terms, valid_from=start, valid_to=end, lock_days=lock_days)


def checked_renewal(
    user: User,
    old: Prescription,
    today: date,
    given: dict,
    *,
    quantity_confirmed: bool = True,
    any_start: bool = True,
    start_confirmed: bool = True,
):
    """Every check of a renewal at once, as of a new prescription (`prescribe`):
    the contract, the terms, fit, reason, clinic and cost centre, the quantity
    (unless confirmed) and the start: judged as on a page (`any_start=False`),
    else taken as given. `given`: `renew`'s terms, reason
    and cost centre (None: the old one's). No first-time right is needed:
    `old` is an earlier one of the same category.

    Returns (terms, (reason_code, reason_text), clinic, cost centre)."""
    article, patient = old.article, old.patient
    terms = renewal_terms(old, today, **given)
    reason_code, reason_text = given.get("reason_code"), given.get("reason_text")
    if reason_code is None and reason_text is None:
        reason_code, reason_text = old.reason_code, old.reason_text
    keep_clinic = (
        old.clinic.code if old.clinic_id in _shared_clinic_ids(user, patient) else None
    )
    start, end = terms["valid_from"], terms["valid_to"]
    _contract, (terms_, reason, clinic, centre), _start = rules.collect(
        lambda: rules.check_contract(
            article, today, catalog.is_prescribable(article, today)
        ),
        lambda: checks.checked(
            user,
            patient,
            article,
            terms,
            (reason_code, reason_text),
            keep_clinic,
            given.get("cost_centre"),
            checks.patient_pumps(patient.id),
            today,
            quantity_confirmed,
        ),
        # The API takes a start as given, as for a new prescription (the
        # calendar's end aside, `resolve_terms`). On a page, a start worked
        # out from the old one (the day after it ends) is no date typed:
        # nothing to confirm, only the two-year limit.
        lambda: (
            None
            if any_start
            else rules.check_latest_start(start, today)
            if given.get("valid_from") is None
            else rules.check_start(start, end, today, start_confirmed)
        ),
    )
    if not centre:
        centre = old.cost_centre if clinic.id == old.clinic_id else clinic.cost_centre
    return terms_, reason, clinic, centre


def renewal_preview(
    user: User, prescription_id: int, patient_id: int | None = None
) -> tuple[Prescription, dict[str, object]]:
    """A prescription and the terms its renewal would have (`renewal_terms`),
    for a page that asks to confirm them; read within a refused renewal,
    whose read is logged."""
    services.require_prescriber(user)
    old = services.load_prescription(user, prescription_id, patient_id)
    return old, renewal_terms(old, region_today())


def live_renewal_exists(prescription_id: int) -> bool:
    return bool(renewed_ids([prescription_id]))


def renewed_ids(prescription_ids: list[int]) -> set[int]:
    """Those of the prescriptions with a renewal not cancelled, in one query."""
    if not prescription_ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(Prescription.renewed_from_id).where(
                Prescription.renewed_from_id.in_(prescription_ids),
                Prescription.status != PrescriptionStatus.CANCELLED,
            )
        )
    )


def _shared_clinic_ids(user: User, patient: Patient) -> set[int]:
    return user.clinic_ids & patient.clinic_ids
