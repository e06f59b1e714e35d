"""Real cases through the services, each year's figures hand-computed from the
cost rules of interfaces.md, and the same after an incremental run as after a
full one.

A pump of 30,000 SEK over 4 years costs 30,000 × days / 1,460 in a year.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from sesamlike.extensions import db
from sesamlike.followup import rules
from sesamlike.followup.cost_centres import cost_centre_sums
from sesamlike.followup.lines import load_cost_lines
from sesamlike.followup.models import FollowupRun, PatientYearCost
from sesamlike.followup.runs import run_year
from sesamlike.followup.scope import resolve
from sesamlike.fulfilment import returns, shipping, swaps
from sesamlike.orders import services as ordering
from tests import factories as f
from tests.integration.test_followup_truth import move_clinic

AFTER = datetime(2029, 2, 5, 3, 0, tzinfo=UTC)  # 2024-2028 are whole past years


@pytest.fixture
def world():
    world = f.make_depot_world()
    system = f.make_system("MiniMed 640G")
    world.article = f.make_pump("MM640", systems=[system], pack_size=1,
                                channel="central",
                                pack_price_sek=Decimal("30000.00"))  # fmt: skip
    return world


def lend_pump(world, serial: str, on: date, patient=None):
    """The pump with `serial` ordered, shipped and delivered to the clinic on `on`."""
    shipping.receive_stock(world.clerk, "HMC", world.article.article_no, 1,
                           serials=[serial], lot="", today=on)  # fmt: skip
    order = f.place_order_for(world.prescriber, world.article, patient=patient,
                              mode="clinic", lock_days=0)  # fmt: skip
    shipping.ship_order(world.clerk, order.id, serials={order.lines[0].id: [serial]},
                        today=on)  # fmt: skip
    shipping.deliver_order(world.clerk, order.id, on, today=on)
    return order


def figures(year: int) -> dict[int, tuple]:
    rows = db.session.scalars(
        sa.select(PatientYearCost).where(PatientYearCost.year == year)
    )
    return {
        row.patient_id: (
            str(row.device_cost_sek),
            str(row.consumables_cost_sek),
            str(row.total_cost_sek),
            row.pump_system,
            row.cgm_system,
        )
        for row in rows
    }


def paid(year: int) -> list[tuple]:
    """What each cost centre paid, from the stored payers."""
    region = resolve(f.make_user("region"), None)
    return [
        (c.clinic_code, str(c.device_cost_sek), str(c.consumables_cost_sek),
         str(c.vat_sek), c.patients)
        for c in cost_centre_sums(region, year)
    ]  # fmt: skip


def incremental_and_full(year: int) -> tuple:
    """The year's figures and payers after an incremental run, then a full one."""
    db.session.expire_all()
    assert not run_year(year).full
    incremental = figures(year), paid(year)
    run_year(year, full=True)
    return incremental, (figures(year), paid(year))


def test_a_pump_replaced_under_warranty_across_new_year_costs_the_gap(world):
    """Back faulty on 20 December 2024, the replacement delivered 10 January
    2025: the replacement's days run from the swap, so 2024 has 294 days of the
    first pump (1 March to 19 December) and 12 of the replacement."""
    order = lend_pump(world, "P-1", date(2024, 3, 1))
    patient_id = order.patient_id
    code = world.clinic.code
    run_year(2024)
    assert figures(2024)[patient_id][0] == "6287.67"  # 306 days, none back yet

    device = returns.return_device(world.clerk, "P-1", "faulty", date(2024, 12, 20),
                                   today=date(2024, 12, 20))  # fmt: skip
    shipping.receive_stock(world.clerk, "HMC", "MM640", 1, serials=["P-2"], lot="")
    replacement = returns.replace_device(world.clerk, device.id,
                                         today=date(2024, 12, 20))  # fmt: skip
    line = replacement.lines[0]
    shipping.ship_order(world.clerk, replacement.id, serials={line.id: ["P-2"]},
                        today=date(2025, 1, 9))  # fmt: skip
    shipping.deliver_order(world.clerk, replacement.id, date(2025, 1, 10),
                           today=date(2025, 1, 10))  # fmt: skip

    expected = {patient_id: ("6287.67", "0.00", "6287.67", "MiniMed 640G", None)}
    payers = [(code, "6287.67", "0.00", "0.00", 1)]
    assert incremental_and_full(2024) == ((expected, payers),) * 2
    run_year(2025)
    assert figures(2025)[patient_id][0] == "7500.00"
    run_year(2028)  # 1 March 2024 + 1,460 days: 28 February 2028 is the last
    assert figures(2028)[patient_id][0] == "1212.33"


