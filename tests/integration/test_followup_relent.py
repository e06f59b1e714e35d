"""A pump lent again after it came back continues its first delivery's period.

The aids centre takes a pump back (therapy ended, not faulty), reconditions it
and lends it to the next patient. The region paid for it once: the second
loan runs on the first delivery's amortisation (its daily rate, to the end of
its four years), as a warranty replacement does; it is not charged the whole
price again. The supplier's warranty also runs from the first delivery.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.followup import rules
from sesamlike.followup.lines import load_cost_lines
from sesamlike.followup.models import PatientYearCost
from sesamlike.followup.runs import run_year
from sesamlike.fulfilment import returns, shipping
from sesamlike.orders.models import OrderLine
from sesamlike.stock.devices import warranty_end
from sesamlike.stock.models import Device
from tests import factories as f

TODAY = region_today()
PRICE = Decimal("30000.00")
PERIOD = 4 * 365  # days a pump is written off over (interfaces.md)


def stored(year):
    rows = db.session.scalars(
        sa.select(PatientYearCost).where(PatientYearCost.year == year)
    )
    return {row.patient_id: row for row in rows}


def expected_cost(start: date, end: date, year: int) -> Decimal:
    """The price x days in the year between start (counted) and end (not), / period."""
    first, after = date(year, 1, 1), date(year + 1, 1, 1)
    days = max(0, (min(end, after) - max(start, first)).days)
    return rules.round_half_up(rules.Fraction(PRICE) * days / PERIOD)


@pytest.fixture
def world():
    return f.make_depot_world()


def lend(world, pump, patient, serial, day):
    placed = f.place_order_for(world.prescriber, pump, patient=patient,
                               mode="clinic", lock_days=0)  # fmt: skip
    line_id = placed.lines[0].id
    shipping.ship_order(world.clerk, placed.id, serials={line_id: [serial]},
                        today=day)  # fmt: skip
    shipping.deliver_order(world.clerk, placed.id, day, today=day)
    return db.session.get(OrderLine, line_id, populate_existing=True)


def test_a_reconditioned_pump_lent_again_runs_on_its_first_delivery(world):
    system = f.make_system("MiniMed 640G")
    pump = f.make_pump(systems=[system], pack_size=1, pack_price_sek=PRICE)
    shipping.receive_stock(world.clerk, world.depot.code, pump.article_no, 1,
                           serials=["P-77"])  # fmt: skip
    first_day = TODAY - timedelta(days=1000)
    back_on = first_day + timedelta(days=200)
    again_on = first_day + timedelta(days=250)
    first_patient = f.make_patient(world.clinic)
    second_patient = f.make_patient(world.clinic)

    first = lend(world, pump, first_patient, "P-77", first_day)
    device = returns.return_device(world.clerk, "P-77", "therapy_ended", back_on)
    returns.recondition_device(world.clerk, device.id)
    second = lend(world, pump, second_patient, "P-77", again_on)

    # The second loan continues the first line's amortisation; the warranty
    # still ends four years after the first delivery.
    assert second.amortised_line_id == first.id
    device = db.session.scalar(sa.select(Device).where(Device.serial_no == "P-77"))
    assert (device.patient_id, device.warranty_end) == (
        second_patient.id, warranty_end(first_day, 4))  # fmt: skip

    period_end = first_day + timedelta(days=PERIOD)
    years = range(first_day.year, period_end.year + 2)
    after = datetime.combine(period_end + timedelta(days=400), datetime.min.time(),
                             UTC)  # fmt: skip
    lines = load_cost_lines()
    total = Decimal("0")
    for year in years:
        want = expected_cost(again_on, period_end, year)
        reference = rules.costs_by_patient(lines, year, after.date())
        run_year(year, full=True, now=after)
        row = stored(year).get(second_patient.id)
        got = row.device_cost_sek if row is not None else Decimal("0.00")
        assert (year, got) == (year, want)
        ref = reference.get(second_patient.id)
        assert (year, ref.device_cost_sek if ref else Decimal("0.00")) == (year, want)
        total += got
    # Over both loans the pump costs at most its price once: the days it
    # stood on the shelf between them fall on no patient.
    first_total = sum(
        stored(year)[first_patient.id].device_cost_sek
        for year in years
        if first_patient.id in stored(year)
    )
    assert total + first_total <= PRICE
    assert stored(period_end.year + 1).get(second_patient.id) is None


def test_a_pump_lent_again_keeps_its_system_and_the_rules_agree_with_the_sql():
    """Hand-computed: delivered 10 Jan 2024, back 1 Apr 2025, lent again to
    another patient 1 May 2025; the period ends 9 Jan 2028 (1,460 days)."""
    system = f.make_system("MiniMed 640G")
    pump = f.make_pump(systems=[system], pack_price_sek=PRICE)
    clinic = f.make_clinic()
    first_patient, second_patient = f.make_patient(clinic), f.make_patient(clinic)
    first = f.make_delivered_line(first_patient, pump, date(2024, 1, 10),
                                  returned_on=date(2025, 4, 1))  # fmt: skip
    f.make_delivered_line(second_patient, pump, date(2025, 5, 1),
                          amortised_line_id=first.id)  # fmt: skip
    after = datetime(2030, 2, 5, 3, 0, tzinfo=UTC)
    expected = {
        2024: {first_patient.id: "7335.62"},
        2025: {first_patient.id: "1849.32", second_patient.id: "5034.25"},
        2026: {second_patient.id: "7500.00"},
        2027: {second_patient.id: "7500.00"},
        2028: {second_patient.id: "164.38"},
        2029: {},
    }
    for year, costs in expected.items():
        run_year(year, full=True, now=after)
        rows = stored(year)
        assert {k: str(v.device_cost_sek) for k, v in rows.items()} == costs
        assert all(row.pump_system == "MiniMed 640G" for row in rows.values())
        reference = rules.costs_by_patient(load_cost_lines(), year, after.date())
        assert {k: str(v.device_cost_sek) for k, v in reference.items()} == costs
    # The patient page's rules read the second patient's lines alone: the
    # first loan's line comes with them, as what the period runs on.
    (line,) = load_cost_lines([second_patient.id])
    assert line.amortised is not None and line.amortised.line_id == first.id
    assert rules.patient_year_cost([line], 2028, after.date()).device_cost_sek == (
        Decimal("164.38"))  # fmt: skip


def test_the_patient_cost_page_says_the_pump_runs_on_its_first_delivery(client, auth):
    system = f.make_system("MiniMed 640G")
    pump = f.make_pump(systems=[system], pack_price_sek=PRICE)
    clinic = f.make_clinic()
    first_patient, second_patient = f.make_patient(clinic), f.make_patient(clinic)
    first = f.make_delivered_line(first_patient, pump, date(2024, 1, 10),
                                  returned_on=date(2025, 4, 1))  # fmt: skip
    f.make_delivered_line(second_patient, pump, date(2025, 5, 1),
                          amortised_line_id=first.id)  # fmt: skip
    run_year(2026, full=True, now=datetime(2027, 2, 5, 3, 0, tzinfo=UTC))
    manager = f.make_user("manager", clinics=[clinic])
    auth.login(manager.username)
    page = client.get(f"/followup/patients/{second_patient.id}?year=2026")
    text = page.get_data(as_text=True)
    assert "skrivs av från första leveransen 2024-01-10" in text
    assert "7\u00a0500,00" in text


@pytest.mark.parametrize("swaps", [1, 2])
def test_a_swap_of_a_pump_lent_again_keeps_its_patients_prescriber(world, swaps):
    """The cost audit: a pump lent first at NORR, back, reconditioned and lent
    to a patient of SODR, then swapped under warranty there (once, or twice).
    The swapped pump's year named the first patient's prescription and NORR's
    prescriber, so SODR's per-prescriber table showed a NORR doctor and lost
    its own: the replacement has no prescription, and the chain's first line
    was looked up by the amortisation, which began with the other patient."""
    from sesamlike.fulfilment import swaps as swapping

    system = f.make_system("MiniMed 640G")
    pump = f.make_pump(systems=[system], pack_size=1, pack_price_sek=PRICE)
    serials = ["P-1", "P-2", "P-3"]
    shipping.receive_stock(world.clerk, world.depot.code, pump.article_no, 3,
                           serials=serials)  # fmt: skip
    south = f.make_clinic("SODR", cost_centre="KS-200")
    south_prescriber = f.make_user("prescriber", clinics=[south])
    first_patient = f.make_patient(world.clinic)
    patient = f.make_patient(south)
    start = TODAY - timedelta(days=500)
    lend(world, pump, first_patient, "P-1", start)
    device = returns.return_device(world.clerk, "P-1", "therapy_ended",
                                   start + timedelta(days=100))  # fmt: skip
    returns.recondition_device(world.clerk, device.id)
    from sesamlike.orders import services as ordering

    own_prescription = f.make_prescription(patient, pump, south_prescriber,
                                           clinic=south, lock_days=0).id  # fmt: skip
    placed = ordering.place_order(south_prescriber, patient.id,
                                  [(own_prescription, 1)], "clinic").order  # fmt: skip
    line = placed.lines[0]
    again_on = start + timedelta(days=120)
    shipping.ship_order(world.clerk, placed.id, serials={line.id: ["P-1"]},
                        today=again_on)  # fmt: skip
    shipping.deliver_order(world.clerk, placed.id, again_on, today=again_on)
    swap_on = TODAY - timedelta(days=300)
    for old, new in list(zip(serials, serials[1:], strict=False))[:swaps]:
        swapping.swap_device(world.clerk, old, new, swap_on, today=swap_on)
        swap_on += timedelta(days=30)
    year = TODAY.year
    run_year(year, full=True)

    row = stored(year)[patient.id]
    assert (row.prescription_id, row.prescriber_id) == (
        own_prescription, south_prescriber.id)  # fmt: skip
