"""A clinic takes over the prescriptions of a patient who moved to it.

Before, the new clinic could only renew (the renewal began when the old
prescription ended, months later) or prescribe anew (no time lock, a second
prescription beside the first): until the old one ended, every delivery was
the old clinic's cost, though it no longer cared for the patient.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from sesamlike.accounts.models import AuditEvent
from sesamlike.common.errors import DomainError
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.followup.runs import run_year
from sesamlike.orders import services as ordering
from sesamlike.prescriptions import renewals, take_over
from sesamlike.prescriptions.models import Prescription
from tests import factories as f
from tests.integration.test_followup_scenarios import paid
from tests.integration.test_followup_truth import move_clinic


@pytest.fixture
def moved():
    """A patient of NORR with a prescription of infusion sets (8 withdrawals,
    3 used, the last 10 days ago, a 30-day lock), who moved to SODR today;
    SODR's nurse."""
    today = region_today()
    north = f.make_clinic("NORR", cost_centre="KS-100")
    south = f.make_clinic("SODR", cost_centre="KS-200")
    north_nurse = f.make_user("prescriber", clinics=[north])
    patient = f.make_patient(north)
    sets = f.make_article(pack_price_sek=Decimal("1000.00"))
    f.make_stock_lot(sets, f.make_depot(), on_hand=100)
    rx = f.make_prescription(
        patient, sets, north_nurse, clinic=north,
        valid_from=today - timedelta(days=100), valid_to=today + timedelta(days=264),
        packs_per_withdrawal=2, withdrawals=8, withdrawals_used=3, period_days=30,
        lock_days=30, last_withdrawal_on=today - timedelta(days=10),
    )  # fmt: skip
    move_clinic(patient, south, today)
    nurse = f.make_user("prescriber", clinics=[south])
    return nurse, patient, rx, north, south


def test_the_new_clinic_takes_over_what_is_left_from_today(moved):
    nurse, patient, rx, north, south = moved
    today = region_today()
    old_end = rx.valid_to

    new = take_over.take_over(nurse, rx.id, patient.id)

    db.session.expire_all()
    old = db.session.get(Prescription, rx.id)
    assert (new.clinic_id, new.cost_centre, new.prescriber_id) == (
        south.id,
        "KS-200",
        nurse.id,
    )
    assert (new.valid_from, new.valid_to) == (today, old_end)
    assert (new.withdrawals, new.withdrawals_used, new.packs_per_withdrawal) == (
        5,
        0,
        2,
    )
    assert (new.period_days, new.lock_days) == (30, 30)
    # The time lock runs on: the next withdrawal is the one the old allowed.
    assert new.next_withdrawal_on == today + timedelta(days=20)
    assert new.renewed_from_id == old.id
    assert old.valid_to == today - timedelta(days=1)
    assert old.status_on(today) == "expired"
    actions = db.session.scalars(
        sa.select(AuditEvent.object_id).where(AuditEvent.action == "take_over")
    ).all()
    assert sorted(actions) == sorted([str(old.id), str(new.id)])


def test_an_order_after_the_take_over_is_the_new_clinics_cost(moved):
    """The old clinic pays what was delivered before; the new one from then on."""
    nurse, patient, rx, north, south = moved
    f.make_delivery(patient, rx, region_today() - timedelta(days=10), packs=2)
    new = take_over.take_over(nurse, rx.id, patient.id)
    f.make_delivery(patient, new, region_today(), packs=2)

    year = region_today().year
    run_year(year, full=True)

    assert sorted(paid(year)) == [
        ("NORR", "0.00", "2000.00", "0.00", 1),
        ("SODR", "0.00", "2000.00", "0.00", 1),
    ]


def test_the_patient_orders_on_the_new_prescription_under_the_same_lock(moved):
    nurse, patient, rx, north, south = moved
    new = take_over.take_over(nurse, rx.id, patient.id)
    own = f.make_user("patient", patients=[patient])

    options = ordering.order_options(own, patient.id)
    offered = [choice.prescription.id for choice in options.choices]
    assert offered == [new.id]
    with pytest.raises(DomainError) as refused:
        ordering.place_order(own, patient.id, [(new.id, 1)], "home")
    assert refused.value.code == "time_locked"


