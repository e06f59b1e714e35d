"""The cost rules of interfaces.md in plain Python: the reference for the SQL.

The nightly computation runs set-based in SQL (`followup.compute`); this module
states the same rules line by line, with exact fractions, so unit tests can check
hand-computed cases and an integration test can check that both agree.

Choices the contract leaves open, made the same way in the SQL:
- A line counts once it is delivered: status `delivered` or `returned` with a
  `delivered_on`. Packs put back on stock (`packs_restocked`) come off their
  line; packs returned and scrapped still cost.
- A warranty replacement (`replaces_line_id`) continues the first device of its
  chain: from the day the device it replaces came back (its own delivery when
  that one has no return) to the end of the first device's amortisation period,
  at the first device's daily rate; its own price adds nothing. The period runs
  from the first device's delivery, or from its return when it came back (a
  swap at the clinic) before its delivery was recorded.
- A device lent again after it came back (reconditioned, `amortised_line_id`
  without `replaces_line_id`) continues the line that first lent it, as a
  warranty replacement does, from its own delivery: the region paid for it
  once. Its own price adds nothing; past the first period it costs nothing.
- With `today`, a device's days in today's year end with today (counted): the
  days of the current year that have not happened cost nothing yet. Later
  years are counted whole (a forecast; the contract says nothing of them).
- A durable device is an article with `amortisation_years` (pumps, readers).
- A CGM transmitter without amortisation years is a consumable for cost, and is
  "in use" for `cgm_system` from delivery for the days its units last at
  `units_per_day` (whole days, rounded down), or up to its return.
- "Days in use" of a durable device, for the systems, are the days it is with
  the patient, however long ago its amortisation ended: a pump still on loan
  after its four years costs nothing, and no clinic pays it, but it is the
  patient's pump (it named no pump system at all, and the NDR file no model),
  unless a device of the same kind in its amortisation period is in use in the
  year (that one wins, however few its days), and for IN_USE_YEARS from its
  delivery at most.
  It gives the patient no row of its own: a pump left in a drawer for years
  would otherwise make a patient at no cost.
- Ties: the device with the most days in use wins, then the later delivery, then
  the higher line id; sensors: the system with the most units, then its name.
- A patient has a row for a year when a consumable was delivered that year or a
  durable device or CGM transmitter was in use on at least one of its days.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from fractions import Fraction

COUNTED_STATUSES = frozenset({"delivered", "returned"})
CGM_DEVICE_CATEGORIES = frozenset({"cgm_reader", "cgm_transmitter"})
# The pump system's own cost (TLV's comparable figure) and the CGM part.
PUMP_PART_CATEGORIES = frozenset({"pump", "infusion_set", "reservoir", "pod",
                                  "battery"})  # fmt: skip
CGM_PART_CATEGORIES = frozenset({"cgm_reader", "cgm_transmitter", "cgm_sensor"})
ORE = Decimal("0.01")
DAYS_PER_YEAR = 365
# A durable device delivered more than this many years before a year is not
# counted "in use" in it after its amortisation (it names no system then): the
# follow-up reads no older lines (`compute.LOOKBACK_YEARS`).
IN_USE_YEARS = 12


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
    packs_restocked: int = 0
    replaces_line_id: int | None = None
    # The line whose amortisation this one continues: a warranty chain's
    # first, or the line that first lent a device lent again.
    amortised_line_id: int | None = None
    # Who pays: the prescription's clinic and cost centre, else (imported
    # history) the patient's clinic when imported.
    payer_clinic_id: int | None = None
    cost_centre: str | None = None
    # Set by `continue_warranties` on a warranty replacement: the first line of
    # its chain (whose period and rate it continues) and the day it took over.
    # Set by `lines.load_cost_lines` on a device lent again: the line that
    # first lent it (no swap: its days run from its own delivery).
    amortised: CostLine | None = None
    swap_on: date | None = None

    @property
    def packs_kept(self) -> int:
        """The packs that cost: those not put back on stock."""
        return self.packs - self.packs_restocked

    @property
    def counted(self) -> bool:
        return self.delivered_on is not None and self.status in COUNTED_STATUSES

    @property
    def durable(self) -> bool:
        return bool(self.amortisation_years)

    @property
    def value(self) -> Fraction:
        """Packs kept × pack price, with VAT when the line goes through a pharmacy."""
        value = Fraction(self.packs_kept) * Fraction(self.pack_price_sek)
        if self.channel == "pharmacy":
            value *= 1 + Fraction(self.vat_rate)
        return value

    @property
    def amortised_value(self) -> Fraction:
        """What the device's days are a share of: the first device's value."""
        return self.amortised.value if self.amortised else self.value

    @property
    def amortised_years(self) -> int | None:
        return (self.amortised or self).amortisation_years

    def use_days(self) -> int:
        """How long the line is in use from delivery, before any return."""
        if self.durable:
            return self.amortisation_years * DAYS_PER_YEAR
        if self.category == "cgm_transmitter" and self.units_per_day:
            units = Fraction(self.packs_kept * self.pack_size)
            return math.floor(units / Fraction(self.units_per_day))
        return 0

    def days_in_year(self, year: int, today: date | None = None) -> int:
        """Days in use inside the calendar year: delivery day counted, return not;
        with `today`, none after today."""
        if not self.counted:
            return 0
        if self.amortised is not None:
            began = self.amortised.delivered_on or self.amortised.returned_on
            end = began.toordinal() + self.amortised.amortisation_years * DAYS_PER_YEAR
        else:
            end = self.delivered_on.toordinal() + self.use_days()
        return self._days_with_patient(year, today, end)

    def in_use_days(self, year: int, today: date | None = None) -> int:
        """Days with the patient inside the year, delivery (or swap) counted,
        return not: a durable device's, however long ago its amortisation
        ended (it names the systems, not the cost); otherwise `days_in_year`."""
        if not (self.durable and self.counted) or (
            self.delivered_on < date(year - IN_USE_YEARS, 1, 1)
        ):
            return self.days_in_year(year, today)
        return self._days_with_patient(year, today)

    def _days_with_patient(
        self, year: int, today: date | None, end: int | None = None
    ) -> int:
        """Days inside the year from delivery (or the swap), counted, to `end`
        (a day number; None: no end of its own) or the return, not counted;
        with `today`, none after today."""
        start = (self.swap_on or self.delivered_on).toordinal()
        first, after = date(year, 1, 1).toordinal(), date(year + 1, 1, 1).toordinal()
        if end is not None:
            after = min(after, end)
        if self.returned_on is not None:
            after = min(after, self.returned_on.toordinal())
        if today is not None and today.year == year:
            after = min(after, today.toordinal() + 1)
        return max(0, after - max(start, first))

    @property
    def fully_restocked(self) -> bool:
        return self.packs_kept <= 0

    def delivered_in(self, year: int) -> bool:
        return self.counted and self.delivered_on.year == year


@dataclass(frozen=True)
class YearCost:
    pump_system: str | None
    cgm_system: str | None
    device_cost_sek: Decimal
    consumables_cost_sek: Decimal
    pump_part_sek: Decimal = Decimal("0.00")
    cgm_part_sek: Decimal = Decimal("0.00")

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


def continue_warranties(lines: Iterable[CostLine]) -> list[CostLine]:
    """The lines, each warranty replacement tied to the first line of its chain
    and to the day the device it replaces came back (the swap)."""
    lines = list(lines)
    by_id = {line.line_id: line for line in lines}
    result = []
    for line in lines:
        replaced = by_id.get(line.replaces_line_id) if line.replaces_line_id else None
        if replaced is None or not line.durable:
            result.append(line)
            continue
        first, seen = replaced, {line.line_id}
        while first.replaces_line_id in by_id and first.line_id not in seen:
            seen.add(first.line_id)
            first = by_id[first.replaces_line_id]
        # A chain that began with a device lent again runs on its first line.
        first = first.amortised or first
        swap_on = replaced.returned_on or line.delivered_on
        result.append(replace(line, amortised=first, swap_on=swap_on))
    return result


def costing(lines: Iterable[CostLine]) -> list[CostLine]:
    """The lines that cost, warranty replacements tied to their chains. The
    chains are found among all the lines: a first device returned before its
    delivery was recorded costs nothing itself but starts its chain's period."""
    return [
        line
        for line in continue_warranties(lines)
        if line.counted and not line.fully_restocked
    ]


