"""Mails and text messages are written in their recipient's language: the one
their own login chose, else Swedish (no login, or none chosen).

English text here is what translations/en already holds ("{n} förp." is
"{n} packs", "Sändningsnummer" is "Tracking number") and what Babel writes
("9 March 2026"); a mail's own sentences are checked with an English entry
added to the loaded catalogue for the test (`english`).
"""

from __future__ import annotations

from datetime import date

import flask_babel
import pytest
import sqlalchemy as sa
from flask import g, session

from sesamlike.accounts import email_change, password_links
from sesamlike.common.i18n import _
from sesamlike.common.mail import send_pending
from sesamlike.common.models import OutgoingMail
from sesamlike.common.time import utcnow
from sesamlike.extensions import db
from sesamlike.orders import notices
from sesamlike.patients.models import Guardian
from tests.factories import (
    ADULT_PNR,
    CHILD_PNR,
    make_article,
    make_clinic,
    make_order,
    make_patient,
    make_prescription,
    make_user,
)
from tests.smtp import smtp_server  # noqa: F401

TODAY = date(2026, 3, 11)


def child_with_guardians():
    """Elsa, whose guardian Karin chose English in the portal; Per, the other
    guardian, reads Swedish at his login, and Ola has no login at all."""
    patient = make_patient(
        make_clinic(),
        personal_id=CHILD_PNR,
        first_name="Elsa",
        last_name="Berg",
        birth_date=date(2015, 12, 24),
    )
    karin = make_user("guardian", patients=[patient], email="karin@example.se")
    karin.locale = "en"
    per = make_user("guardian", patients=[patient], email="per@example.se")
    per.locale = "sv"
    patient.guardians.append(Guardian(name="Ola Ek", email="ola@example.se"))
    db.session.commit()
    return patient


def order_for(patient, status, **kw):
    sets = make_article(name="Mio infusionsset 6 mm", pack_size=10)
    return make_order(patient, [(make_prescription(patient, sets), 2, status, None)],
                      **kw)  # fmt: skip


def by_address(mails):
    db.session.commit()
    return {mail.to_address: mail for mail in mails}


def queued(mails):
    db.session.commit()
    return list(mails)


@pytest.fixture
def english(app, monkeypatch):
    """Give source texts an English entry in the loaded English catalogue, as
    `make translations` and a translator will."""

    def add(entries: dict[str, str]) -> None:
        with flask_babel.force_locale("en"):
            catalogue = flask_babel.get_translations()._catalog
        for msgid, msgstr in entries.items():
            monkeypatch.setitem(catalogue, msgid, msgstr)

    return add


def test_each_guardian_gets_the_order_mails_in_their_own_language_over_smtp(
    smtp_server,  # noqa: F811
):
    """The same order's received, shipped and cancelled mails: English to the
    guardian who chose English, Swedish to the other two."""
    patient = child_with_guardians()
    received = order_for(patient, "reserved")
    shipped = order_for(patient, "shipped", tracking_ref="PKG123")
    cancelled = order_for(patient, "cancelled")
    notices.order_received(received, TODAY)
    notices.order_shipped(shipped, TODAY)
    notices.order_cancelled(cancelled, cancelled.lines, False, TODAY)
    db.session.commit()

    assert send_pending(utcnow())["sent"] == 9

    karin = smtp_server.to("karin@example.se")
    assert len(karin) == 3
    for mail in karin:
        assert "- 2 packs Mio infusionsset 6 mm" in mail.body
        assert "förp." not in mail.body
    assert any("Tracking number: PKG123" in mail.body for mail in karin)
    for swede in ("per@example.se", "ola@example.se"):
        mails = smtp_server.to(swede)
        assert len(mails) == 3
        for mail in mails:
            assert "- 2 förp. Mio infusionsset 6 mm" in mail.body
            assert "packs" not in mail.body
            assert mail.body.startswith("Hej! Det här gäller Elsa.")
        assert any("Sändningsnummer: PKG123" in mail.body for mail in mails)
        assert "Tracking number" not in "".join(mail.body for mail in mails)


def test_the_mails_own_sentences_follow_the_recipients_language(english):
    english(
        {
            notices.ORDER_RECEIVED_SUBJECT: "We have received order {order_no}",
            notices.GREETING_GUARDIAN: "Hello! This is about {first_name}.",
            notices.SIGNATURE: "Kind regards\nSesamlike",
        }
    )
    patient = child_with_guardians()
    order = order_for(patient, "reserved")

    mails = by_address(notices.order_received(order, TODAY))

    karin, per, ola = (mails[f"{n}@example.se"] for n in ("karin", "per", "ola"))
    assert karin.subject == f"We have received order {order.id}"
    assert karin.body.startswith("Hello! This is about Elsa.\n\n")
    assert karin.body.endswith("Kind regards\nSesamlike")
    for swede in (per, ola):
        assert swede.subject == f"Vi har tagit emot beställning {order.id}"
        assert swede.body.startswith("Hej! Det här gäller Elsa.\n\n")