@pytest.mark.parametrize(
    "state, code",
    [
        ("own clinic", "prescription_already_own_clinic"),
        ("not begun", "prescription_not_active"),
        ("used up", "prescription_not_active"),
        ("cancelled", "prescription_not_active"),
        ("renewed", "prescription_already_renewed"),
    ],
)
def test_a_prescription_that_cannot_be_taken_over_is_refused_untouched(
    moved, state, code
):
    nurse, patient, rx, north, south = moved
    today = region_today()
    if state == "own clinic":
        nurse.clinics.append(north)
    elif state == "not begun":
        rx.valid_from = today
    elif state == "used up":
        rx.withdrawals_used = rx.withdrawals
    elif state == "cancelled":
        rx.status = "cancelled"
    db.session.commit()
    if state == "renewed":  # from the day it ends, by either clinic
        renewals.renew(nurse, rx.id, reason_code="medical")
    before = db.session.scalar(sa.select(sa.func.count(Prescription.id)))
    old_end = rx.valid_to

    with pytest.raises(DomainError) as refused:
        take_over.take_over(nurse, rx.id, patient.id)

    assert refused.value.code == code
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Prescription.id))) == before
    assert db.session.get(Prescription, rx.id).valid_to == old_end


def test_all_of_another_clinics_prescriptions_at_once(moved):
    """Those that may be taken over are; a renewed one and the clinic's own
    are left as they are."""
    nurse, patient, rx, north, south = moved
    today = region_today()
    begun = today - timedelta(days=5)
    second = f.make_prescription(patient, f.make_article(), clinic=north,
                                 valid_from=begun)  # fmt: skip
    renewed = f.make_prescription(patient, f.make_article(category="battery"),
                                  clinic=north, valid_from=begun)  # fmt: skip
    renewals.renew(nurse, renewed.id, reason_code="medical")
    own = f.make_prescription(patient, f.make_article(), clinic=south,
                              valid_from=begun)  # fmt: skip

    taken = take_over.take_over_all(nurse, patient.id)

    assert taken == 2
    db.session.expire_all()
    ended = {p.id for p in db.session.scalars(sa.select(Prescription))
             if p.valid_to == today - timedelta(days=1)}  # fmt: skip
    assert ended == {rx.id, second.id}
    assert db.session.get(Prescription, own.id).valid_to > today


def test_a_prescriber_without_the_patient_may_not_take_over(moved):
    _nurse, patient, rx, north, south = moved
    stranger = f.make_user("prescriber", clinics=[f.make_clinic("VAST")])

    with pytest.raises(DomainError) as refused:
        take_over.take_over(stranger, rx.id)

    assert refused.value.status == 404
    assert db.session.get(Prescription, rx.id).valid_to > region_today()


def test_the_time_lock_carried_over_is_kept_after_a_later_take_over(moved):
    """The renewal chain reads on through the taken-over prescription: the
    portal's run-out follows it (a renewal of the new one keeps its lock)."""
    nurse, patient, rx, north, south = moved
    new = take_over.take_over(nurse, rx.id, patient.id)
    renewal = renewals.renew(nurse, new.id, reason_code="medical")
    assert renewal.last_withdrawal_on == rx.last_withdrawal_on
    assert renewal.valid_from == date.fromordinal(new.valid_to.toordinal() + 1)


def test_a_take_over_for_a_patient_whose_care_ended_is_refused(moved):
    """What a take-over racing the registration of a death reads once it has
    the patient's row (`services.load_prescription`): the care ended, though
    the prescription it holds is still in force. Refused, nothing written."""
    nurse, patient, rx, north, south = moved
    patient.care_ended_reason = "deceased"
    patient.care_ended_on = region_today()
    db.session.commit()
    old_end = rx.valid_to

    with pytest.raises(DomainError) as refused:
        take_over.take_over(nurse, rx.id, patient.id)

    assert refused.value.code == "care_ended"
    db.session.expire_all()
    assert db.session.get(Prescription, rx.id).valid_to == old_end
    assert db.session.scalar(sa.select(sa.func.count(Prescription.id))) == 1
