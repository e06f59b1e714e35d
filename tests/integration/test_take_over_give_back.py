"""A withdrawal given back after a take-over goes on to the prescription that
took it over.

An order placed on the old clinic's prescription before the take-over and
cancelled (or wholly returned to the shelf) after it gave its withdrawal back
to the old prescription, which had ended: the new one carried only the
withdrawals left at the take-over, so the patient lost one, and the new one
kept the time lock of the order that never came.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from sesamlike.common.models import OutgoingMail
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.followup.runs import run_year
from sesamlike.fulfilment import returns
from sesamlike.orders import services as ordering
from sesamlike.orders.models import Order
from sesamlike.prescriptions import renewals, take_over
from sesamlike.prescriptions import services as prescriptions
from sesamlike.prescriptions.models import Prescription
from tests import factories as f
from tests.integration.test_followup_scenarios import paid
from tests.integration.test_followup_truth import move_clinic


def cancelled_mail() -> str:
    return db.session.scalars(
        sa.select(OutgoingMail.body).where(OutgoingMail.kind == "order_cancelled")
    ).one()


def fresh(rx: Prescription) -> Prescription:
    db.session.expire_all()
    return db.session.get(Prescription, rx.id)


@pytest.fixture
def ordered():
    """A patient of NORR with a prescription of infusion sets (8 withdrawals
    of 2 packs, a 30-day lock; 2 delivered, the last 40 days ago) who ordered
    on it today, then moved to SODR. SODR's nurse, the patient's own user."""
    today = region_today()
    north = f.make_clinic("NORR", cost_centre="KS-100")
    south = f.make_clinic("SODR", cost_centre="KS-200")
    patient = f.make_patient(north, email="ella@example.se")
    sets = f.make_article(pack_price_sek=Decimal("1000.00"), channel="central")
    f.make_stock_lot(sets, f.make_depot(), on_hand=100)
    rx = f.make_prescription(
        patient, sets, clinic=north, valid_from=today - timedelta(days=100),
        valid_to=today + timedelta(days=264), packs_per_withdrawal=2, withdrawals=8,
        withdrawals_used=2, period_days=30, lock_days=30,
        last_withdrawal_on=today - timedelta(days=40),
    )  # fmt: skip
    delivered = f.make_delivery(patient, rx, today - timedelta(days=40), packs=2)
    delivered.placed_at = delivered.placed_at - timedelta(days=40)
    db.session.commit()
    own = f.make_user("patient", patients=[patient])
    order = ordering.place_order(own, patient.id, [(rx.id, 2)], "home").order
    move_clinic(patient, south, today)
    nurse = f.make_user("prescriber", clinics=[south])
    return nurse, own, patient, rx, order


def test_an_order_cancelled_after_the_take_over_gives_its_withdrawal_to_the_taker(
    ordered,
):
    nurse, own, patient, rx, order = ordered
    today = region_today()
    new = take_over.take_over(nurse, rx.id, patient.id)
    assert (new.withdrawals, new.next_withdrawal_on) == (5, today + timedelta(30))

    ordering.cancel_order(nurse, order.id)

    new, old = fresh(new), fresh(rx)
    assert (new.withdrawals, new.withdrawals_used, new.remaining_withdrawals) == (
        6,
        0,
        6,
    )
    # The time lock runs from the withdrawal the patient really has (40 days
    # ago), as it would have on the old prescription: open today.
    assert new.last_withdrawal_on == today - timedelta(days=40)
    assert new.next_withdrawal_on == today
    # The old one counts what was withdrawn on it, and has ended.
    assert (old.withdrawals, old.withdrawals_used) == (8, 2)
    assert old.last_withdrawal_on == today - timedelta(days=40)
    assert old.taken_over_by_id == new.id
    assert old.status_on(today) == "expired"
    # The patient is told it can be ordered again (it is on one in force).
    assert "så att de kan beställas igen" in cancelled_mail()
    placed = ordering.place_order(own, patient.id, [(new.id, 2)], "home")
    assert fresh(new).last_withdrawal_on == today

    # Its own order cancelled, the new one's time lock is the one it carried
    # on (the old one's latest withdrawal standing), not none.
    ordering.cancel_order(nurse, placed.order.id)
    new = fresh(new)
    assert (new.withdrawals, new.withdrawals_used) == (6, 0)
    assert new.last_withdrawal_on == today - timedelta(days=40)


def test_a_cancelled_order_costs_neither_clinic_after_the_take_over(ordered):
    """Who pays is the prescription's clinic at order time: the order cancelled
    costs nothing, and the withdrawal moved changes no one's cost."""
    nurse, own, patient, rx, order = ordered
    new = take_over.take_over(nurse, rx.id, patient.id)
    ordering.cancel_order(nurse, order.id)
    f.make_delivery(patient, fresh(new), region_today(), packs=2)

    year = region_today().year
    run_year(year, full=True)

    expected = [("SODR", "0.00", "2000.00", "0.00", 1)]
    if (region_today() - timedelta(days=40)).year == year:  # the earlier delivery
        expected.insert(0, ("NORR", "0.00", "2000.00", "0.00", 1))
    assert sorted(paid(year)) == expected


