"""A patient who moved out of the region and moved back is taken into care
again by a prescriber (`care.resume`, or the start of a care relationship by
number): a new care relationship, ordering open again, the move kept in the
audit log. Only the undo (a mistaken registration) reopened the old care,
and nothing took a patient who really moved back. Never after a death."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from sesamlike.accounts.models import AuditEvent
from sesamlike.common import mail
from sesamlike.common.errors import Forbidden, NotVisible
from sesamlike.common.models import OutgoingMail
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.orders import services as ordering
from sesamlike.orders.models import OrderLine
from sesamlike.patients import access, care, care_end, errors
from tests import factories as f

TODAY = region_today()
YESTERDAY = TODAY - timedelta(days=1)


def _moved_out(**patient):
    """A patient of a clinic with an order placed, registered as moved out."""
    clinic = f.make_clinic()
    world = f.make_prescribed(clinic, patient=f.make_patient(clinic, **patient))
    placed = ordering.place_order(
        world.prescriber, world.patient.id, [(world.rx.id, 1)], "home"
    ).order
    care_end.end_care(world.prescriber, world.patient.id, "moved_out", YESTERDAY)
    return world, placed


def _actions(patient_id: int) -> list[tuple[str, str | None]]:
    return db.session.execute(
        sa.select(AuditEvent.action, AuditEvent.detail)
        .where(AuditEvent.patient_id == patient_id)
        .order_by(AuditEvent.id)
    ).all()


def test_a_patient_who_moved_back_is_taken_into_care_and_may_order_again():
    world, order = _moved_out()

    episode = care.resume(world.prescriber, world.patient.id, world.clinic.code)
    db.session.expire_all()

    patient = world.patient
    assert patient.care_ended_reason is None and patient.care_ended_on is None
    assert patient.care_ended_by_id is None and patient.care_ended_at is None
    # The episode the move ended stays ended; the new one is open from today.
    assert [(c.started_on == TODAY, c.ended_on, c.end_reason)
            for c in patient.care_relationships] == [
        (False, YESTERDAY, None), (True, None, None)]  # fmt: skip
    assert episode.clinic_id == world.clinic.id and episode.ended_on is None
    # What the move stopped stays stopped; a new prescription can be ordered on.
    assert db.session.get(OrderLine, order.lines[0].id).status == "cancelled"
    rx = f.make_prescription(patient, f.make_article(), world.prescriber)
    f.make_stock_lot(rx.article, on_hand=5)
    assert ordering.place_order(world.prescriber, patient.id, [(rx.id, 1)], "home")
    # The move stays in the audit log: its own row, and the resume's detail.
    actions = _actions(patient.id)
    assert "care_end" in [action for action, _detail in actions]
    assert ("care_resume", f"moved_out {YESTERDAY.isoformat()}") in actions
    assert ("care_relationship_start", world.clinic.code) in actions


def test_a_patient_who_died_is_never_taken_into_care_again():
    clinic = f.make_clinic()
    world = f.make_prescribed(clinic)
    care_end.end_care(world.prescriber, world.patient.id, "deceased", YESTERDAY)

    with pytest.raises(errors.DeceasedNotResumed) as refused:
        care.resume(world.prescriber, world.patient.id, clinic.code)

    assert refused.value.status == 409
    db.session.expire_all()
    assert world.patient.care_ended_reason == "deceased"
    assert [c.ended_on for c in world.patient.care_relationships] == [YESTERDAY]
    assert "care_resume" not in {a for a, _ in _actions(world.patient.id)}


def test_only_an_ended_care_is_resumed_and_only_by_a_prescriber():
    clinic = f.make_clinic()
    world = f.make_prescribed(clinic)
    with pytest.raises(errors.CareNotEnded):
        care.resume(world.prescriber, world.patient.id, clinic.code)

    care_end.end_care(world.prescriber, world.patient.id, "moved_out", YESTERDAY)
    manager = f.make_user("manager", clinics=[clinic])
    with pytest.raises(Forbidden):
        care.resume(manager, world.patient.id, clinic.code)
    stranger = f.make_user("prescriber", clinics=[f.make_clinic()])
    with pytest.raises(NotVisible):
        care.resume(stranger, world.patient.id, stranger.clinics[0].code)
    with pytest.raises(errors.NotOwnClinic):
        care.resume(world.prescriber, world.patient.id, stranger.clinics[0].code)
    db.session.expire_all()
    assert world.patient.care_ended_reason == "moved_out"


def test_the_clinics_that_cared_until_the_move_lose_the_patient_once_resumed():
    """While the care is ended, the clinics that cared until then read the
    record (devices expected back, the undo); once another clinic takes the
    patient back, a clinic without a care relationship has no need to."""
    world, _order = _moved_out()
    other = f.make_clinic()
    both = f.make_user("prescriber", clinics=[world.clinic, other])

    care.resume(both, world.patient.id, other.code)
    db.session.expire_all()

    with pytest.raises(NotVisible):
        access.get_patient(world.prescriber, world.patient.id)
    assert access.get_patient(both, world.patient.id).clinic_ids == {other.id}


def test_a_second_move_undone_reopens_only_what_the_second_one_ended():
    world, _order = _moved_out()
    care.resume(world.prescriber, world.patient.id, world.clinic.code)
    care_end.end_care(world.prescriber, world.patient.id, "moved_out", TODAY)

    care_end.undo(world.prescriber, world.patient.id)
    db.session.expire_all()

    assert [c.ended_on for c in world.patient.care_relationships] == [
        YESTERDAY,
        None,
    ]


def test_the_notice_of_the_move_not_sent_yet_is_withdrawn():
    world, _order = _moved_out(email="lisa@example.se")
    f.make_user("patient", patients=[world.patient])
    waiting = sa.select(sa.func.count()).where(
        OutgoingMail.kind == mail.MailKind.CARE_ENDED, OutgoingMail.sent_at.is_(None),
        OutgoingMail.attempts < mail.MAX_ATTEMPTS,
    )  # fmt: skip
    assert db.session.scalar(waiting) == 1

    care.resume(world.prescriber, world.patient.id, world.clinic.code)

    assert db.session.scalar(waiting) == 0


def test_a_clinic_starting_care_by_number_takes_a_patient_who_moved_back():
    """The start of a care relationship by personnummer (the API's) answered
    409 care_already_ended for a patient who had moved out: no clinic could
    take them back."""
    world, _order = _moved_out()
    new_clinic = f.make_clinic()
    prescriber = f.make_user("prescriber", clinics=[new_clinic])

    episode = care.start(prescriber, world.patient.personal_id, new_clinic.code)
    db.session.expire_all()

    assert episode.clinic_id == new_clinic.id
    assert world.patient.care_ended_reason is None
    assert world.patient.clinic_ids == {new_clinic.id}
    assert ("care_resume", f"moved_out {YESTERDAY.isoformat()}") in _actions(
        world.patient.id
    )


def test_starting_care_by_number_for_a_patient_who_died_is_refused():
    clinic = f.make_clinic()
    world = f.make_prescribed(clinic)
    care_end.end_care(world.prescriber, world.patient.id, "deceased", YESTERDAY)
    prescriber = f.make_user("prescriber", clinics=[f.make_clinic()])

    with pytest.raises(errors.CareAlreadyEnded) as refused:
        care.start(prescriber, world.patient.personal_id, prescriber.clinics[0].code)

    assert refused.value.status == 409
    db.session.expire_all()
    assert world.patient.care_ended_reason == "deceased"
