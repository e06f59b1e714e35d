"""Breakdowns of seed 000 (4.8, 4.9.2): the region's cost per channel with the
VAT paid through pharmacies and the places each patient collects aids from (a
page of their own, `followup.channels`: they read the year's lines, as the
articles page does), and cost by diabetes type (on the report: it reads only the
stored costs).

Aggregates only, over the patients in scope (a manager's clinics, the region):
nothing here names a patient, so nothing is audited. Costs per channel come from
the cost rules' own line parts (`compute.line_costs`), so they follow the rules
and add up to the patients' totals.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa

from sesamlike.catalog.models import Article
from sesamlike.common.time import region_day_of, utcnow
from sesamlike.extensions import db
from sesamlike.followup import compute, stored_figures
from sesamlike.followup.amounts import Amounts
from sesamlike.followup.cost_centres import paid_patients
from sesamlike.followup.scope import Scope
from sesamlike.followup.stats import Summary
from sesamlike.followup.summaries import scope_figures
from sesamlike.orders.models import OrderLine

ORE = Decimal("0.01")
CHANNELS = ("central", "supplier", "pharmacy")
DIABETES_TYPES = ("type1", "type2", "other")
# Places per patient are counted 1, 2 and 3 or more (seed 000, 4.8: "up to
# three places").
MOST_PLACES = 3


@dataclass(frozen=True)
class ChannelCost:
    channel: str
    lines: int
    patients: int
    device: Decimal
    consumables: Decimal
    vat: Decimal  # VAT in the cost: pharmacy lines only (procured goods carry none)

    @property
    def total(self) -> Decimal:
        return self.device + self.consumables

    @property
    def excluding_vat(self) -> Decimal:
        return self.total - self.vat


@dataclass(frozen=True)
class DiabetesType:
    diabetes_type: str
    summary: Summary
    on_pump: int  # patients with a pump in use that year


@dataclass
class Breakdowns:
    year: int
    channels: list[ChannelCost] = field(default_factory=list)
    # {1: patients with one place, 2: two, 3: three or more}
    places: dict[int, int] = field(default_factory=dict)
    diabetes_types: list[DiabetesType] = field(default_factory=list)

    @property
    def channel_total(self) -> ChannelCost:
        return ChannelCost(
            "",
            sum(c.lines for c in self.channels),
            0,
            sum((c.device for c in self.channels), Decimal(0)),
            sum((c.consumables for c in self.channels), Decimal(0)),
            sum((c.vat for c in self.channels), Decimal(0)),
        )

    @property
    def patients_with_places(self) -> int:
        return sum(self.places.values())


def _sek(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(ORE, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class _PlaceSum:
    """One patient's lines of one channel, place and VAT rate in the year."""

    patient_id: int
    channel: str
    place: str
    vat_rate: Decimal
    lines: int
    device: Decimal
    consumables: Decimal
    collected: bool  # some line of it was delivered in the year


def place_expr() -> sa.ColumnElement[str]:
    """Where a line was collected from: the aids centre, the pharmacy, or the
    supplier by name (each supplier sends its own parcels)."""
    ol = OrderLine.__table__
    return sa.case(
        (ol.c.channel == "supplier",
         sa.literal("supplier:") + sa.func.coalesce(Article.supplier, "")),
        else_=ol.c.channel,
    )  # fmt: skip


def _place_sums(scope: Scope, year: int) -> Iterator[_PlaceSum]:
    """The cost rules' parts of every line with a part in the year, summed per
    patient, channel, place and VAT rate: one pass over the lines, patient by
    patient, streamed (`_fold` sums them as they come). As a list, the
    region's 1.5 million sums at 500,000 patients took a gigabyte of memory."""
    amounts = Amounts.for_session()
    # Device days of the current year up to today, as the nightly run counts.
    today = region_day_of(utcnow())
    paying = paid_patients(scope, year, today)
    # A clinic's channels hold only the lines it paid (`who_pays`): a patient
    # who moved counts at each clinic for its own lines, as the cost centres do.
    clinic_ids = scope.clinic_ids()
    paid = clinic_ids is not None
    lines = compute.line_costs(year, paying, amounts=amounts, payer=paid,
                               today=today).subquery("costed")  # fmt: skip
    device, consumables = compute.line_parts(lines, year, amounts)
    ol = OrderLine.__table__
    place = place_expr()
    delivered = sa.case((lines.c.delivered_on >= date(year, 1, 1), 1), else_=0)
    query = (
        sa.select(
            lines.c.patient_id,
            ol.c.channel,
            place.label("place"),
            ol.c.vat_rate,
            sa.func.count().label("lines"),
            sa.func.sum(amounts.line_sek(device, device=True)).label("device"),
            sa.func.sum(amounts.line_sek(consumables, device=False)).label("cons"),
            sa.func.max(delivered).label("collected"),
        )
        .join(ol, ol.c.id == lines.c.line_id)
        .join(Article, Article.id == ol.c.article_id)
        # A CGM transmitter of an earlier year still in use has no part in
        # this one: no line of it, as on the articles page.
        .where(compute.in_year(lines, year), sa.not_(compute.carried_over(lines, year)))
        .group_by(lines.c.patient_id, ol.c.channel, place, ol.c.vat_rate)
    )
    if paid:
        query = compute.paid_by(query, lines, clinic_ids)
    rows = db.session.execute(
        query.order_by(lines.c.patient_id), execution_options={"yield_per": 10_000}
    )
    for row in rows:
        yield _PlaceSum(row.patient_id, row.channel, row.place,
                        Decimal(str(row.vat_rate)), row.lines,
                        Decimal(str(row.device or 0)), Decimal(str(row.cons or 0)),
                        bool(row.collected))  # fmt: skip


