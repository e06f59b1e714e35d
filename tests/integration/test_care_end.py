"""A patient who dies or moves out of the region: one registration ends the
care, the open orders and prescriptions, and every mail still waiting, as the
region's staff would otherwise do one by one (while reminders went on)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from sesamlike.accounts.models import AuditEvent
from sesamlike.common.errors import Forbidden, NotVisible
from sesamlike.common.mail import MAX_ATTEMPTS, send_pending
from sesamlike.common.models import OutgoingMail
from sesamlike.common.time import region_today, utcnow
from sesamlike.extensions import db
from sesamlike.orders import notices
from sesamlike.orders import services as ordering
from sesamlike.orders.models import Order, OrderLine
from sesamlike.patients import access, care_end, errors
from sesamlike.patients.models import Guardian
from sesamlike.prescriptions import services as prescribing
from sesamlike.prescriptions.models import Prescription
from sesamlike.stock.models import Reservation
from tests import factories as f
from tests.smtp import smtp_server  # noqa: F401

TODAY = region_today()
YESTERDAY = TODAY - timedelta(days=1)


def _ordered(**patient):
    """A patient of a clinic with an order of 2 packs reserved from stock."""
    clinic = f.make_clinic()
    world = f.make_prescribed(
        clinic, patient=f.make_patient(clinic, **patient), packs_per_withdrawal=2
    )
    placed = ordering.place_order(
        world.prescriber, world.patient.id, [(world.rx.id, 2)], "home"
    ).order
    return world, placed


def _mails(kind=None):
    query = sa.select(OutgoingMail).order_by(OutgoingMail.id)
    if kind is not None:
        query = query.where(OutgoingMail.kind == kind)
    return db.session.scalars(query).all()


def test_a_death_cancels_the_open_order_and_releases_its_stock():
    world, order = _ordered()

    care_end.end_care(world.prescriber, world.patient.id, "deceased", YESTERDAY)
    db.session.expire_all()

    line = db.session.get(OrderLine, order.lines[0].id)
    assert line.status == "cancelled"
    assert db.session.get(Order, order.id).cancelled_at is not None
    reservation = db.session.scalar(
        sa.select(Reservation).where(Reservation.reference == line.reference)
    )
    assert reservation.status == "released"
    # The withdrawal came back before the prescription ended (as a
    # cancellation gives it back), and the prescription is no longer in force.
    rx = db.session.get(Prescription, world.rx.id)
    assert (rx.withdrawals_used, rx.status) == (0, "cancelled")


def test_a_death_ends_every_care_relationship_on_that_day_and_is_audited():
    world, _order = _ordered()
    other = f.make_clinic()
    world.patient.care_relationships.append(
        f.CareRelationship(clinic_id=other.id, started_on=date(2024, 5, 1))
    )
    db.session.commit()

    care_end.end_care(world.prescriber, world.patient.id, "deceased", YESTERDAY)
    db.session.expire_all()

    patient = world.patient
    assert (patient.care_ended_reason, patient.care_ended_on) == (
        "deceased",
        YESTERDAY,
    )
    assert patient.care_ended_by_id == world.prescriber.id
    assert {(c.ended_on, c.end_reason) for c in patient.care_relationships} == {
        (YESTERDAY, "deceased")
    }
    [row] = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "care_end")
    ).all()
    assert row.patient_id == patient.id and "deceased" in row.detail


def test_no_mail_goes_to_the_parents_of_a_child_who_died(smtp_server):  # noqa: F811
    """The order's confirmation still waited in the outbox, a reorder
    reminder was queued too, and cancelling the order told the family "
    Beställning ... är makulerad": the worst mail this system could send."""
    world, order = _ordered(birth_date=date(2016, 4, 1))
    world.patient.guardians.append(Guardian(name="Karin", email="karin@example.se"))
    db.session.commit()
    notices.order_received(order)
    notices.runout_reminder(world.rx, TODAY + timedelta(days=5), TODAY)
    db.session.commit()
    assert len(_mails()) == 2

    care_end.end_care(world.prescriber, world.patient.id, "deceased", YESTERDAY)
    counts = send_pending(utcnow())

    assert smtp_server.to("karin@example.se") == []
    assert _mails("order_cancelled") == [] and _mails("care_ended") == []
    assert counts["sent"] == 0
    assert all(m.attempts == MAX_ATTEMPTS for m in _mails())


