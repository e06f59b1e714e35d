"""Properties of the cost rules (followup.rules), the reference for the SQL."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from sesamlike.followup.rules import (
    CostLine,
    consumable_cost,
    device_cost,
    patient_year_cost,
    round_half_up,
)

prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("200000"), places=2)
vat_rates = st.sampled_from([Decimal("0"), Decimal("0.06"), Decimal("0.12"),
                             Decimal("0.25")])  # fmt: skip
channels = st.sampled_from(["central", "supplier", "pharmacy"])
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))
_ids = iter(range(1, 10**9))


@st.composite
def devices(draw, returned: bool | None = None):
    delivered_on = draw(days)
    years = draw(st.integers(1, 10))
    returned_on = None
    if returned is None and draw(st.booleans()) or returned:
        returned_on = delivered_on + timedelta(days=draw(st.integers(1, years * 365)))
    return CostLine(
        line_id=next(_ids), patient_id=1, category=draw(st.sampled_from(["pump",
        "cgm_reader"])), packs=1, pack_price_sek=draw(prices),
        vat_rate=draw(vat_rates), channel=draw(channels), delivered_on=delivered_on,
        returned_on=returned_on, status="returned" if returned_on else "delivered",
        amortisation_years=years, pump_system="P", cgm_system="C",
    )  # fmt: skip


@st.composite
def consumables(draw):
    return CostLine(
        line_id=next(_ids), patient_id=1,
        category=draw(st.sampled_from(["infusion_set", "cgm_sensor", "reservoir"])),
        packs=draw(st.integers(1, 50)), pack_price_sek=draw(prices),
        vat_rate=draw(vat_rates), channel=draw(channels), delivered_on=draw(days),
        pack_size=draw(st.integers(1, 100)), units_per_day=Decimal("0.3333"),
        cgm_system="C",
    )  # fmt: skip


def year_days(year: int) -> int:
    return 366 if calendar.isleap(year) else 365


@settings(max_examples=300, deadline=None)
@given(devices(), st.integers(1999, 2052))
def test_a_device_never_has_more_days_in_a_year_than_the_year_has(line, year):
    assert 0 <= line.days_in_year(year) <= year_days(year)


@settings(max_examples=300, deadline=None)
@given(devices(returned=False))
def test_a_devices_yearly_costs_over_its_life_add_up_to_its_price(line):
    years = range(
        line.delivered_on.year, line.delivered_on.year + line.amortisation_years + 2
    )
    exact = sum((device_cost(line, year) for year in years), Fraction(0))
    assert exact == line.value  # every day of amortisation_years x 365 is charged once
    rounded = sum(round_half_up(device_cost(line, year)) for year in years)
    charged_years = sum(1 for year in years if line.days_in_year(year))
    # Each year is rounded to öre on its own: at most half an öre off per year.
    assert abs(rounded - round_half_up(line.value)) <= Decimal(
        "0.005"
    ) * charged_years + Decimal("0.005")


@settings(max_examples=300, deadline=None)
@given(consumables())
def test_vat_is_added_only_on_pharmacy_lines(line):
    cost = consumable_cost(line, line.delivered_on.year)
    net = Fraction(line.packs) * Fraction(line.pack_price_sek)
    if line.channel == "pharmacy":
        assert cost == net * (1 + Fraction(line.vat_rate))
    else:
        assert cost == net
    assert consumable_cost(line, line.delivered_on.year + 1) == 0


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(devices(), consumables()), min_size=1, max_size=8),
       st.integers(2000, 2045))  # fmt: skip
def test_total_is_device_plus_consumables_each_rounded_after_summing(lines, year):
    cost = patient_year_cost(lines, year)
    device = sum((device_cost(line, year) for line in lines), Fraction(0))
    consumables_sum = sum((consumable_cost(line, year) for line in lines), Fraction(0))
    if cost is None:
        assert device == 0 and consumables_sum == 0
        return
    assert cost.device_cost_sek == round_half_up(device)
    assert cost.consumables_cost_sek == round_half_up(consumables_sum)
    assert cost.total_cost_sek == cost.device_cost_sek + cost.consumables_cost_sek
