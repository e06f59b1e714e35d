"""The cost rules of interfaces.md on hand-computed cases (no database)."""

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from sesamlike.followup.rules import (
    CostLine,
    costs_by_patient,
    patient_year_cost,
    round_half_up,
)

_ids = iter(range(1, 10_000))


def pump(delivered_on, price="30000.00", system="MiniMed 640G", **kw):
    return CostLine(
        next(_ids),
        kw.pop("patient_id", 1),
        "pump",
        1,
        Decimal(price),
        Decimal("0.25"),
        kw.pop("channel", "central"),
        delivered_on,
        amortisation_years=kw.pop("years", 4),
        pump_system=system,
        **kw,
    )


def consumable(
    delivered_on, packs, price, channel="central", category="infusion_set", **kw
):
    return CostLine(
        next(_ids),
        kw.pop("patient_id", 1),
        category,
        packs,
        Decimal(price),
        Decimal("0.25"),
        channel,
        delivered_on,
        pack_size=kw.pop("pack_size", 10),
        **kw,
    )


def test_pump_delivered_mid_year_costs_its_184_days():
    line = pump(date(2025, 7, 1))
    assert line.days_in_year(2025) == 184
    cost = patient_year_cost([line], 2025)
    assert cost.device_cost_sek == Decimal("3780.82")
    assert cost.consumables_cost_sek == Decimal("0.00")
    assert cost.total_cost_sek == Decimal("3780.82")
    assert cost.pump_system == "MiniMed 640G"


def test_pump_returned_early_stops_costing_the_day_it_comes_back():
    line = pump(date(2024, 3, 1), returned_on=date(2025, 4, 15), status="returned")
    assert line.days_in_year(2024) == 306
    assert line.days_in_year(2025) == 104  # 1 January to 14 April
    assert patient_year_cost([line], 2025).device_cost_sek == Decimal("2136.99")
    assert patient_year_cost([line], 2026) is None


def test_pharmacy_lines_add_vat_and_central_lines_do_not():
    pods = consumable(
        date(2025, 2, 3), 3, "2950.00", channel="pharmacy", category="pod"
    )
    sets = consumable(date(2025, 2, 3), 2, "1150.00")
    cost = patient_year_cost([pods, sets], 2025)
    assert cost.consumables_cost_sek == Decimal("11062.50") + Decimal("2300.00")


def test_a_patient_switching_pumps_gets_the_system_used_longest_and_rounds_once():
    old = pump(date(2022, 3, 1), returned_on=date(2025, 5, 1), status="returned")
    new = pump(date(2025, 5, 1), price="38000.00", system="t:slim X2")
    cost = patient_year_cost([old, new], 2025)
    assert (old.days_in_year(2025), new.days_in_year(2025)) == (120, 245)
    assert cost.pump_system == "t:slim X2"
    # 2,465.753... + 6,376.712... = 8,842.465...: rounded after summing, not before.
    assert cost.device_cost_sek == Decimal("8842.47")


def test_a_patient_with_cgm_only_has_no_pump_system():
    reader = CostLine(
        next(_ids),
        1,
        "cgm_reader",
        1,
        Decimal("650.00"),
        Decimal("0.25"),
        "central",
        date(2024, 6, 10),
        amortisation_years=4,
        cgm_system="FreeStyle Libre 2",
    )
    sensors = consumable(
        date(2025, 1, 20),
        26,
        "550.00",
        channel="pharmacy",
        category="cgm_sensor",
        pack_size=1,
        cgm_system="FreeStyle Libre 2",
    )
    cost = patient_year_cost([reader, sensors], 2025)
    assert cost.pump_system is None
    assert cost.cgm_system == "FreeStyle Libre 2"
    assert cost.device_cost_sek == Decimal("162.50")
    assert cost.consumables_cost_sek == Decimal("17875.00")
    assert cost.total_cost_sek == Decimal("18037.50")


def test_without_a_reader_the_sensors_delivered_most_give_the_cgm_system():
    g7 = [
        consumable(
            date(2025, m, 1),
            3,
            "650.00",
            category="cgm_sensor",
            pack_size=1,
            cgm_system="Dexcom G7",
        )
        for m in (1, 4, 7)
    ]
    libre = consumable(
        date(2025, 10, 1),
        6,
        "550.00",
        category="cgm_sensor",
        pack_size=1,
        cgm_system="FreeStyle Libre 2",
    )
    assert patient_year_cost([*g7, libre], 2025).cgm_system == "Dexcom G7"


def test_a_transmitter_is_in_use_for_the_days_its_units_last():
    transmitter = CostLine(
        next(_ids),
        1,
        "cgm_transmitter",
        1,
        Decimal("4900.00"),
        Decimal("0.25"),
        "central",
        date(2024, 12, 1),
        units_per_day=Decimal("0.0027"),
        cgm_system="Guardian 4",
    )
    assert transmitter.days_in_year(2025) == 370 - 31
    sensors = consumable(
        date(2025, 1, 5),
        4,
        "1800.00",
        category="cgm_sensor",
        pack_size=3,
        cgm_system="Dexcom G6",
    )
    cost = patient_year_cost([transmitter, sensors], 2025)
    assert cost.cgm_system == "Guardian 4"  # in use beats sensors delivered
    assert cost.consumables_cost_sek == Decimal("7200.00")  # cost in 2024


def test_a_leap_year_has_366_days_and_four_years_add_up_to_the_price():
    line = pump(date(2024, 1, 1))
    costs = [
        patient_year_cost([line], year).device_cost_sek
        for year in (2024, 2025, 2026, 2027)
    ]
    assert costs == [
        Decimal("7520.55"),
        Decimal("7500.00"),
        Decimal("7500.00"),
        Decimal("7479.45"),
    ]
    assert sum(costs) == Decimal("30000.00")
    assert patient_year_cost([line], 2028) is None


def test_cancelled_and_undelivered_lines_cost_nothing():
    cancelled = consumable(date(2025, 3, 1), 1, "900.00", status="cancelled")
    reserved = consumable(None, 1, "900.00", status="reserved")
    assert patient_year_cost([cancelled, reserved], 2025) is None


@pytest.mark.parametrize(
    ("exact", "rounded"),
    [
        (Fraction("15.425"), "15.43"),
        (Fraction("15.424999"), "15.42"),
        (Fraction(1, 3), "0.33"),
        (Fraction(0), "0.00"),
    ],
)
def test_money_rounds_half_up_to_ore(exact, rounded):
    assert round_half_up(exact) == Decimal(rounded)


def test_costs_by_patient_keeps_patients_apart():
    lines = [
        pump(date(2025, 7, 1), patient_id=1),
        consumable(date(2025, 3, 1), 2, "680.00", patient_id=2),
    ]
    costs = costs_by_patient(lines, 2025)
    assert costs[1].total_cost_sek == Decimal("3780.82")
    assert costs[2].total_cost_sek == Decimal("1360.00")
    assert costs[2].pump_system is None