def test_a_reminder_queued_after_the_withdrawal_is_not_sent_either(
    smtp_server,  # noqa: F811
):
    """The reminder job ran at the same moment as the registration: its mail
    came into the outbox after the waiting ones were withdrawn. The sender
    asks again when its turn comes."""
    world, _order = _ordered(email="anna@example.se")
    care_end.end_care(world.prescriber, world.patient.id, "deceased", YESTERDAY)
    notices.runout_reminder(world.rx, TODAY + timedelta(days=5), TODAY)
    db.session.commit()
    [queued] = _mails("runout_reminder")
    assert queued.attempts == 0

    counts = send_pending(utcnow())

    assert smtp_server.to("anna@example.se") == []
    assert counts.get("withdrawn") == 1


def test_a_move_out_of_the_region_tells_the_patient_once(smtp_server):  # noqa: F811
    world, first = _ordered(email="anna@example.se")
    ordering.place_order(world.prescriber, world.patient.id,
                         [(f.make_prescription(world.patient, f.make_article()).id,
                           1)], "home")  # fmt: skip
    db.session.execute(sa.delete(OutgoingMail))  # the confirmations went
    db.session.commit()

    stopped = care_end.end_care(
        world.prescriber, world.patient.id, "moved_out", YESTERDAY
    )
    send_pending(utcnow())

    assert (stopped.orders, stopped.prescriptions) == (2, 2)
    [sent] = smtp_server.to("anna@example.se")
    assert "flyttat till en annan region" in sent.body
    assert world.patient.last_name not in sent.body
    assert _mails("order_cancelled") == []


def test_the_notice_of_a_move_undone_before_it_went_is_not_sent(
    smtp_server,  # noqa: F811
):
    world, _order = _ordered(email="anna@example.se")
    care_end.end_care(world.prescriber, world.patient.id, "moved_out", YESTERDAY)
    assert len(_mails("care_ended")) == 1

    care_end.undo(world.prescriber, world.patient.id)
    send_pending(utcnow())

    assert smtp_server.to("anna@example.se") == []


@pytest.mark.parametrize("role", ["admin", "depot", "manager", "guardian"])
def test_only_a_prescriber_registers_the_end_of_care(role):
    world, _order = _ordered()
    user = f.make_role_user(role, world.clinic)

    with pytest.raises(Forbidden):
        care_end.end_care(user, world.patient.id, "deceased", YESTERDAY)


def test_a_prescriber_of_another_clinic_cannot_register_it():
    world, _order = _ordered()
    stranger = f.make_user("prescriber", clinics=[f.make_clinic()])

    with pytest.raises(NotVisible):
        care_end.end_care(stranger, world.patient.id, "deceased", YESTERDAY)
    assert world.patient.care_ended_reason is None


def test_a_day_ahead_or_no_reason_is_refused_and_nothing_changes():
    world, order = _ordered()

    with pytest.raises(errors.CareEndInvalid) as refused:
        care_end.end_care(world.prescriber, world.patient.id, "emigrated",
                          TODAY + timedelta(days=1))  # fmt: skip

    assert set(refused.value.fields) == {"reason", "day"}
    db.session.expire_all()
    assert world.patient.care_ended_reason is None
    assert order.lines[0].status == "reserved"


def test_after_a_death_no_order_and_no_prescription_is_taken():
    world, _order = _ordered()
    care_end.end_care(world.prescriber, world.patient.id, "deceased", YESTERDAY)
    rx = f.make_prescription(world.patient, f.make_article())

    with pytest.raises(errors.PatientDeceased) as refused:
        ordering.place_order(world.prescriber, world.patient.id, [(rx.id, 1)])
    assert refused.value.code == "care_ended"
    with pytest.raises(errors.CareEnded):
        prescribing.prescribe(world.prescriber, world.patient.id,
                              world.article.article_no, 1, 4, 90, TODAY)  # fmt: skip


def test_after_a_death_the_patients_and_guardians_logins_lose_the_record():
    world, _order = _ordered(birth_date=date(2016, 4, 1))
    own = f.make_user("patient", patients=[world.patient])
    parent = f.make_user("guardian", patients=[world.patient])

    care_end.end_care(world.prescriber, world.patient.id, "deceased", YESTERDAY)

    for login in (own, parent):
        with pytest.raises(NotVisible):
            access.get_patient(login, world.patient.id)
    # The clinic that cared still reads it: devices back, the undo.
    assert access.get_patient(world.prescriber, world.patient.id)


