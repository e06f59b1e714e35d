"""The daily reminder job: run-out, time lock open, prescriptions running low."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from sesamlike.common.mail import send_pending
from sesamlike.common.models import OutgoingMail
from sesamlike.common.time import utcnow
from sesamlike.extensions import db
from sesamlike.patients.models import Guardian
from sesamlike.portal.jobs import queue_reminders, run
from tests.factories import (
    ADULT_PNR,
    make_article,
    make_clinic,
    make_order,
    make_patient,
    make_prescription,
    make_user,
)
from tests.smtp import smtp_server  # noqa: F401


class Region:
    """A clinic, a prescriber with an address and an adult patient with one."""

    def __init__(self, prescriber_email="eva.ek@region.example.se"):
        self.clinic = make_clinic()
        self.prescriber = make_user(
            "prescriber",
            clinics=[self.clinic],
            display_name="Eva Ek",
            email=prescriber_email,
        )
        self.patient = make_patient(
            self.clinic,
            personal_id=ADULT_PNR,
            first_name="Anna",
            last_name="Lindqvist",
            email="anna@example.se",
        )
        self.sets = make_article(
            name="Mio infusionsset 6 mm", pack_size=10, units_per_day=Decimal("0.3333")
        )

    def prescription(self, patient=None, **kw):
        kw.setdefault("valid_from", date(2026, 1, 1))
        kw.setdefault("valid_to", date(2026, 12, 31))
        return make_prescription(
            patient or self.patient, kw.pop("article", self.sets), self.prescriber, **kw
        )

    def delivered(self, prescription, packs: int, on: date, status="delivered"):
        return make_order(prescription.patient, [(prescription, packs, status, on)])


def kinds(counts: dict) -> dict:
    return {key: n for key, n in counts.items() if n}


def mails(kind: str) -> list[OutgoingMail]:
    return list(
        db.session.scalars(
            sa.select(OutgoingMail)
            .where(OutgoingMail.kind == kind)
            .order_by(OutgoingMail.id)
        )
    )


def supplied_region():
    """One pack of 10 sets delivered 1 March lasts 30 days: runs out 31 March."""
    region = Region()
    prescription = region.prescription(
        withdrawals_used=1, last_withdrawal_on=date(2026, 3, 1), lock_days=60
    )
    region.delivered(prescription, 1, date(2026, 3, 1))
    return region, prescription


def test_the_runout_reminder_goes_ten_days_before_the_estimated_runout():
    supplied_region()

    assert kinds(queue_reminders(date(2026, 3, 20))) == {}
    assert kinds(queue_reminders(date(2026, 3, 21))) == {"runout_reminder": 1}
    assert kinds(queue_reminders(date(2026, 3, 21))) == {}
    assert kinds(queue_reminders(date(2026, 3, 22))) == {}

    [mail] = mails("runout_reminder")
    assert mail.to_address == "anna@example.se"
    assert mail.subject == "Dags att beställa Mio infusionsset 6 mm"
    assert "Mio infusionsset 6 mm till omkring 31 mars 2026." in mail.body
    assert "Nästa uttag kan beställas från 30 april 2026." in mail.body
    assert "Lindqvist" not in mail.body and ADULT_PNR not in mail.body


def test_the_days_before_runout_come_from_the_configuration(app, monkeypatch):
    monkeypatch.setitem(app.config, "RUNOUT_REMINDER_DAYS", 5)
    supplied_region()

    assert kinds(queue_reminders(date(2026, 3, 25))) == {}
    assert kinds(queue_reminders(date(2026, 3, 26))) == {"runout_reminder": 1}


def test_a_missed_day_is_caught_up_but_not_after_the_runout():
    supplied_region()

    assert kinds(queue_reminders(date(2026, 4, 1))) == {}
    assert kinds(queue_reminders(date(2026, 3, 31))) == {"runout_reminder": 1}


def test_the_runout_counts_from_the_last_delivery_day():
    region, prescription = supplied_region()
    region.delivered(prescription, 2, date(2026, 3, 10))  # 60 days: 9 May

    assert kinds(queue_reminders(date(2026, 3, 21))) == {}
    assert kinds(queue_reminders(date(2026, 4, 29))) == {"runout_reminder": 1}
    assert "omkring 9 maj 2026" in mails("runout_reminder")[0].body


def test_no_runout_reminder_while_an_order_is_on_its_way():
    region, prescription = supplied_region()
    region.delivered(prescription, 1, None, status="shipped")

    assert kinds(queue_reminders(date(2026, 3, 21))) == {}


def test_no_runout_reminder_for_lent_devices():
    region = Region()
    pump = make_article(
        name="MiniMed 780G", category="pump", pack_size=1, units_per_day=None
    )
    prescription = region.prescription(article=pump, withdrawals=2)
    region.delivered(prescription, 1, date(2026, 1, 10))

    assert "runout_reminder" not in kinds(queue_reminders(date(2026, 3, 21)))


def test_the_time_lock_notice_goes_on_the_day_the_lock_opens():
    region = Region()
    region.prescription(
        withdrawals_used=1, last_withdrawal_on=date(2026, 1, 10), lock_days=60
    )  # opens 11 March

    assert kinds(queue_reminders(date(2026, 3, 10))) == {}
    assert kinds(queue_reminders(date(2026, 3, 11))) == {"time_lock_open": 1}
    assert kinds(queue_reminders(date(2026, 3, 11))) == {}
    assert kinds(queue_reminders(date(2026, 3, 12))) == {}

    [mail] = mails("time_lock_open")
    assert mail.to_address == "anna@example.se"
    assert mail.subject == "Nu kan du beställa Mio infusionsset 6 mm"
    assert "Från 11 mars 2026 kan nästa uttag" in mail.body
    assert "Uttag kvar på förskrivningen: 3." in mail.body


def test_no_time_lock_notice_for_a_prescription_never_withdrawn():
    Region().prescription(valid_from=date(2026, 3, 11))

    assert kinds(queue_reminders(date(2026, 3, 11))) == {}


def test_a_childs_reminders_go_to_the_guardian():
    region = Region()
    child = make_patient(region.clinic, first_name="Elsa", birth_date=date(2016, 5, 1))
    child.guardians.append(Guardian(name="Karin Berg", email="karin@example.se"))
    db.session.commit()
    region.prescription(
        child, withdrawals_used=1, last_withdrawal_on=date(2026, 1, 10), lock_days=60
    )

    queue_reminders(date(2026, 3, 11))

    [mail] = mails("time_lock_open")
    assert mail.to_address == "karin@example.se"
    assert mail.body.startswith("Hej! Det här gäller Elsa.")


def test_the_prescriber_hears_once_when_one_withdrawal_is_left():
    region = Region()
    prescription = region.prescription(
        withdrawals=4, withdrawals_used=3, last_withdrawal_on=date(2026, 3, 1)
    )

    assert kinds(queue_reminders(date(2026, 3, 2))) == {"prescription_low": 1}
    assert kinds(queue_reminders(date(2026, 3, 3))) == {}

    [mail] = mails("prescription_low")
    assert mail.to_address == "eva.ek@region.example.se"
    assert mail.patient_id == region.patient.id
    assert mail.subject == f"Förskrivning {prescription.id}: ett uttag kvar"
    assert mail.body.startswith("Hej Eva Ek!")
    assert "Mio infusionsset 6 mm för Anna har ett uttag kvar" in mail.body
    assert f"/patients/{region.patient.id}/prescriptions" in mail.body
    assert "Lindqvist" not in mail.body and ADULT_PNR not in mail.body


def test_a_single_withdrawal_prescription_raises_no_low_notice():
    Region().prescription(withdrawals=1)

    assert kinds(queue_reminders(date(2026, 3, 2))) == {}


def test_the_prescriber_hears_once_when_a_prescription_expires_within_30_days():
    region = Region()
    prescription = region.prescription(valid_to=date(2026, 4, 30))

    assert kinds(queue_reminders(date(2026, 3, 30))) == {}
    assert kinds(queue_reminders(date(2026, 3, 31))) == {"prescription_expiring": 1}
    assert kinds(queue_reminders(date(2026, 4, 1))) == {}

    [mail] = mails("prescription_expiring")
    assert mail.subject == f"Förskrivning {prescription.id} upphör 30 april 2026"
    assert "gäller till och med 30 april 2026 och har 4 uttag kvar" in mail.body


def test_a_renewed_prescription_raises_no_prescriber_notice():
    region = Region()
    old = region.prescription(valid_to=date(2026, 4, 30), withdrawals_used=3)
    region.prescription(valid_from=date(2026, 4, 1), renewed_from_id=old.id)

    assert kinds(queue_reminders(date(2026, 4, 1))) == {}


def test_a_prescriber_without_an_address_is_counted_not_mailed():
    region = Region(prescriber_email=None)
    region.prescription(valid_to=date(2026, 4, 30))

    assert kinds(queue_reminders(date(2026, 4, 1))) == {"no_address": 1}
    assert mails("prescription_expiring") == []


def test_cancelled_and_expired_prescriptions_raise_nothing():
    region = Region()
    region.prescription(
        status="cancelled", withdrawals_used=3, last_withdrawal_on=date(2026, 1, 10)
    )
    region.prescription(valid_to=date(2026, 3, 1), withdrawals_used=3)

    assert kinds(queue_reminders(date(2026, 3, 11))) == {}


def test_the_scheduler_entry_uses_the_swedish_calendar_day():
    Region().prescription(
        withdrawals_used=1, last_withdrawal_on=date(2026, 1, 10), lock_days=60
    )

    # 23:30 UTC on 10 March is already 11 March in Stockholm.
    counts = run(datetime(2026, 3, 10, 23, 30, tzinfo=UTC))

    assert kinds(counts) == {"time_lock_open": 1}


def test_patient_and_prescriber_notices_reach_their_inboxes(smtp_server):  # noqa: F811
    region, prescription = supplied_region()
    prescription.valid_to = date(2026, 4, 15)
    db.session.commit()

    queue_reminders(date(2026, 3, 21))
    assert send_pending(utcnow() + timedelta(seconds=1))["sent"] == 2

    [patient_mail] = smtp_server.to("anna@example.se")
    assert patient_mail.message["Subject"] == "Dags att beställa Mio infusionsset 6 mm"
    assert "Hej Anna!" in patient_mail.body
    [prescriber_mail] = smtp_server.to("eva.ek@region.example.se")
    assert prescriber_mail.message["Subject"] == (
        f"Förskrivning {prescription.id} upphör 15 april 2026"
    )
    assert "för Anna" in prescriber_mail.body


def test_reminder_links_are_full_addresses_and_the_first_says_where_to_opt_out(
    app, monkeypatch
):
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://hjalpmedel.region.se/")
    _region, prescription = supplied_region()
    queue_reminders(date(2026, 3, 21))

    [mail] = mails("runout_reminder")
    order_link = f"https://hjalpmedel.region.se/portal/order?rx={prescription.id}"
    assert f"Beställ på {order_link}\n" in mail.body
    assert "ändra det på https://hjalpmedel.region.se/portal/reminders" in mail.body


def test_the_lock_open_notice_links_to_the_development_server_without_public_url(
    app, monkeypatch
):
    monkeypatch.setitem(app.config, "PUBLIC_URL", None)
    region = Region()
    prescription = region.prescription(
        withdrawals_used=1, last_withdrawal_on=date(2026, 1, 10), lock_days=60
    )
    queue_reminders(date(2026, 3, 11))

    [mail] = mails("time_lock_open")
    assert f"http://127.0.0.1:5000/portal/order?rx={prescription.id}" in mail.body
    assert "ändra det på http://127.0.0.1:5000/portal/reminders" in mail.body


def renewed_region(old_valid_to: date):
    """A pack delivered 1 March on last year's prescription (runs out 31 March);
    its renewal, valid from 15 March, has no delivery of its own yet."""
    region = Region()
    old = region.prescription(
        valid_from=date(2025, 4, 1), valid_to=old_valid_to,
        withdrawals_used=1, last_withdrawal_on=date(2026, 3, 1),
    )  # fmt: skip
    region.delivered(old, 1, date(2026, 3, 1))
    renewal = region.prescription(valid_from=date(2026, 3, 15), renewed_from_id=old.id)
    return region, old, renewal


def test_a_renewal_reminds_of_what_the_renewed_prescription_delivered():
    """Before, the renewal counted only its own deliveries: none, so the
    patient was never reminded that the pack from March runs out."""
    _region, _old, renewal = renewed_region(old_valid_to=date(2026, 3, 14))

    assert kinds(queue_reminders(date(2026, 3, 21))) == {"runout_reminder": 1}
    assert "omkring 31 mars 2026" in mails("runout_reminder")[0].body
    assert db.session.get(type(renewal), renewal.id).article.name in (
        mails("runout_reminder")[0].body
    )


def test_a_prescription_and_its_renewal_in_force_together_remind_once():
    _region, _old, _renewal = renewed_region(old_valid_to=date(2026, 4, 30))

    assert kinds(queue_reminders(date(2026, 3, 21))) == {"runout_reminder": 1}


def test_no_runout_reminder_while_the_renewed_prescriptions_order_is_on_its_way():
    region, old, _renewal = renewed_region(old_valid_to=date(2026, 4, 30))
    region.delivered(old, 1, None, status="shipped")

    assert kinds(queue_reminders(date(2026, 3, 21))) == {}