def test_a_pump_swapped_under_warranty_keeps_its_prescriber(world):
    """The replacement has no prescription of its own: the year's prescriber
    is the one who prescribed the first pump, before and after the swap, and
    a row stored without one gets it from the next run."""
    patient = f.make_patient(world.clinic)
    rx = f.make_prescription(patient, world.article, world.prescriber, lock_days=0)
    shipping.receive_stock(world.clerk, "HMC", "MM640", 2, serials=["P-1", "P-2"],
                           lot="")  # fmt: skip
    order = ordering.place_order(world.prescriber, patient.id, [(rx.id, 1)],
                                 "clinic").order  # fmt: skip
    shipping.ship_order(world.clerk, order.id, serials={order.lines[0].id: ["P-1"]},
                        today=date(2024, 7, 1))  # fmt: skip
    shipping.deliver_order(world.clerk, order.id, date(2024, 7, 1),
                           today=date(2024, 7, 1))  # fmt: skip
    run_year(2025)

    swaps.swap_device(world.clerk, "P-1", "P-2", date(2025, 4, 1),
                      today=date(2025, 4, 1))  # fmt: skip

    def prescriber(year: int) -> tuple:
        row = db.session.scalar(
            sa.select(PatientYearCost).where(PatientYearCost.year == year)
        )
        return row.prescriber_id, row.prescription_id

    expected = (world.prescriber.id, rx.id)
    assert not run_year(2025).full  # the replacement's 275 days: its pump now
    assert prescriber(2025) == expected
    run_year(2025, full=True)
    assert prescriber(2025) == expected
    run_year(2026)  # the replacement's alone
    assert prescriber(2026) == expected

    # As a run before this rule stored it: the next run looks it up again.
    db.session.execute(
        sa.update(PatientYearCost).values(prescriber_id=None, prescription_id=None)
    )
    db.session.execute(sa.update(FollowupRun).values(catalogue_digest="before"))
    db.session.commit()
    assert run_year(2026).full
    assert prescriber(2026) == expected


def test_a_pump_swapped_at_the_counter_mid_year_runs_on_its_first_period(world):
    order = lend_pump(world, "P-1", date(2024, 7, 1))
    patient_id = order.patient_id
    run_year(2025)
    assert figures(2025)[patient_id][0] == "7500.00"

    shipping.receive_stock(world.clerk, "HMC", "MM640", 1, serials=["P-2"], lot="")
    swaps.swap_device(world.clerk, "P-1", "P-2", date(2025, 4, 1),
                      today=date(2025, 4, 1))  # fmt: skip

    # 90 days of the first pump and 275 of the replacement.
    expected = {patient_id: ("7500.00", "0.00", "7500.00", "MiniMed 640G", None)}
    payers = [(world.clinic.code, "7500.00", "0.00", "0.00", 1)]
    assert incremental_and_full(2025) == ((expected, payers),) * 2
    run_year(2024)
    assert figures(2024)[patient_id][0] == "3780.82"  # 184 days
    run_year(2028)  # 1 July 2024 + 1,460 days: 29 June 2028 is the last
    assert figures(2028)[patient_id][0] == "3719.18"


def test_a_pump_swapped_at_the_clinic_before_its_delivery_was_recorded(world):
    """Shipped to the clinic on 1 July 2024, found faulty there and swapped on
    3 July before anyone recorded its delivery: the region paid one pump of
    30,000, over four years (1,460 days) from the swap. Before, the chain had
    no start: PostgreSQL charged 7,500 a year for ever, SQLite nothing."""
    shipping.receive_stock(world.clerk, "HMC", "MM640", 2, serials=["P-1", "P-2"],
                           lot="", today=date(2024, 7, 1))  # fmt: skip
    order = f.place_order_for(world.prescriber, world.article, mode="clinic",
                              lock_days=0)  # fmt: skip
    shipping.ship_order(world.clerk, order.id, serials={order.lines[0].id: ["P-1"]},
                        today=date(2024, 7, 1))  # fmt: skip
    swaps.swap_device(world.clerk, "P-1", "P-2", date(2024, 7, 3),
                      today=date(2024, 7, 3))  # fmt: skip
    # 3 July 2024 + 1,460 days: 1 July 2028 is the last day. 2024: 182 days.
    expected = {2024: "3739.73", 2025: "7500.00", 2026: "7500.00",
                2027: "7500.00", 2028: "3760.27"}  # fmt: skip
    lines = load_cost_lines()
    for year, device in expected.items():
        run_year(year, full=True, now=AFTER)
        assert figures(year)[order.patient_id][0] == device
        reference = rules.patient_year_cost(lines, year, AFTER.date())
        assert str(reference.device_cost_sek) == device
    run_year(2029, full=True, now=AFTER)
    assert figures(2029) == {}
    assert sum(map(Decimal, expected.values())) == Decimal("30000.00")