def device_cost(line: CostLine, year: int, today: date | None = None) -> Fraction:
    if not line.durable:
        return Fraction(0)
    days = line.days_in_year(year, today)
    return line.amortised_value * days / (line.amortised_years * DAYS_PER_YEAR)


def consumable_cost(line: CostLine, year: int) -> Fraction:
    if line.durable or not line.delivered_in(year):
        return Fraction(0)
    return line.value


def line_cost(line: CostLine, year: int, today: date | None = None) -> Fraction:
    return device_cost(line, year, today) + consumable_cost(line, year)


def _device_in_use(lines: Iterable[CostLine], year: int, categories,
                   today: date | None = None) -> CostLine | None:  # fmt: skip
    candidates = [
        line
        for line in lines
        if line.category in categories and line.in_use_days(year, today) > 0
    ]
    if not candidates:
        return None
    return max(
        candidates,
        key=lambda line: (
            # In its amortisation period first: a pump written off years ago
            # and never recorded as returned does not outweigh the new one.
            line.days_in_year(year, today) > 0,
            line.in_use_days(year, today),
            line.swap_on or line.delivered_on,
            line.line_id,
        ),
    )


def pump_system(lines: Iterable[CostLine], year: int,
                today: date | None = None) -> str | None:  # fmt: skip
    """The system of the pump with the most days in use that year."""
    pumps = [line for line in lines if line.durable]
    pump = _device_in_use(pumps, year, {"pump"}, today)
    return pump.pump_system if pump else None