def _fold(sums: Iterable[_PlaceSum]) -> tuple[list[ChannelCost], dict[int, int]]:
    """The channels' costs and the patients per number of places, from the
    sums patient by patient (`_place_sums`' order): only the patient at hand
    is held, not every patient's channels and places.

    The VAT in a pharmacy line's cost is its cost × rate / (1 + rate), taken on
    the exact sums, then rounded half up to öre per channel like the parts.
    """
    totals: dict[str, dict] = {}
    counts = {n: 0 for n in range(1, MOST_PLACES + 1)}
    patient, channels, places = None, set(), set()

    def count_places() -> None:
        if places:
            counts[min(len(places), MOST_PLACES)] += 1

    for each in sums:
        if each.patient_id != patient:
            count_places()
            patient, channels, places = each.patient_id, set(), set()
        channel = totals.setdefault(
            each.channel,
            dict(lines=0, patients=0, device=Decimal(0), cons=Decimal(0),
                 vat=Decimal(0)),
        )  # fmt: skip
        channel["lines"] += each.lines
        if each.channel not in channels:
            channels.add(each.channel)
            channel["patients"] += 1
        channel["device"] += each.device
        channel["cons"] += each.consumables
        if each.channel == "pharmacy":
            cost = each.device + each.consumables
            channel["vat"] += cost * each.vat_rate / (1 + each.vat_rate)
        if each.collected:
            places.add(each.place)
    count_places()
    costs = [
        ChannelCost(channel, t["lines"], t["patients"], _sek(t["device"]),
                    _sek(t["cons"]), _sek(t["vat"]))
        for channel in CHANNELS if (t := totals.get(channel))
    ]  # fmt: skip
    return costs, counts


def channel_costs(scope: Scope, year: int) -> list[ChannelCost]:
    """The cost rules' parts of every line in the year, summed per channel."""
    return _fold(_place_sums(scope, year))[0]


def places_per_patient(scope: Scope, year: int) -> dict[int, int]:
    """How many patients collected aids delivered in the year from 1, 2, and 3
    or more places, over the lines the cost rules read (delivered or returned)."""
    return _fold(_place_sums(scope, year))[1]


def diabetes_types(scope: Scope, year: int) -> list[DiabetesType]:
    """Annual cost statistics per diabetes type, and how many used a pump (the
    report's figures, `summaries`)."""
    found = scope_figures(scope, year)
    totals = found.groups["diabetes_type"]
    order = list(DIABETES_TYPES) + sorted(set(totals) - set(DIABETES_TYPES))
    return [
        DiabetesType(kind, totals[kind], found.pump_users.get(kind, 0))
        for kind in order
        if kind in totals
    ]


def channels_and_places(scope: Scope, year: int) -> Breakdowns:
    """The channels page: one pass over the year's lines for both tables.

    Kept until the next run of the year (`stored_figures`), as the lines were
    when first computed after it: the nightly warming does so right after the
    run, so the page counts what the run counted, through the day its heading
    names (`periods`). Computed anew every time it is not kept: at 500,000
    patients the region's took 14.5 s (8.1 s of SQL over every line of the
    year, the rest summing 500,000 patients' rows), a 25,000-patient clinic's
    1.4 s."""

    def compute() -> Breakdowns:
        channels, places = _fold(_place_sums(scope, year))
        return Breakdowns(year, channels=channels, places=places)

    return stored_figures.kept_until_run(
        "channels", scope, year, compute, _dump_channels,
        lambda kept: _load_channels(year, kept),
    )  # fmt: skip


def _dump_channels(found: Breakdowns) -> dict:
    channels = [
        [c.channel, c.lines, c.patients, str(c.device), str(c.consumables), str(c.vat)]
        for c in found.channels
    ]
    return {"channels": channels, "places": sorted(found.places.items())}


def _load_channels(year: int, kept: dict) -> Breakdowns:
    channels = [
        ChannelCost(channel, lines, patients, Decimal(device), Decimal(cons),
                    Decimal(vat))
        for channel, lines, patients, device, cons, vat in kept["channels"]
    ]  # fmt: skip
    return Breakdowns(year, channels=channels, places=dict(kept["places"]))


def by_diabetes_type(scope: Scope, year: int) -> Breakdowns:
    """The report's own breakdown: over the stored costs, no lines read."""
    return Breakdowns(year, diabetes_types=diabetes_types(scope, year))


def build(scope: Scope, year: int, table: str) -> Breakdowns:
    """What one export table needs."""
    if table == "diabetes_types":
        return by_diabetes_type(scope, year)
    return channels_and_places(scope, year)