def test_a_pump_returned_early_stops_costing_in_the_stored_year(world):
    order = lend_pump(world, "P-1", date(2024, 7, 1))
    run_year(2025)
    assert figures(2025)[order.patient_id][0] == "7500.00"

    swaps.return_lent_device(world.clerk, "P-1", date(2025, 3, 15),
                             today=date(2025, 3, 15))  # fmt: skip

    # 1 January to 14 March: 73 days.
    expected = {order.patient_id: ("1500.00", "0.00", "1500.00", "MiniMed 640G",
                                   None)}  # fmt: skip
    payers = [(world.clinic.code, "1500.00", "0.00", "0.00", 1)]
    assert incremental_and_full(2025) == ((expected, payers),) * 2


def test_packs_partly_restocked_and_partly_scrapped_after_the_year_was_run(world):
    sets = f.make_article("QS9", pack_price_sek=Decimal("1150.00"), pack_size=10)
    shipping.receive_stock(world.clerk, "HMC", "QS9", 10, lot="L1")
    order = f.place_order_for(world.prescriber, sets, 10, lock_days=0)
    shipping.ship_order(world.clerk, order.id, today=date(2025, 3, 3))
    shipping.deliver_order(world.clerk, order.id, date(2025, 3, 3),
                           today=date(2025, 3, 3))  # fmt: skip
    run_year(2025)
    assert figures(2025)[order.patient_id][1] == "11500.00"

    line_id = order.lines[0].id
    returns.return_consumables(world.clerk, line_id, date(2025, 3, 10), packs=3,
                               restock=True, today=date(2025, 3, 10))  # fmt: skip
    returns.return_consumables(world.clerk, line_id, date(2025, 3, 12), packs=1,
                               restock=False, today=date(2025, 3, 12))  # fmt: skip

    # 3 packs back on stock come off; the scrapped one still costs.
    expected = {order.patient_id: ("0.00", "8050.00", "8050.00", None, None)}
    payers = [(world.clinic.code, "0.00", "8050.00", "0.00", 1)]
    assert incremental_and_full(2025) == ((expected, payers),) * 2


def test_pharmacy_lines_add_vat_rounded_once_per_patient_and_cost_centre(world):
    pods = f.make_article(category="pod", channel="pharmacy", pack_size=10,
                          pack_price_sek=Decimal("333.33"))  # fmt: skip
    batteries = f.make_article(category="battery", channel="central", pack_size=4,
                               pack_price_sek=Decimal("99.99"))  # fmt: skip
    patient = f.make_patient(world.clinic)
    run_year(2025)  # nothing yet: the year's first run
    for article, packs in ((pods, 3), (batteries, 1)):
        rx = f.make_prescription(patient, article, valid_from=date(2025, 1, 1))
        f.make_delivery(patient, rx, date(2025, 6, 2), packs=packs)

    # 3 × 333.33 × 1.25 = 1,249.9875 and 99.99: 1,349.9775; VAT 249.9975.
    expected = {patient.id: ("0.00", "1349.98", "1349.98", None, None)}
    payers = [(world.clinic.code, "0.00", "1349.98", "250.00", 1)]
    assert incremental_and_full(2025) == ((expected, payers),) * 2