def cgm_system(lines: Iterable[CostLine], year: int,
               today: date | None = None) -> str | None:  # fmt: skip
    """The CGM reader or transmitter in use, else the sensors delivered most."""
    lines = list(lines)
    device = _device_in_use(lines, year, CGM_DEVICE_CATEGORIES, today)
    if device is not None:
        return device.cgm_system
    units: dict[str, int] = {}
    for line in lines:
        if line.category == "cgm_sensor" and line.delivered_in(year):
            if line.cgm_system:
                units[line.cgm_system] = (
                    units.get(line.cgm_system, 0) + line.packs_kept * line.pack_size
                )
    if not units:
        return None
    return min(units, key=lambda name: (-units[name], name))


def _part(lines: list[CostLine], year: int, today: date | None,
          categories: frozenset[str]) -> Fraction:  # fmt: skip
    parts = (line_cost(line, year, today) for line in lines
             if line.category in categories)  # fmt: skip
    return sum(parts, Fraction(0))


def patient_year_cost(lines: Iterable[CostLine], year: int,
                      today: date | None = None) -> YearCost | None:  # fmt: skip
    """One patient's cost for a calendar year; None when nothing falls in it."""
    lines = costing(lines)
    relevant = [
        line
        for line in lines
        if line.days_in_year(year, today) > 0
        or (not line.durable and line.delivered_in(year))
    ]
    if not relevant:
        return None
    device = sum((device_cost(line, year, today) for line in lines), Fraction(0))
    consumables = sum((consumable_cost(line, year) for line in lines), Fraction(0))
    pump_part = _part(lines, year, today, PUMP_PART_CATEGORIES)
    cgm_part = _part(lines, year, today, CGM_PART_CATEGORIES)
    return YearCost(
        pump_system(lines, year, today),
        cgm_system(lines, year, today),
        round_half_up(device),
        round_half_up(consumables),
        round_half_up(pump_part),
        round_half_up(cgm_part),
    )


def costs_by_patient(lines: Iterable[CostLine], year: int,
                     today: date | None = None) -> dict[int, YearCost]:  # fmt: skip
    """Every patient's YearCost for the year, from all their lines."""
    grouped: dict[int, list[CostLine]] = {}
    for line in lines:
        grouped.setdefault(line.patient_id, []).append(line)
    result = {}
    for patient_id, patient_lines in grouped.items():
        cost = patient_year_cost(patient_lines, year, today)
        if cost is not None:
            result[patient_id] = cost
    return result


def cost_centre_sums(lines: Iterable[CostLine], year: int,
                     today: date | None = None) -> dict:  # fmt: skip
    """Per (cost centre, paying clinic): patients, device, consumables, VAT and
    total, each rounded half up to öre after summing the lines it paid."""
    grouped: dict[int, list[CostLine]] = {}
    for line in lines:
        grouped.setdefault(line.patient_id, []).append(line)
    sums: dict[tuple, dict] = {}
    for patient_lines in grouped.values():
        kept = costing(patient_lines)
        for line in kept:
            device = device_cost(line, year, today)
            consumables = consumable_cost(line, year)
            if not device and not consumables and not (
                line.days_in_year(year, today) or (
                    not line.durable and line.delivered_in(year))
            ):  # fmt: skip
                continue
            vat = Fraction(0)
            if line.channel == "pharmacy" and consumables:
                vat = consumables - consumables / (1 + Fraction(line.vat_rate))
            key = (line.cost_centre, line.payer_clinic_id)
            entry = sums.setdefault(key, {"patients": set(), "device": Fraction(0),
                                          "consumables": Fraction(0),
                                          "vat": Fraction(0)})  # fmt: skip
            entry["patients"].add(line.patient_id)
            entry["device"] += device
            entry["consumables"] += consumables
            entry["vat"] += vat
    return {
        key: {
            "patients": len(entry["patients"]),
            "device_cost_sek": round_half_up(entry["device"]),
            "consumables_cost_sek": round_half_up(entry["consumables"]),
            "vat_sek": round_half_up(entry["vat"]),
        }
        for key, entry in sums.items()
    }
