"""The report's breakdowns of seed 000 (4.8, 4.9.2): the region's cost per
channel with the VAT paid through pharmacies, the places each patient collects
aids from, and cost by diabetes type.

Aggregates only, over the patients in scope (a manager's clinics, the region):
nothing here names a patient, so nothing is audited. Costs per channel come from
the cost rules' own line parts (`compute.line_costs`), so they follow the rules
and add up to the patients' totals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa

from sesamlike.catalog.models import Article
from sesamlike.extensions import db
from sesamlike.followup import compute
from sesamlike.followup.amounts import Amounts
from sesamlike.followup.models import PatientYearCost
from sesamlike.followup.rules import COUNTED_STATUSES
from sesamlike.followup.scope import Scope
from sesamlike.followup.stats import Summary, summarise
from sesamlike.orders.models import Order, OrderLine
from sesamlike.patients.models import Patient

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


def channel_costs(scope: Scope, year: int) -> list[ChannelCost]:
    """The cost rules' parts of every line in the year, summed per channel.

    Per channel and VAT rate in SQL; the VAT in a pharmacy line's cost is its
    cost × rate / (1 + rate), taken in Python on the exact sums, then rounded
    half up to öre per channel.
    """
    amounts = Amounts.for_session()
    lines = compute.line_costs(year, scope.patient_ids(), amounts=amounts)
    lines = lines.subquery("costed")
    device, consumables = compute.line_parts(lines, year, amounts)
    ol = OrderLine.__table__
    query = (
        sa.select(
            ol.c.channel,
            ol.c.vat_rate,
            sa.func.count().label("lines"),
            sa.func.count(sa.distinct(lines.c.patient_id)).label("patients"),
            sa.func.sum(amounts.line_sek(device, device=True)).label("device"),
            sa.func.sum(amounts.line_sek(consumables, device=False)).label("cons"),
        )
        .join(ol, ol.c.id == lines.c.line_id)
        .where(compute.in_year(lines, year))
        .group_by(ol.c.channel, ol.c.vat_rate)
    )
    sums: dict[str, dict] = {}
    patients = _patients_per_channel(lines, year)
    for row in db.session.execute(query):
        each = sums.setdefault(
            row.channel, dict(lines=0, device=Decimal(0), cons=Decimal(0), vat=0)
        )
        device_sum = Decimal(str(row.device or 0))
        cons_sum = Decimal(str(row.cons or 0))
        each["lines"] += row.lines
        each["device"] += device_sum
        each["cons"] += cons_sum
        if row.channel == "pharmacy":
            rate = Decimal(str(row.vat_rate))
            each["vat"] += (device_sum + cons_sum) * rate / (1 + rate)
    return [
        ChannelCost(channel, sums[channel]["lines"], patients.get(channel, 0),
                    _sek(sums[channel]["device"]), _sek(sums[channel]["cons"]),
                    _sek(sums[channel]["vat"]))
        for channel in CHANNELS if channel in sums
    ]  # fmt: skip


def _patients_per_channel(lines: sa.Subquery, year: int) -> dict[str, int]:
    ol = OrderLine.__table__
    query = (
        sa.select(ol.c.channel, sa.func.count(sa.distinct(lines.c.patient_id)))
        .join(ol, ol.c.id == lines.c.line_id)
        .where(compute.in_year(lines, year))
        .group_by(ol.c.channel)
    )
    return dict(db.session.execute(query).all())


def place_expr() -> sa.ColumnElement[str]:
    """Where a delivered line was collected from: the aids centre, the pharmacy,
    or the supplier by name (each supplier sends its own parcels)."""
    return sa.case(
        (OrderLine.channel == "supplier",
         sa.literal("supplier:") + sa.func.coalesce(Article.supplier, "")),
        else_=OrderLine.channel,
    )  # fmt: skip


def places_per_patient(scope: Scope, year: int) -> dict[int, int]:
    """How many patients collected aids delivered in the year from 1, 2, and 3
    or more places."""
    per_patient = (
        sa.select(
            Order.patient_id,
            sa.func.count(sa.distinct(place_expr())).label("places"),
        )
        .join(OrderLine, OrderLine.order_id == Order.id)
        .join(Article, Article.id == OrderLine.article_id)
        .where(
            OrderLine.status.in_(sorted(COUNTED_STATUSES)),
            OrderLine.delivered_on >= date(year, 1, 1),
            OrderLine.delivered_on < date(year + 1, 1, 1),
            scope.where(Order.patient_id),
        )
        .group_by(Order.patient_id)
        .subquery("per_patient")
    )
    bucket = sa.case(
        (per_patient.c.places >= MOST_PLACES, MOST_PLACES), else_=per_patient.c.places
    )
    query = sa.select(bucket, sa.func.count()).group_by(bucket)
    counts = {n: 0 for n in range(1, MOST_PLACES + 1)}
    for places, patients in db.session.execute(query):
        counts[int(places)] += patients
    return counts


def diabetes_types(scope: Scope, year: int) -> list[DiabetesType]:
    """Annual cost statistics per diabetes type, and how many used a pump."""
    query = (
        sa.select(
            Patient.diabetes_type,
            PatientYearCost.total_cost_sek,
            PatientYearCost.pump_system,
        )
        .join(Patient, Patient.id == PatientYearCost.patient_id)
        .where(PatientYearCost.year == year, scope.where(PatientYearCost.patient_id))
    )
    totals: dict[str, list[Decimal]] = {}
    pumps: dict[str, int] = {}
    for kind, total, pump in db.session.execute(query):
        totals.setdefault(kind, []).append(total)
        pumps[kind] = pumps.get(kind, 0) + (1 if pump else 0)
    order = list(DIABETES_TYPES) + sorted(set(totals) - set(DIABETES_TYPES))
    return [
        DiabetesType(kind, summarise(totals[kind]), pumps[kind])
        for kind in order
        if kind in totals
    ]


def build(scope: Scope, year: int) -> Breakdowns:
    return Breakdowns(
        year,
        channels=channel_costs(scope, year),
        places=places_per_patient(scope, year),
        diabetes_types=diabetes_types(scope, year),
    )
