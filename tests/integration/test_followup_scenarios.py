"""Real cases through the services, each year's figures hand-computed from the
cost rules of interfaces.md, and the same after an incremental run as after a
full one.

A pump of 30,000 SEK over 4 years costs 30,000 × days / 1,460 in a year.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from sesamlike.extensions import db
from sesamlike.followup.cost_centres import cost_centre_sums
from sesamlike.followup.models import FollowupRun, PatientYearCost
from sesamlike.followup.runs import run_year
from sesamlike.followup.scope import resolve
from sesamlike.fulfilment import returns, shipping, swaps
from sesamlike.orders import services as ordering
from tests import factories as f


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