def test_a_patient_who_moved_out_reads_their_record_but_cannot_order():
    world, _order = _ordered()
    own = f.make_user("patient", patients=[world.patient])
    care_end.end_care(world.prescriber, world.patient.id, "moved_out", YESTERDAY)
    rx = f.make_prescription(world.patient, f.make_article())

    assert access.get_patient(own, world.patient.id).id == world.patient.id
    with pytest.raises(errors.OwnCareMovedOut):
        ordering.place_order(own, world.patient.id, [(rx.id, 1)])


def test_undo_opens_the_care_again_and_what_was_cancelled_stays_cancelled():
    world, order = _ordered()
    care_end.end_care(world.prescriber, world.patient.id, "deceased", YESTERDAY)

    care_end.undo(world.prescriber, world.patient.id)
    db.session.expire_all()

    patient = world.patient
    assert patient.care_ended_reason is None and patient.care_ended_on is None
    assert [(c.ended_on, c.end_reason) for c in patient.care_relationships] == [
        (None, None)
    ]
    assert db.session.get(OrderLine, order.lines[0].id).status == "cancelled"
    assert (
        db.session.scalar(
            sa.select(AuditEvent.detail).where(AuditEvent.action == "care_end_undo")
        )
        == f"deceased {YESTERDAY.isoformat()}"
    )


def test_the_confirmation_counts_what_will_stop_and_the_devices_expected_back():
    world, _order = _ordered()
    pump = f.make_pump(name="MiniMed 780G insulinpump")
    f.make_lent_device(world.patient, pump, "P-77")

    _patient, ahead = care_end.consequences(world.prescriber, world.patient.id)

    assert (ahead.open_orders, ahead.prescriptions) == (1, 1)
    assert [(d.article, d.serial_no) for d in ahead.devices] == [
        ("MiniMed 780G insulinpump", "P-77")
    ]
    # Registered, the pump is still expected back: not written off.
    care_end.end_care(world.prescriber, world.patient.id, "deceased", YESTERDAY)
    assert [d.serial_no for d in care_end.expected_back(
        world.prescriber, world.patient)] == ["P-77"]  # fmt: skip


def test_a_patient_who_died_costs_the_year_the_cost_rules_say():
    """Died 10 June 2025, pump back 20 June: the pump costs its days with
    the patient (1 January to 19 June, the return not counted) at price / 4
    years, the sets delivered January to May their price; the order open at
    the death costs nothing. The clinic still has the patient in its 2025
    report: it paid part of the year."""
    from sesamlike.followup.cost_centres import cost_centre_sums
    from sesamlike.followup.models import PatientYearCost
    from sesamlike.followup.runs import run_year
    from sesamlike.followup.scope import resolve

    clinic = f.make_clinic("NORR", cost_centre="KS-100")
    prescriber = f.make_user("prescriber", clinics=[clinic])
    patient = f.make_patient(clinic)
    pump = f.make_pump(pack_price_sek=Decimal("36500.00"))  # 25 SEK a day
    f.make_delivered_line(patient, pump, date(2025, 1, 1),
                          returned_on=date(2025, 6, 20))  # fmt: skip
    sets = f.make_article(pack_price_sek=Decimal("1000.00"), channel="central")
    rx = f.make_prescription(patient, sets, prescriber, clinic=clinic,
                             valid_from=date(2025, 1, 1), withdrawals=12)  # fmt: skip
    for month in range(1, 6):
        f.make_delivery(patient, rx, date(2025, month, 15))
    f.make_order(patient, [(rx, 1, "backordered", None)])

    care_end.end_care(prescriber, patient.id, "deceased", date(2025, 6, 10))
    run_year(2025, full=True, now=datetime(2026, 2, 1, 3, 0, tzinfo=UTC))

    cost = db.session.scalar(
        sa.select(PatientYearCost).where(
            PatientYearCost.patient_id == patient.id, PatientYearCost.year == 2025
        )
    )
    assert cost.device_cost_sek == Decimal("4250.00")  # 170 days × 25
    assert cost.consumables_cost_sek == Decimal("5000.00")
    [paid] = cost_centre_sums(resolve(f.make_user("region"), "NORR"), 2025)
    assert (paid.patients, paid.total_cost_sek) == (1, Decimal("9250.00"))


def test_no_clinic_starts_care_of_a_patient_registered_as_deceased():
    world, _order = _ordered()
    care_end.end_care(world.prescriber, world.patient.id, "deceased", YESTERDAY)
    other = f.make_clinic()
    prescriber = f.make_user("prescriber", clinics=[other])

    with pytest.raises(errors.CareAlreadyEnded):
        from sesamlike.patients import care

        care.start(prescriber, world.patient.personal_id, other.code)