def test_a_transmitter_from_last_year_gives_the_cgm_system_and_costs_nothing(world):
    dexcom = f.make_system("Dexcom G6", kind="cgm")
    libre = f.make_system("FreeStyle Libre 2", kind="cgm")
    transmitter = f.make_article(category="cgm_transmitter", systems=[dexcom],
                                 pack_size=1, units_per_day=Decimal("0.0111"),
                                 pack_price_sek=Decimal("2500.00"))  # fmt: skip
    sensors = f.make_article(category="cgm_sensor", systems=[libre], pack_size=2,
                             units_per_day=Decimal("0.0714"),
                             pack_price_sek=Decimal("900.00"))  # fmt: skip
    patient = f.make_patient(world.clinic)
    f.make_delivered_line(patient, transmitter, date(2024, 11, 15))
    run_year(2024)
    run_year(2025)
    # 1 / 0.0111 is 90 whole days: 15 November 2024 to 12 February 2025.
    assert figures(2024) == {
        patient.id: ("0.00", "2500.00", "2500.00", None, "Dexcom G6")
    }
    assert figures(2025) == {patient.id: ("0.00", "0.00", "0.00", None, "Dexcom G6")}

    f.make_delivered_line(patient, sensors, date(2025, 3, 1), packs=2)

    # The transmitter was in use in 2025: its system, not the sensors'.
    expected = {patient.id: ("0.00", "1800.00", "1800.00", None, "Dexcom G6")}
    payers = [(world.clinic.code, "0.00", "1800.00", "0.00", 1)]
    assert incremental_and_full(2025) == ((expected, payers),) * 2


def test_a_change_of_amortisation_years_reaches_every_stored_year(world):
    order = lend_pump(world, "P-1", date(2024, 7, 1))
    run_year(2024)
    run_year(2025)
    assert figures(2025)[order.patient_id][0] == "7500.00"

    world.article.amortisation_years = 5
    db.session.commit()

    assert run_year(2025).full
    assert figures(2025)[order.patient_id][0] == "6000.00"
    assert paid(2025) == [(world.clinic.code, "6000.00", "0.00", "0.00", 1)]
    assert run_year(2024).full
    assert figures(2024)[order.patient_id][0] == "3024.66"  # 184 / 1,825


def test_a_pump_keeps_costing_the_clinic_that_prescribed_it_after_a_move(world):
    north, south = world.clinic, f.make_clinic("SODR", cost_centre="KS-200")
    sets = f.make_article(pack_price_sek=Decimal("1000.00"))
    order = lend_pump(world, "P-1", date(2025, 1, 1))
    patient = order.patient
    run_year(2025)

    move_clinic(patient, south, date(2025, 7, 1))
    at_south = f.make_prescription(patient, sets, clinic=south,
                                   valid_from=date(2025, 7, 1))  # fmt: skip
    f.make_delivery(patient, at_south, date(2025, 8, 15), packs=2)

    expected = {patient.id: ("7500.00", "2000.00", "9500.00", "MiniMed 640G", None)}
    payers = sorted([(north.code, "7500.00", "0.00", "0.00", 1),
                     ("SODR", "0.00", "2000.00", "0.00", 1)])  # fmt: skip
    (incremental, full) = incremental_and_full(2025)
    assert (incremental[0], sorted(incremental[1])) == (expected, payers)
    assert (full[0], sorted(full[1])) == (expected, payers)


def test_packs_back_on_stock_are_no_overuse_in_the_drill_down(world):
    """Volumes count the packs kept: 20 packs of 10 sets delivered and 5 put
    back on stock are 150 sets, under 1.5 × 0.3333 × 365 = 182.5."""
    from sesamlike.followup import drilldown, report

    sets = f.make_article("QS9", pack_size=10, units_per_day=Decimal("0.3333"))
    shipping.receive_stock(world.clerk, "HMC", "QS9", 20, lot="L1")
    order = f.place_order_for(world.prescriber, sets, 20, lock_days=0)
    shipping.ship_order(world.clerk, order.id, today=date(2025, 3, 3))
    shipping.deliver_order(world.clerk, order.id, date(2025, 3, 3),
                           today=date(2025, 3, 3))  # fmt: skip
    returns.return_consumables(world.clerk, order.lines[0].id, date(2025, 3, 10),
                               packs=5, today=date(2025, 3, 10))  # fmt: skip
    run_year(2025)

    region = resolve(f.make_user("region"), None)
    assert report.articles_and_overuse(region, 2025)[1] == 0
    flagged = drilldown.query(region, 2025, drilldown.Filters(overuse=True))
    assert db.session.execute(flagged).all() == []