def test_taken_over_twice_the_withdrawal_goes_to_the_last_taker(ordered):
    """Each taker carries what its old one has left: the one between too."""
    nurse, own, patient, rx, order = ordered
    today = region_today()
    middle = take_over.take_over(nurse, rx.id, patient.id, today - timedelta(days=1))
    west = f.make_clinic("VAST", cost_centre="KS-300")
    move_clinic(patient, west, today)
    last = take_over.take_over(f.make_user("prescriber", clinics=[west]),
                               middle.id, patient.id)  # fmt: skip

    ordering.cancel_order(nurse, order.id)

    middle, last, old = fresh(middle), fresh(last), fresh(rx)
    assert old.taken_over_by_id == middle.id and middle.taken_over_by_id == last.id
    assert (old.withdrawals_used, old.remaining_withdrawals) == (2, 6)
    assert (middle.withdrawals, middle.withdrawals_used) == (6, 0)
    assert (last.withdrawals, last.withdrawals_used) == (6, 0)
    for rx_ in (old, middle, last):
        assert rx_.last_withdrawal_on == today - timedelta(days=40)
    assert last.next_withdrawal_on == today


def test_a_taker_renewed_ahead_but_still_in_force_gets_it(ordered):
    nurse, own, patient, rx, order = ordered
    new = take_over.take_over(nurse, rx.id, patient.id)
    renewal = renewals.renew(nurse, new.id, reason_code="medical")
    renewal_before = (renewal.withdrawals, renewal.withdrawals_used)

    ordering.cancel_order(nurse, order.id)

    assert fresh(new).withdrawals == 6
    renewal = fresh(renewal)
    assert (renewal.withdrawals, renewal.withdrawals_used) == renewal_before


@pytest.mark.parametrize("ended", ["cancelled", "expired and renewed"])
def test_a_taker_no_longer_in_force_leaves_the_withdrawal_to_lapse(ordered, ended):
    """As on the old prescription never taken over: what is left of an ended
    prescription lapses; a renewal is an entitlement of its own."""
    nurse, own, patient, rx, order = ordered
    today = region_today()
    if ended == "cancelled":
        new = take_over.take_over(nurse, rx.id, patient.id)
        prescriptions.cancel(nurse, new.id)
        others = []
    else:
        new = take_over.take_over(nurse, rx.id, patient.id, today - timedelta(days=1))
        new.valid_to = today - timedelta(days=1)  # as the old one would have
        db.session.commit()
        renewal = renewals.renew(nurse, new.id, valid_to=today + timedelta(days=200),
                                 reason_code="medical")  # fmt: skip
        assert renewal.valid_from == today
        others = [renewal]
    before = [(p.id, p.withdrawals, p.withdrawals_used, p.last_withdrawal_on)
              for p in [fresh(new), *map(fresh, others)]]  # fmt: skip

    ordering.cancel_order(nurse, order.id)

    after = [(p.id, p.withdrawals, p.withdrawals_used, p.last_withdrawal_on)
             for p in [fresh(new), *map(fresh, others)]]  # fmt: skip
    assert after == before
    old = fresh(rx)
    assert (old.withdrawals, old.withdrawals_used) == (8, 2)
    assert old.last_withdrawal_on == today - timedelta(days=40)
    assert "kan beställas igen" not in cancelled_mail()


