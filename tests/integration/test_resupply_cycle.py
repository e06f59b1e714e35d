"""The resupply cycle over simulated weeks: a first reminder when the next
withdrawal opens (or run-out nears), then weekly, three in all; an order or an
opt-out ends it; the patient's channel decides e-mail or SMS; a guardian blocked
from a protected child gets nothing."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

from sesamlike.common.mail import send_pending
from sesamlike.common.models import OutgoingMail
from sesamlike.common.time import utcnow
from sesamlike.extensions import db
from sesamlike.patients.models import Guardian, ReminderPreference
from sesamlike.portal.jobs import queue_reminders
from sesamlike.portal.models import ResupplyCycle
from tests.factories import make_patient
from tests.integration.test_reminder_job import Region

REMINDER_KINDS = ("runout_reminder", "time_lock_open", "resupply_reminder")
LOCK_OPENS = date(2026, 3, 11)


def lock_opening_region():
    """One withdrawal taken 10 January, 60 days' lock: the next opens 11 March."""
    region = Region()
    prescription = region.prescription(
        withdrawals_used=1, last_withdrawal_on=date(2026, 1, 10), lock_days=60
    )
    return region, prescription


def days(first: date, last: date):
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def reminders() -> list[OutgoingMail]:
    return list(
        db.session.scalars(
            sa.select(OutgoingMail)
            .where(OutgoingMail.kind.in_(REMINDER_KINDS))
            .order_by(OutgoingMail.id)
        )
    )


def run_days(first: date, last: date) -> dict[date, list[str]]:
    """Run the daily job for each day; which reminder kinds each day queued."""
    sent: dict[date, list[str]] = {}
    for day in days(first, last):
        before = {m.id for m in reminders()}
        queue_reminders(day)
        new = [m.kind for m in reminders() if m.id not in before]
        if new:
            sent[day] = new
    return sent


def test_three_reminders_a_week_apart_and_then_silence():
    lock_opening_region()
    sent = run_days(date(2026, 3, 1), date(2026, 5, 31))
    assert sent == {
        LOCK_OPENS: ["time_lock_open"],
        LOCK_OPENS + timedelta(days=7): ["resupply_reminder"],
        LOCK_OPENS + timedelta(days=14): ["resupply_reminder"],
    }
    second, third = [m for m in reminders() if m.kind == "resupply_reminder"]
    assert "påminnelse 2 av 3" in second.body and "påminnelse 3 av 3" in third.body
    assert "/portal/order?rx=" in third.body  # one click to the filled-in order
    assert "/portal/reminders" in third.body  # where to opt out
    cycle = db.session.scalar(sa.select(ResupplyCycle))
    assert (cycle.notices, cycle.ended_reason) == (3, "last_notice")


def test_an_order_ends_the_cycle():
    region, prescription = lock_opening_region()
    run_days(date(2026, 3, 1), LOCK_OPENS + timedelta(days=3))
    # The patient orders: a withdrawal is taken and a line is on its way.
    prescription.withdrawals_used += 1
    prescription.last_withdrawal_on = LOCK_OPENS + timedelta(days=3)
    db.session.commit()
    region.delivered(prescription, 1, None, status="reserved")

    sent = run_days(LOCK_OPENS + timedelta(days=4), date(2026, 4, 30))
    assert sent == {}
    assert [m.kind for m in reminders()] == ["time_lock_open"]
    cycle = db.session.scalar(sa.select(ResupplyCycle))
    assert cycle.ended_reason == "ordered"


def test_an_opt_out_stops_every_reminder():
    region, prescription = lock_opening_region()
    run_days(date(2026, 3, 1), LOCK_OPENS)
    db.session.add(ReminderPreference(patient_id=region.patient.id, opted_out=True))
    db.session.commit()

    assert run_days(LOCK_OPENS + timedelta(days=1), date(2026, 5, 31)) == {}
    assert len(reminders()) == 1
    cycle = db.session.scalar(sa.select(ResupplyCycle))
    assert cycle.ended_reason == "opted_out"


def test_an_opted_out_patient_gets_not_even_the_first_reminder():
    region, _prescription = lock_opening_region()
    db.session.add(ReminderPreference(patient_id=region.patient.id, opted_out=True))
    db.session.commit()
    assert run_days(date(2026, 3, 1), date(2026, 4, 30)) == {}


def test_sms_reminders_go_to_the_phone_and_through_the_sms_sender(
    app, monkeypatch, tmp_path
):
    region, _prescription = lock_opening_region()
    region.patient.phone = "070-123 45 67"
    db.session.add(ReminderPreference(patient_id=region.patient.id, channel="sms"))
    db.session.commit()
    monkeypatch.setitem(app.config, "SMS_FILE", str(tmp_path / "sms.txt"))

    run_days(date(2026, 3, 1), LOCK_OPENS + timedelta(days=7))
    assert [(m.channel, m.to_address) for m in reminders()] == [
        ("sms", "070-123 45 67"),
        ("sms", "070-123 45 67"),
    ]
    counts = send_pending(utcnow())
    assert counts["sent"] == 2
    lines = Path(tmp_path / "sms.txt").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and lines[0].startswith("070-123 45 67\t")
    assert "Påminnelse 2 av 3" in lines[1]
    assert all(m.sent_at is not None for m in reminders())


def test_no_reminder_reaches_a_guardian_blocked_from_a_protected_child():
    region = Region()
    child = make_patient(
        region.clinic,
        first_name="Sara",
        birth_date=date(2016, 5, 1),
        protected_identity=True,
    )
    child.guardians.append(Guardian(name="Karin Berg", email="karin@example.se"))
    db.session.commit()
    region.prescription(
        child, withdrawals_used=1, last_withdrawal_on=date(2026, 1, 10), lock_days=60
    )
    assert run_days(date(2026, 3, 1), date(2026, 5, 31)) == {}
    assert reminders() == []


def test_run_out_and_lock_opening_on_one_day_send_one_notice_and_three_in_all():
    """A delivery on 1 March lasting 30 days, 20 days' lock: the run-out window
    and the lock both open on 21 March. One notice that day, three in the cycle."""
    region = Region()
    prescription = region.prescription(
        withdrawals_used=1, last_withdrawal_on=date(2026, 3, 1), lock_days=20
    )
    region.delivered(prescription, 1, date(2026, 3, 1))

    sent = run_days(date(2026, 3, 1), date(2026, 5, 31))
    assert sent == {
        date(2026, 3, 21): ["runout_reminder"],
        date(2026, 3, 28): ["resupply_reminder"],
        date(2026, 4, 4): ["resupply_reminder"],
    }
    [first] = [m for m in reminders() if m.kind == "runout_reminder"]
    assert "Nästa uttag kan beställas nu." in first.body
