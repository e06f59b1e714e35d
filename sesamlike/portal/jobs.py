"""The daily reminder job: run-out, time lock open, and prescriptions running low.

Safe to repeat: every notice has a dedupe key, so a second run the same day (or a
run after a missed day) queues only what is new.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from sesamlike.common.time import REGION_TIMEZONE
from sesamlike.extensions import db
from sesamlike.orders import notices
from sesamlike.orders.models import OPEN_LINE_STATUSES, LineStatus, OrderLine
from sesamlike.patients.models import Patient
from sesamlike.portal.runout import last_deliveries, prescription_runout, reminder_on
from sesamlike.prescriptions.models import Prescription, PrescriptionStatus

# The region's calendar decides what "today" is for a job started at `now`.
# A lock that opened while the job was not running is still announced this late.
LOCK_OPEN_GRACE_DAYS = 3
EXPIRY_NOTICE_DAYS = 30

COUNT_KEYS = (
    "runout_reminder",
    "time_lock_open",
    "prescription_low",
    "prescription_expiring",
    "no_address",
)


def run(now: datetime) -> dict[str, int]:
    """Scheduler entry point: queue today's reminders in the region's calendar."""
    return queue_reminders(now.astimezone(REGION_TIMEZONE).date())


def queue_reminders(today: date) -> dict[str, int]:
    """Queue the day's reminders for every active prescription; commit once."""
    counts = dict.fromkeys(COUNT_KEYS, 0)
    days_before = int(current_app.config.get("RUNOUT_REMINDER_DAYS", 10))
    prescriptions = _active_prescriptions(today)
    deliveries = last_deliveries()
    awaiting = _awaiting_delivery()
    renewed = _renewed()
    for prescription in prescriptions:
        patient = prescription.patient
        reaches_patient = bool(notices.patient_recipients(patient, today))
        reaches_prescriber = notices.prescriber_recipient(prescription) is not None
        if prescription.id not in awaiting:
            delivery = deliveries.get(prescription.id)
            runout_on = prescription_runout(prescription, delivery)
            if runout_on and reminder_on(runout_on, days_before) <= today <= runout_on:
                queued = notices.runout_reminder(prescription, runout_on, today)
                _tally(counts, "runout_reminder", queued, reaches_patient)
        if _lock_opens(prescription, today):
            queued = notices.time_lock_open(prescription, today)
            _tally(counts, "time_lock_open", queued, reaches_patient)
        if prescription.id in renewed:
            continue
        if prescription.withdrawals > 1 and prescription.remaining_withdrawals == 1:
            queued = [notices.prescription_low(prescription)]
            _tally(counts, "prescription_low", queued, reaches_prescriber)
        if prescription.valid_to <= today + timedelta(days=EXPIRY_NOTICE_DAYS):
            queued = [notices.prescription_expiring(prescription)]
            _tally(counts, "prescription_expiring", queued, reaches_prescriber)
    db.session.commit()
    return counts


def _active_prescriptions(today: date) -> list[Prescription]:
    found = db.session.scalars(
        sa.select(Prescription)
        .where(
            Prescription.status == PrescriptionStatus.ACTIVE,
            Prescription.valid_to >= today,
            Prescription.withdrawals_used < Prescription.withdrawals,
        )
        .options(
            selectinload(Prescription.article),
            selectinload(Prescription.prescriber),
            selectinload(Prescription.patient).selectinload(Patient.guardians),
        )
        .order_by(Prescription.id)
    ).all()
    return [p for p in found if p.status_on(today) == PrescriptionStatus.ACTIVE]


def _awaiting_delivery() -> set[int]:
    """Active prescriptions with an order on its way: no run-out reminder for them."""
    return set(
        db.session.scalars(
            sa.select(OrderLine.prescription_id)
            .join(Prescription, Prescription.id == OrderLine.prescription_id)
            .where(
                Prescription.status == PrescriptionStatus.ACTIVE,
                OrderLine.status.in_(OPEN_LINE_STATUSES | {LineStatus.SHIPPED}),
            )
            .distinct()
        )
    )


def _renewed() -> set[int]:
    """Prescriptions already renewed: the prescriber needs no notice about them."""
    return set(
        db.session.scalars(
            sa.select(Prescription.renewed_from_id)
            .where(
                Prescription.renewed_from_id.is_not(None),
                Prescription.status != PrescriptionStatus.CANCELLED,
            )
            .distinct()
        )
    )


def _lock_opens(prescription: Prescription, today: date) -> bool:
    """The time lock after an earlier withdrawal opened today (or just before)."""
    opens_on = prescription.next_withdrawal_on
    if prescription.last_withdrawal_on is None or opens_on is None:
        return False
    return (
        opens_on <= today <= opens_on + timedelta(days=LOCK_OPEN_GRACE_DAYS)
        and opens_on <= prescription.valid_to
    )


def _tally(counts: dict, key: str, queued: list, reached: bool) -> None:
    counts[key] += sum(1 for mail in queued if mail is not None)
    if not reached:
        counts["no_address"] += 1