def test_a_delivery_all_back_on_the_shelf_after_the_take_over_goes_to_the_taker():
    """A return of every pack unopened gives the withdrawal back, as a
    cancellation does: to the taker, whose time lock counts it no more."""
    today = region_today()
    north = f.make_clinic("NORR")
    south = f.make_clinic("SODR")
    patient = f.make_patient(north)
    sets = f.make_article(channel="central")
    f.make_depot("HMC")
    rx = f.make_prescription(
        patient, sets, clinic=north, valid_from=today - timedelta(days=100),
        withdrawals=4, withdrawals_used=1, lock_days=30, last_withdrawal_on=today
        - timedelta(days=3),
    )  # fmt: skip
    delivered = f.make_delivery(patient, rx, today - timedelta(days=2), packs=1)
    delivered.placed_at = delivered.placed_at - timedelta(days=3)
    db.session.commit()
    move_clinic(patient, south, today)
    new = take_over.take_over(f.make_user("prescriber", clinics=[south]), rx.id)
    assert new.next_withdrawal_on == today + timedelta(days=27)

    returns.return_consumables(
        f.make_user("depot"), delivered.lines[0].id, today, lot="L1"
    )

    new = fresh(new)
    assert (new.withdrawals, new.withdrawals_used) == (4, 0)
    assert new.last_withdrawal_on is None and new.next_withdrawal_on == today
    assert fresh(rx).withdrawals_used == 0


def test_a_renewal_is_no_take_over_its_old_one_keeps_the_withdrawal(ordered):
    """Unchanged: a renewal is marked by nothing, and an order cancelled on
    the old one gives back to the old one."""
    nurse, own, patient, rx, order = ordered
    renewal = renewals.renew(nurse, rx.id, reason_code="medical")

    ordering.cancel_order(nurse, order.id)

    assert fresh(rx).taken_over_by_id is None
    assert fresh(rx).withdrawals_used == 2
    assert fresh(renewal).withdrawals == 8
    assert db.session.scalar(sa.select(sa.func.count(Order.id))) == 2


def test_a_supplier_cancellation_after_the_take_over_goes_to_the_taker():
    """A supplier status file's cancellation gives back as the clinic's does,
    judged on the day of the import."""
    from datetime import date

    from sesamlike.channels.supplier import export_supplier_orders
    from sesamlike.channels.supplier_status import import_supplier_status_text
    from tests.channel_world import ORDER_DAY, World

    later = date(2026, 3, 10)
    world = World()
    order = world.order(world.cgm)
    export_supplier_orders(ORDER_DAY, today=later)
    line = order.lines[0]
    rx = fresh(line.prescription)
    south = f.make_clinic("SODR")
    move_clinic(world.patient, south, date(2026, 3, 5))
    nurse = f.make_user("prescriber", clinics=[south])
    new = take_over.take_over(nurse, rx.id, world.patient.id, date(2026, 3, 5))
    assert (new.withdrawals, rx.withdrawals_used) == (3, 1)

    import_supplier_status_text(
        f"line_id,status,tracking_ref,delivered_on\n{line.id},cancelled,,\n",
        today=later,
    )

    assert (fresh(rx).withdrawals_used, fresh(new).withdrawals) == (0, 4)


@pytest.mark.parametrize("taken_over", [False, True])
def test_a_renewal_written_ahead_follows_the_time_lock_a_cancellation_gives_back(
    taken_over,
):
    """The review: the patient orders on a prescription ending in five days,
    the nurse renews it (the renewal carries on the time lock from that
    withdrawal), then the order is cancelled. The prescription's lock went
    back, the renewal's stayed: it opened two months late for a withdrawal
    the patient never had. Also for a taker's renewal."""
    today = region_today()
    clinic = f.make_clinic("NORR")
    prescribed = f.make_prescribed(
        clinic, valid_from=today - timedelta(days=300),
        valid_to=today + timedelta(days=5), lock_days=60, withdrawals=4,
    )  # fmt: skip
    nurse, patient, rx = prescribed.prescriber, prescribed.patient, prescribed.rx
    order = ordering.place_order(nurse, patient.id, [(rx.id, 1)], "home").order
    renewed = rx
    if taken_over:
        south = f.make_clinic("SODR")
        move_clinic(patient, south, today)
        nurse = f.make_user("prescriber", clinics=[south])
        renewed = take_over.take_over(nurse, rx.id, patient.id)
    renewal = renewals.renew(nurse, renewed.id, valid_to=today + timedelta(days=370),
                             withdrawals=4, reason_code="medical")  # fmt: skip
    assert fresh(renewal).last_withdrawal_on == today  # carried on
    assert fresh(renewal).valid_from > today  # written ahead

    ordering.cancel_order(nurse, order.id)

    assert fresh(renewed).last_withdrawal_on is None
    assert fresh(renewal).last_withdrawal_on is None  # it may be ordered on at once
