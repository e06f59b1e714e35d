"""A notice queued for a guardian is not sent once the guardian may no longer
act for the child.

The outbox is sent by a job (every minute, and with retries for hours while the
mail server is away). Protected identity set meanwhile, or the guardian's link
removed, must stop what still waits: a guardian may not act for a protected
child online (domain.md), and protection is often set because of someone close.
"""

from __future__ import annotations

import sqlalchemy as sa

from sesamlike.common.mail import send_pending
from sesamlike.common.models import OutgoingMail
from sesamlike.common.time import utcnow
from sesamlike.extensions import db
from sesamlike.orders import notices
from sesamlike.patients import administration
from sesamlike.patients import services as patient_services
from tests.factories import make_clinic, make_user
from tests.integration.test_notices import TODAY, child, commit, order_for
from tests.smtp import smtp_server  # noqa: F401


def _queued_child():
    clinic = make_clinic()
    patient = child(clinic)
    commit(notices.order_received(order_for(patient, "reserved"), TODAY))
    assert db.session.scalar(sa.select(sa.func.count(OutgoingMail.id))) == 1
    return clinic, patient


def test_protection_set_by_the_admin_stops_the_guardians_waiting_mail(
    smtp_server,  # noqa: F811
):
    _clinic, patient = _queued_child()

    administration.set_protection(make_user("admin"), patient.id, True, "Beslut")
    send_pending(utcnow())

    assert smtp_server.to("karin@example.se") == []


def test_protection_set_by_the_prescriber_stops_the_guardians_waiting_mail(
    smtp_server,  # noqa: F811
):
    clinic, patient = _queued_child()
    prescriber = make_user("prescriber", clinics=[clinic])

    patient_services.update_contact(
        prescriber, patient.id, {"protected_identity": True}
    )
    send_pending(utcnow())

    assert smtp_server.to("karin@example.se") == []


def test_a_removed_guardian_gets_no_waiting_mail(smtp_server):  # noqa: F811
    _clinic, patient = _queued_child()
    [guardian] = patient.guardians

    administration.remove_guardian(make_user("admin"), patient.id, guardian.id)
    send_pending(utcnow())

    assert smtp_server.to("karin@example.se") == []


def test_mail_to_a_guardian_still_allowed_is_sent(smtp_server):  # noqa: F811
    _queued_child()

    assert send_pending(utcnow())["sent"] == 1
    assert len(smtp_server.to("karin@example.se")) == 1


def test_a_guardians_mail_queued_the_day_before_the_18th_birthday_is_not_sent_on_it(
    smtp_server,  # noqa: F811
):
    """Queued on the eve (an order shipped late, or a mail the server refused
    and retried for hours), it went to the parent after midnight, when the
    link had ended: the guardian hears of the young adult no more from the
    18th birthday, in mail as on the pages."""
    from datetime import timedelta

    from sesamlike.common.time import region_today
    from sesamlike.patients.access import adult_born_before

    patient = child(make_clinic())
    patient.birth_date = adult_born_before()  # 18 today
    db.session.commit()
    eve = region_today() - timedelta(days=1)
    commit(notices.order_received(order_for(patient, "reserved"), eve))

    counts = send_pending(utcnow())

    assert smtp_server.to("karin@example.se") == []
    assert counts["sent"] == 0


def test_a_prescribers_waiting_mail_is_not_sent_once_they_left(
    smtp_server,  # noqa: F811
):
    """The life-events review: "one withdrawal left" queued for the nurse
    who then left (account deactivated), or whose clinic's care of the
    patient ended, still went to her address with the patient's first name
    and aid. The sender asks again who the prescription's prescriber is and
    whether they may still hear of the patient."""
    from sesamlike.accounts import services as accounts
    from tests.factories import make_article, make_patient, make_prescription

    clinic = make_clinic()
    nurse = make_user("prescriber", clinics=[clinic], email="nurse@region.se")
    colleague = make_user("prescriber", clinics=[clinic], email="col@region.se")
    patient = make_patient(clinic, first_name="Lova")
    sets = make_article(name="Mio infusionsset")
    gone = make_prescription(patient, sets, nurse, withdrawals=4)
    stays = make_prescription(patient, sets, colleague, withdrawals=4)
    for rx in (gone, stays):
        rx.withdrawals_used = 3
    db.session.commit()
    commit([notices.prescription_low(gone), notices.prescription_low(stays)])

    accounts.deactivate(nurse.username)
    counts = send_pending(utcnow())

    assert smtp_server.to("nurse@region.se") == []
    assert len(smtp_server.to("col@region.se")) == 1
    assert counts["sent"] == 1 and counts["withdrawn"] == 1


def test_a_guardians_sms_is_not_sent_after_the_18th_birthday_when_the_mail_server_is_away(  # noqa: E501
    app, monkeypatch, tmp_path
):
    """The mail server unreachable, the rest of the run's SMS still go out
    (their own gateway): the 18th birthday stops them there too."""
    from sesamlike.common.mail import MailKind, queue_mail
    from sesamlike.patients.access import adult_born_before
    from tests.workers import free_port

    sms_file = tmp_path / "sms.txt"
    monkeypatch.setitem(app.config, "SMS_FILE", str(sms_file))
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", str(free_port()))
    patient = child(make_clinic())
    patient.birth_date = adult_born_before()  # 18 today
    [guardian] = patient.guardians
    queue_mail("anna@example.se", "S", "B", MailKind.ORDER_RECEIVED, "a:patient:1")
    queue_mail("0701234567", "S", "B", MailKind.RESUPPLY_REMINDER,
               f"r:guardian:{guardian.id}:sms", patient.id, channel="sms")  # fmt: skip
    db.session.commit()

    counts = send_pending(utcnow())

    assert not sms_file.exists() or "0701234567" not in sms_file.read_text()
    assert counts.get("sent", 0) == 0
