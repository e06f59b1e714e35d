"""Order notices: who receives them, what they say and what they never say."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from sesamlike.accounts.models import AuditEvent
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


def adult(clinic, **kw):
    return make_patient(
        clinic,
        personal_id=ADULT_PNR,
        first_name="Anna",
        last_name="Lindqvist",
        birth_date=date(1990, 1, 2),
        email=kw.pop("email", "anna@example.se"),
        **kw,
    )


def child(clinic, guardians=(("Karin Berg", "karin@example.se"),), **kw):
    patient = make_patient(
        clinic,
        personal_id=CHILD_PNR,
        first_name="Elsa",
        last_name="Berg",
        birth_date=date(2015, 12, 24),
        email="elsa@example.se",
        **kw,
    )
    for name, email in guardians:
        patient.guardians.append(Guardian(name=name, email=email))
    db.session.commit()
    return patient


def order_for(patient, *statuses, delivered_on=None, **kw):
    sets = make_article(name="Mio infusionsset 6 mm", pack_size=10)
    reservoirs = make_article(name="MiniMed reservoar 3 ml", category="reservoir")
    lines = [
        (make_prescription(patient, article), packs, status, delivered_on)
        for article, packs, status in zip(
            (sets, reservoirs), (2, 1), statuses, strict=False
        )
    ]
    return make_order(patient, lines, **kw)


def commit(mails):
    db.session.commit()
    return mails


def assert_tells_nothing_private(body: str, patient) -> None:
    address = patient.home_address()
    for secret in (
        patient.last_name,
        patient.personal_id,
        patient.display_id,
        patient.personal_id[2:],
        address.street,
        address.postal_code,
        address.city,
        address.door_code,
        patient.diabetes_type,
        "diabetes",
        "typ 1",
    ):
        assert secret.lower() not in body.lower(), secret


def test_order_received_goes_to_an_adult_patients_own_address():
    patient = adult(make_clinic())
    order = order_for(patient, "reserved", "reserved")

    [mail] = commit(notices.order_received(order, TODAY))

    assert mail.to_address == "anna@example.se"
    assert mail.kind == "order_received" and mail.patient_id == patient.id
    assert mail.subject == f"Vi har tagit emot beställning {order.id}"
    assert mail.body.startswith("Hej Anna!\n\n")
    assert "- 2 förp. Mio infusionsset 6 mm" in mail.body
    assert "- 1 förp. MiniMed reservoar 3 ml" in mail.body
    assert f"/portal/orders/{order.id}" in mail.body
    assert_tells_nothing_private(mail.body, patient)


def test_a_lent_device_in_a_notice_is_one_piece_not_a_pack():
    """The review: the portal counts a pump as "1 st", its mails still said
    "1 förp. MiniMed ...": the same order in two words."""
    patient = adult(make_clinic())
    pump = make_article(name="MiniMed 780G insulinpump", category="pump",
                        serial_tracked=True, amortisation_years=4)  # fmt: skip
    order = make_order(
        patient, [(make_prescription(patient, pump), 1, "reserved", None)]
    )

    [mail] = commit(notices.order_received(order, TODAY))

    assert "- 1 st MiniMed 780G insulinpump" in mail.body
    assert "förp. MiniMed 780G" not in mail.body


def test_a_childs_notices_go_to_each_guardian_with_an_address():
    patient = child(
        make_clinic(),
        guardians=[
            ("Karin Berg", "karin@example.se"),
            ("Per Berg", None),
            ("Ola Ek", "ola@example.se"),
        ],
    )
    order = order_for(patient, "reserved")

    mails = commit(notices.order_received(order, TODAY))

    assert sorted(m.to_address for m in mails) == ["karin@example.se", "ola@example.se"]
    for mail in mails:
        assert mail.body.startswith("Hej! Det här gäller Elsa.\n\n")
        assert_tells_nothing_private(mail.body, patient)


def test_guardians_sharing_an_address_get_one_mail():
    patient = child(
        make_clinic(),
        guardians=[
            ("Karin Berg", "familjen@example.se"),
            ("Ola Ek", "Familjen@example.se"),
        ],
    )

    mails = commit(notices.order_received(order_for(patient, "reserved"), TODAY))

    assert len(mails) == 1


def test_a_child_turning_eighteen_gets_the_notices_directly():
    patient = child(make_clinic())

    [mail] = commit(
        notices.order_received(order_for(patient, "reserved"), date(2033, 12, 24))
    )

    assert mail.to_address == "elsa@example.se"
    assert mail.body.startswith("Hej Elsa!")


def test_an_adult_without_an_address_gets_no_mail():
    patient = adult(make_clinic(), email=None)

    assert notices.order_received(order_for(patient, "reserved"), TODAY) == []
    assert db.session.scalar(sa.select(sa.func.count(OutgoingMail.id))) == 0


def test_an_adult_with_no_address_on_record_is_mailed_at_their_own_login():
    """The walkthrough: patient1 ordered online and got no confirmation; the
    record had no e-mail, the login (where the password link went) had one."""
    patient = adult(make_clinic(), email=None)
    make_user("patient", patients=[patient], email="anna.login@example.se")
    [mail] = commit(notices.order_received(order_for(patient, "reserved"), TODAY))
    assert mail.to_address == "anna.login@example.se"
    # A login that has been shut off is no way to reach anyone.
    patient.user.active = False
    later = order_for(patient, "reserved")
    assert notices.order_received(later, TODAY) == []


def test_the_address_on_record_comes_before_the_logins():
    patient = adult(make_clinic())
    make_user("patient", patients=[patient], email="anna.login@example.se")
    [mail] = commit(notices.order_received(order_for(patient, "reserved"), TODAY))
    assert mail.to_address == "anna@example.se"


def test_an_order_notice_is_queued_once():
    order = order_for(adult(make_clinic()), "reserved")

    assert len(commit(notices.order_received(order, TODAY))) == 1
    assert commit(notices.order_received(order, TODAY)) == []


def test_the_shipped_notice_lists_what_was_shipped_and_where_to_collect_it():
    patient = adult(make_clinic())
    order = order_for(
        patient, "shipped", "cancelled", delivery_mode="pickup", tracking_ref="PKG123"
    )

    [mail] = commit(notices.order_shipped(order, TODAY))

    assert mail.subject == f"Beställning {order.id} har skickats"
    assert "Mio infusionsset 6 mm" in mail.body
    assert "reservoar" not in mail.body
    assert "Paketet hämtas på utlämningsstället." in mail.body
    assert "Sändningsnummer: PKG123" in mail.body


def test_a_protected_patient_is_mailed_without_address_or_tracking():
    patient = adult(make_clinic(), protected_identity=True)
    order = order_for(patient, "shipped", delivery_mode="clinic", tracking_ref="PKG123")

    [mail] = commit(notices.order_shipped(order, TODAY))

    assert mail.to_address == "anna@example.se"
    assert "Paketet hämtas på vårdenheten." in mail.body
    assert "PKG123" not in mail.body
    assert_tells_nothing_private(mail.body, patient)


def test_a_later_shipment_of_the_same_order_gets_its_own_notice():
    order = order_for(adult(make_clinic()), "shipped", "backordered")
    [first] = commit(notices.order_shipped(order, TODAY))
    # What comes later, so no one waits for it at the door (browser check).
    rest = first.body.split("Resten av beställningen kommer senare:")[1]
    assert "MiniMed reservoar 3 ml" in rest and "Mio infusionsset" not in rest

    order.lines[1].status = "shipped"
    db.session.commit()
    [second] = commit(notices.order_shipped(order, TODAY))

    assert "MiniMed reservoar 3 ml" in second.body
    assert "kommer senare" not in second.body
    assert commit(notices.order_shipped(order, TODAY)) == []


def test_no_shipped_notice_before_anything_has_shipped():
    order = order_for(adult(make_clinic()), "reserved")

    assert notices.order_shipped(order, TODAY) == []


def test_the_delivered_notice_names_the_delivery_day():
    order = order_for(
        adult(make_clinic()), "delivered", "delivered", delivered_on=date(2026, 3, 9)
    )

    [mail] = commit(notices.order_delivered(order, TODAY))

    assert mail.subject == f"Beställning {order.id} är levererad"
    assert "levererades 9 mars 2026" in mail.body


def test_each_queued_notice_is_written_to_the_audit_log():
    patient = child(
        make_clinic(),
        guardians=[("Karin Berg", "karin@example.se"), ("Ola Ek", "ola@example.se")],
    )
    mails = commit(notices.order_received(order_for(patient, "reserved"), TODAY))

    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "mail_queued")
    ).all()
    assert {(e.patient_id, e.object_id) for e in events} == {
        (patient.id, str(mail.id)) for mail in mails
    }


def test_a_guardian_receives_the_order_notice_over_smtp(smtp_server):  # noqa: F811
    patient = child(make_clinic())
    order = order_for(patient, "reserved")
    commit(notices.order_received(order, TODAY))

    assert send_pending(utcnow())["sent"] == 1

    [received] = smtp_server.to("karin@example.se")
    assert received.message["Subject"] == f"Vi har tagit emot beställning {order.id}"
    assert "Hej! Det här gäller Elsa." in received.body
    assert "Mio infusionsset 6 mm" in received.body
    assert smtp_server.to("elsa@example.se") == []


def test_no_delivered_notice_before_delivery():
    order = order_for(adult(make_clinic()), "shipped")

    assert notices.order_delivered(order, TODAY) == []


def test_a_cancellation_is_told_to_every_guardian_and_never_of_a_protected_child():
    """Guardian Karin cancels in the portal: Per, the other guardian, who may
    be waiting for the parcel, is told; a protected child's family is told by
    the clinic, not by mail."""
    patient = child(
        make_clinic(),
        guardians=(("Karin Berg", "karin@example.se"), ("Per Berg", "per@e.se")),
    )
    order = order_for(patient, "cancelled", "cancelled")

    mails = commit(notices.order_cancelled(order, order.lines, False, TODAY))

    assert sorted(mail.to_address for mail in mails) == [
        "karin@example.se", "per@e.se",
    ]  # fmt: skip
    body = mails[0].body
    assert body.startswith("Hej! Det här gäller Elsa.\n\n")
    assert "Det makulerades i e-tjänsten." in body
    assert_tells_nothing_private(body, patient)
    assert commit(notices.order_cancelled(order, order.lines, False, TODAY)) == []

    patient.protected_identity = True
    again = order_for(patient, "cancelled")
    assert commit(notices.order_cancelled(again, again.lines, True, TODAY)) == []


def test_a_cancellation_promises_a_new_order_only_where_one_can_be_made():
    """The diff review: the mail said the withdrawals "kan beställas igen"
    of a prescription that had ended meanwhile, and of a warranty
    replacement's line, which has no prescription to give back to."""
    from datetime import timedelta

    patient = adult(make_clinic())
    order = order_for(patient, "cancelled", "cancelled")
    ended = order.lines[0].prescription
    ended.valid_from = TODAY - timedelta(days=400)
    ended.valid_to = TODAY - timedelta(days=1)
    db.session.commit()

    [mail] = commit(notices.order_cancelled(order, order.lines, True, TODAY))
    assert "Uttagen är återförda till förskrivningarna.\n" in mail.body
    assert "kan beställas igen" not in mail.body

    replacement = order_for(patient, "cancelled")
    replacement.lines[0].prescription_id = None
    db.session.commit()
    db.session.refresh(replacement.lines[0])
    [mail] = commit(
        notices.order_cancelled(replacement, replacement.lines, True, TODAY)
    )
    assert "Uttagen" not in mail.body
    assert (
        "Mottagningen har makulerat det. Kontakta mottagningen om du har frågor.\n"
        in (mail.body)
    )