def test_an_english_guardians_click_leaves_the_other_guardians_mail_swedish(app):
    """Queued in Karin's English request: Ola (no login) still reads Swedish,
    and the page she sees afterwards is still English."""
    patient = child_with_guardians()
    order = order_for(patient, "shipped", tracking_ref="PKG123")
    with app.test_request_context("/portal/order"):
        g.pop("_flask_babel", None)  # as each request does: its language afresh
        session["locale"] = "en"
        assert _("Sändningsnummer") == "Tracking number"

        mails = by_address(notices.order_shipped(order, TODAY))

        assert "Sändningsnummer: PKG123" in mails["ola@example.se"].body
        assert "Tracking number: PKG123" in mails["karin@example.se"].body
        assert _("Sändningsnummer") == "Tracking number"


def test_a_patient_reads_dates_in_the_language_of_their_login():
    patient = make_patient(
        make_clinic(), personal_id=ADULT_PNR, first_name="Anna",
        birth_date=date(1990, 1, 2), email="anna@example.se",
    )  # fmt: skip
    sets = make_article(name="Mio infusionsset 6 mm")
    lines = [(make_prescription(patient, sets), 1, "delivered", date(2026, 3, 9))]

    [mail] = queued(notices.order_delivered(make_order(patient, lines), TODAY))
    assert "levererades 9 mars 2026" in mail.body  # no login: Swedish

    make_user("patient", patients=[patient]).locale = "en"
    db.session.commit()
    [mail] = queued(notices.order_delivered(make_order(patient, lines), TODAY))
    assert "9 March 2026" in mail.body and "- 1 pack Mio" in mail.body


def test_a_prescriber_is_told_in_their_own_language():
    clinic = make_clinic()
    patient = make_patient(clinic, first_name="Anna")
    nurse = make_user("prescriber", clinics=[clinic], email="ssk@example.se",
                      display_name="Eva Ek")  # fmt: skip
    article = make_article(name="Mio infusionsset 6 mm")
    swedish = make_prescription(patient, article, nurse, valid_to=date(2026, 12, 31))
    [mail] = queued([notices.prescription_expiring(swedish)])
    assert "31 december 2026" in mail.body

    nurse.locale = "en"
    english = make_prescription(patient, article, nurse, valid_to=date(2026, 12, 31))
    [mail] = queued([notices.prescription_expiring(english)])
    assert "31 December 2026" in mail.body and "december" not in mail.body


def test_an_sms_reminder_is_written_in_the_guardians_language(english):
    english({notices.RESUPPLY_SUBJECT: "Reminder: time to order {article}"})
    patient = child_with_guardians()
    for guardian in patient.guardians:
        guardian.phone = f"070-{guardian.id:07d}"
    sets = make_article(name="Mio infusionsset 6 mm")
    prescription = make_prescription(patient, sets)

    mails = notices.resupply_reminder(prescription, TODAY, 2, 3, TODAY, "sms")
    db.session.commit()

    subjects = sorted(mail.subject for mail in mails)
    assert subjects == [
        "Påminnelse: dags att beställa Mio infusionsset 6 mm",
        "Påminnelse: dags att beställa Mio infusionsset 6 mm",
        "Reminder: time to order Mio infusionsset 6 mm",
    ]


def test_account_mails_follow_the_users_chosen_language(app, english):
    english(
        {
            "Välj ett nytt lösenord i Sesamlike": "Choose a new password in Sesamlike",
            "Din e-postadress i Sesamlike har ändrats": (
                "Your e-mail address in Sesamlike has changed"
            ),
        }
    )
    admin = make_user("admin")
    user = make_user("prescriber", clinics=[make_clinic()], email="eva@example.se")
    password_links.send(admin, user, lambda token: f"/p/{token}", first=False)
    email_change.tell_old_address(user, "old@example.se")
    user.locale = "en"
    password_links.send(admin, user, lambda token: f"/p/{token}", first=False)
    email_change.tell_old_address(user, "old@example.se")
    db.session.commit()

    subjects = db.session.scalars(
        sa.select(OutgoingMail.subject).order_by(OutgoingMail.id)
    ).all()
    assert subjects == [
        "Välj ett nytt lösenord i Sesamlike",
        "Din e-postadress i Sesamlike har ändrats",
        "Choose a new password in Sesamlike",
        "Your e-mail address in Sesamlike has changed",
    ]
