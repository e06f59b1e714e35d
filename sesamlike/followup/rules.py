"""The cost rules of interfaces.md in plain Python: the reference for the SQL.

The nightly computation runs set-based in SQL (`followup.compute`); this module
states the same rules line by line, with exact fractions, so unit tests can check
hand-computed cases and an integration test can check that both agree.

Choices the contract leaves open, made the same way in the SQL:
- A line counts once it is delivered: status `delivered` or `returned` with a
  `delivered_on`. Returned consumables still cost (they cannot be reused).
- A durable device is an article with `amortisation_years` (pumps, readers).
- A CGM transmitter without amortisation years is a consumable for cost, and is
  "in use" for `cgm_system` from delivery for the days its units last at
  `units_per_day` (whole days, rounded down), or up to its return.
- Ties: the device with the most days in use wins, then the later delivery, then
  the higher line id; sensors: the system with the most units, then its name.
- A patient has a row for a year when a consumable was delivered that year or a
  durable device or CGM transmitter was in use on at least one of its days.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

COUNTED_STATUSES = frozenset({"delivered", "returned"})
CGM_DEVICE_CATEGORIES = frozenset({"cgm_reader", "cgm_transmitter"})
ORE = Decimal("0.01")
DAYS_PER_YEAR = 365


@dataclass(frozen=True)
class CostLine:
    """One order line with what the rules need from its article and its order."""

    line_id: int
    patient_id: int
    category: str
    packs: int
    pack_price_sek: Decimal
    vat_rate: Decimal
    channel: str
    delivered_on: date | None
    returned_on: date | None = None
    status: str = "delivered"
    amortisation_years: int | None = None
    pack_size: int = 1
    units_per_day: Decimal | None = None
    pump_system: str | None = None  # the article's system of kind "pump"
    cgm_system: str | None = None  # the article's system of kind "cgm"
    article_no: str = ""
    article_name: str = ""

    @property
    def counted(self) -> bool:
        return self.delivered_on is not None and self.status in COUNTED_STATUSES

    @property
    def durable(self) -> bool:
        return bool(self.amortisation_years)

    @property
    def value(self) -> Fraction:
        """Packs × pack price, with VAT when the line goes through a pharmacy."""
        value = Fraction(self.packs) * Fraction(self.pack_price_sek)
        if self.channel == "pharmacy":
            value *= 1 + Fraction(self.vat_rate)
        return value

    def use_days(self) -> int:
        """How long the line is in use from delivery, before any return."""
        if self.durable:
            return self.amortisation_years * DAYS_PER_YEAR
        if self.category == "cgm_transmitter" and self.units_per_day:
            units = Fraction(self.packs * self.pack_size)
            return math.floor(units / Fraction(self.units_per_day))
        return 0

    def days_in_year(self, year: int) -> int:
        """Days in use inside the calendar year: delivery day counted, return not."""
        if not self.counted:
            return 0
        start = self.delivered_on.toordinal()
        end = start + self.use_days()
        if self.returned_on is not None:
            end = min(end, self.returned_on.toordinal())
        first, after = date(year, 1, 1).toordinal(), date(year + 1, 1, 1).toordinal()
        return max(0, min(end, after) - max(start, first))

    def delivered_in(self, year: int) -> bool:
        return self.counted and self.delivered_on.year == year


@dataclass(frozen=True)
class YearCost:
    pump_system: str | None
    cgm_system: str | None
    device_cost_sek: Decimal
    consumables_cost_sek: Decimal

    @property
    def total_cost_sek(self) -> Decimal:
        return self.device_cost_sek + self.consumables_cost_sek


def round_half_up(value: Fraction) -> Decimal:
    """To öre, half up, decided exactly on the fraction (costs are never negative)."""
    cents = Fraction(value) * 100
    whole = math.floor(cents)
    if cents - whole >= Fraction(1, 2):
        whole += 1
    return (Decimal(whole) / 100).quantize(ORE)


def device_cost(line: CostLine, year: int) -> Fraction:
    if not line.durable:
        return Fraction(0)
    days = line.days_in_year(year)
    return line.value * days / (line.amortisation_years * DAYS_PER_YEAR)


def consumable_cost(line: CostLine, year: int) -> Fraction:
    if line.durable or not line.delivered_in(year):
        return Fraction(0)
    return line.value


def _device_in_use(lines: Iterable[CostLine], year: int, categories) -> CostLine | None:
    candidates = [
        line
        for line in lines
        if line.category in categories and line.days_in_year(year) > 0
    ]
    if not candidates:
        return None
    return max(
        candidates,
        key=lambda line: (line.days_in_year(year), line.delivered_on, line.line_id),
    )


def pump_system(lines: Iterable[CostLine], year: int) -> str | None:
    """The system of the pump with the most days in use that year."""
    pumps = [line for line in lines if line.durable]
    pump = _device_in_use(pumps, year, {"pump"})
    return pump.pump_system if pump else None


def cgm_system(lines: Iterable[CostLine], year: int) -> str | None:
    """The CGM reader or transmitter in use, else the sensors delivered most."""
    lines = list(lines)
    device = _device_in_use(lines, year, CGM_DEVICE_CATEGORIES)
    if device is not None:
        return device.cgm_system
    units: dict[str, int] = {}
    for line in lines:
        if line.category == "cgm_sensor" and line.delivered_in(year):
            if line.cgm_system:
                units[line.cgm_system] = (
                    units.get(line.cgm_system, 0) + line.packs * line.pack_size
                )
    if not units:
        return None
    return min(units, key=lambda name: (-units[name], name))


def patient_year_cost(lines: Iterable[CostLine], year: int) -> YearCost | None:
    """One patient's cost for a calendar year; None when nothing falls in it."""
    lines = [line for line in lines if line.counted]
    relevant = [
        line
        for line in lines
        if line.days_in_year(year) > 0 or (not line.durable and line.delivered_in(year))
    ]
    if not relevant:
        return None
    device = sum((device_cost(line, year) for line in lines), Fraction(0))
    consumables = sum((consumable_cost(line, year) for line in lines), Fraction(0))
    return YearCost(
        pump_system(lines, year),
        cgm_system(lines, year),
        round_half_up(device),
        round_half_up(consumables),
    )


def costs_by_patient(lines: Iterable[CostLine], year: int) -> dict[int, YearCost]:
    """Every patient's YearCost for the year, from all their lines."""
    grouped: dict[int, list[CostLine]] = {}
    for line in lines:
        grouped.setdefault(line.patient_id, []).append(line)
    result = {}
    for patient_id, patient_lines in grouped.items():
        cost = patient_year_cost(patient_lines, year)
        if cost is not None:
            result[patient_id] = cost
    return result
