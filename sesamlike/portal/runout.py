"""When a patient's consumables are estimated to run out.

The estimate counts from the prescription's last delivery: the packs delivered that
day last packs × pack size / units per day whole days. Leftovers from earlier
deliveries are not counted, so the estimate errs towards reminding early.

The pages and the reminder job count a renewal's deliveries with those of the
prescriptions it renews (`renewed_from_id`, renewal by renewal back), of the same
article: a renewal replaces the old prescription, not what the patient has at
home, so a battery cap delivered on last year's prescription still lasts on this
year's.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from sesamlike.extensions import db
from sesamlike.orders.models import LineStatus, OrderLine, undelivered
from sesamlike.prescriptions.models import Prescription, PrescriptionStatus


def estimated_runout(
    delivered_on: date,
    packs: int,
    pack_size: int,
    units_per_day: Decimal | int | float,
) -> date:
    """First day without supply: delivered_on + whole days the delivery lasts.

    10 infusion sets at one every third day (0.3333 a day) last 30 days: delivered
    on 1 March, they run out on 31 March.
    """
    rate = Decimal(str(units_per_day))
    if rate <= 0:
        raise ValueError(f"units_per_day must be positive, not {units_per_day}")
    if packs < 0 or pack_size <= 0:
        raise ValueError(f"no run-out for {packs} packs of {pack_size}")
    # Rounded to a millionth first, so a float rate like 1/15 gives 60 days, not 59.
    days = math.floor((Decimal(packs * pack_size) / rate).quantize(Decimal("1e-6")))
    return delivered_on + timedelta(days=days)


def reminder_on(runout_on: date, days_before: int) -> date:
    """The day the run-out reminder is due."""
    return runout_on - timedelta(days=days_before)


def last_delivery(deliveries: Iterable[tuple[date, int]]) -> tuple[date, int] | None:
    """The latest delivery day and the packs delivered that day, from (day, packs)."""
    latest: date | None = None
    packs = 0
    for delivered_on, line_packs in deliveries:
        if latest is None or delivered_on > latest:
            latest, packs = delivered_on, line_packs
        elif delivered_on == latest:
            packs += line_packs
    return None if latest is None else (latest, packs)


def renewal_lineage(
    chosen: Callable[[type[Prescription]], sa.ColumnElement[bool]],
    patient: sa.BindParameter | None = None,
):
    """A CTE of (prescription_id, article_id, supplied_by): each prescription
    that `chosen` selects, with itself and with every prescription it renews,
    renewal by renewal (`renewed_from_id`) back to the first; article_id is
    the chosen prescription's, so only deliveries of that article count.

    `patient`: the one patient whose prescriptions these are (a bound
    parameter), for the portal's pages; see `_of_patient`."""
    first = aliased(Prescription)
    lineage = (
        sa.select(
            first.id.label("prescription_id"),
            first.article_id.label("article_id"),
            first.id.label("supplied_by"),
        )
        .where(chosen(first), *_of_patient(first, patient))
        .cte("renewal_lineage", recursive=True)
    )
    renewed = aliased(Prescription)
    return lineage.union(  # UNION: a cycle (never written) would still end
        sa.select(
            lineage.c.prescription_id, lineage.c.article_id, renewed.renewed_from_id
        )
        .join(renewed, renewed.id == lineage.c.supplied_by)
        .where(renewed.renewed_from_id.is_not(None), *_of_patient(renewed, patient))
    )


def _of_patient(table, patient: sa.BindParameter | None) -> tuple:
    """The rows of one patient, when the statement is about one (`patient`).

    Said outright though the lineage implies it: PostgreSQL cannot know how
    many rows a recursive CTE gives (it guesses 100), so without it the plan
    joined every delivered line and every open line of the region by a
    sequential or status scan, growing with the region, where the patient's
    indexes find a few dozen (the reorder form's statement, 6,000 delivered
    and 2,560 open lines stored: 1.8 ms a round trip before, 1.0 after, with
    `undelivered`'s partial index; PostgreSQL 15)."""
    return () if patient is None else (table.patient_id == patient,)


def _delivered_on_lineage(lineage, patient=None):
    """Delivered lines of the lineage's prescriptions, of the renewal's article."""
    return sa.and_(
        OrderLine.prescription_id == lineage.c.supplied_by,
        OrderLine.article_id == lineage.c.article_id,
        OrderLine.status == LineStatus.DELIVERED,
        OrderLine.delivered_on.is_not(None),
        OrderLine.packs > OrderLine.packs_returned,  # some kept
        *_of_patient(OrderLine, patient),
    )


def _undelivered_on_lineage(lineage, patient=None):
    """Lines not delivered yet (on their way, or waiting at the pharmacy) of
    the lineage's prescriptions, of the renewal's article."""
    return sa.and_(
        OrderLine.prescription_id == lineage.c.supplied_by,
        OrderLine.article_id == lineage.c.article_id,
        undelivered(OrderLine.status),
        *_of_patient(OrderLine, patient),
    )


def _deliveries(lineage, patient=None):
    """Each prescription's last delivery day and the packs delivered that day
    (`last_delivery` in SQL): one row a prescription. Every delivery day of a
    whole renewal chain, shipped to Python, was 930,000 rows at 100,000
    patients and tripled the reminder job's read (1.3 s -> 4.4 s)."""
    days = (
        sa.select(
            lineage.c.prescription_id.label("prescription_id"),
            OrderLine.delivered_on.label("delivered_on"),
            # The packs the patient kept: those that came back to the aids
            # centre (a partial return) are not at home to be used.
            sa.func.sum(OrderLine.packs - OrderLine.packs_returned).label("packs"),
            sa.func.rank()
            .over(
                partition_by=lineage.c.prescription_id,
                order_by=OrderLine.delivered_on.desc(),
            )
            .label("newest"),
        )
        .select_from(lineage)
        .join(OrderLine, _delivered_on_lineage(lineage, patient))
        .group_by(lineage.c.prescription_id, OrderLine.delivered_on)
        .subquery("days")
    )
    return sa.select(days.c.prescription_id, days.c.delivered_on, days.c.packs).where(
        days.c.newest == 1
    )


# The portal's pages are about one patient (bound as `patient_id`): each
# statement says so where it reads lines and renewals (`_of_patient`).
_PATIENT = sa.bindparam("patient_id")
# The pages' lines (bound as `ids`), with those they renew.
_LINEAGE_OF = renewal_lineage(
    lambda rx: rx.id.in_(sa.bindparam("ids", expanding=True)), _PATIENT
)
_DELIVERIES_OF = _deliveries(_LINEAGE_OF, _PATIENT)
# The reminder job: every active prescription, with those it renews.
_DELIVERIES_OF_ACTIVE = _deliveries(
    renewal_lineage(lambda rx: rx.status == PrescriptionStatus.ACTIVE)
)


# One patient's prescriptions with those they renew: the renewal chains are
# walked once for the patient, not again per row.
_PATIENTS_LINEAGE = renewal_lineage(lambda rx: rx.patient_id == _PATIENT, _PATIENT)
# `last_delivery` in SQL for the patient's prescriptions, renewed
# prescriptions' deliveries included: a subquery of (prescription_id,
# delivered_on, packs) that "my aids" outer-joins to its prescriptions, one
# round trip fewer than `last_deliveries_of`.
PATIENTS_LAST_DELIVERIES = _deliveries(_PATIENTS_LINEAGE, _PATIENT).subquery(
    "last_delivered"
)


def patients_order_awaited(prescription_id: sa.ColumnElement[int]):
    """EXISTS: an order not delivered yet (on its way, or waiting at the
    pharmacy) on the prescription or on one it renews, of its article; the
    reminder job's `_awaiting_delivery` by the same rule, so the page raises
    no run-out alarm where the job sends no reminder. In a statement bound
    with the patient's `patient_id`."""
    lineage = _PATIENTS_LINEAGE
    return (
        sa.select(OrderLine.id)
        .select_from(lineage)
        .join(OrderLine, _undelivered_on_lineage(lineage, _PATIENT))
        .where(lineage.c.prescription_id == prescription_id)
        .exists()
    )


# The reorder form's lines (bound as `ids`) in one statement: each one's
# delivery days as `_DELIVERIES_OF` gives them (awaited 0), and a row (awaited
# 1) for each with an order not delivered yet on it or on one it renews, of
# its article (`patients_order_awaited`'s rule).
_SUPPLIES_OF = sa.union_all(
    _DELIVERIES_OF.add_columns(sa.literal(0).label("awaited")),
    sa.select(
        _LINEAGE_OF.c.prescription_id,
        sa.cast(sa.null(), sa.Date()),  # typed, as the first part's columns
        sa.cast(sa.null(), sa.BigInteger()),
        sa.literal(1),
    )
    .join(OrderLine, _undelivered_on_lineage(_LINEAGE_OF, _PATIENT))
    .distinct(),
)


def supplies_of(
    patient_id: int, prescription_ids: Iterable[int]
) -> tuple[dict[int, tuple[date, int]], set[int]]:
    """Last delivery day and packs per prescription of the patient (as
    `last_deliveries_of`), and which have an order not delivered yet: one
    round trip."""
    ids = list(prescription_ids)
    if not ids:
        return {}, set()
    rows = db.session.execute(
        _SUPPLIES_OF, {"patient_id": patient_id, "ids": ids}
    ).all()
    awaited = {prescription_id for prescription_id, *_day, waiting in rows if waiting}
    days = [(rx_id, on, packs) for rx_id, on, packs, waiting in rows if not waiting]
    return _last_per_prescription(days), awaited


def last_deliveries() -> dict[int, tuple[date, int]]:
    """Last delivery day and packs of every active prescription, with the
    deliveries of the prescriptions each renews: the reminder job's."""
    return _last_per_prescription(db.session.execute(_DELIVERIES_OF_ACTIVE))


def last_deliveries_of(
    patient_id: int, prescription_ids: Iterable[int]
) -> dict[int, tuple[date, int]]:
    """`last_deliveries` for the given prescriptions of one patient: the
    portal's pages (the statement built once, each request fills in)."""
    found = db.session.execute(
        _DELIVERIES_OF, {"patient_id": patient_id, "ids": list(prescription_ids)}
    )
    return _last_per_prescription(found)


def _last_per_prescription(days) -> dict[int, tuple[date, int]]:
    """(prescription id, delivery day, packs) rows -> each one's last delivery."""
    per_prescription: dict[int, list[tuple[date, int]]] = {}
    for prescription_id, delivered_on, packs in days:
        per_prescription.setdefault(prescription_id, []).append(
            (delivered_on, int(packs))
        )
    return {
        prescription_id: last_delivery(rows)
        for prescription_id, rows in per_prescription.items()
    }


def prescription_runout(
    prescription: Prescription, delivery: tuple[date, int] | None
) -> date | None:
    """Estimated run-out for a consumable prescription; None for devices or no data."""
    article = prescription.article
    if delivery is None or article.is_device or not article.units_per_day:
        return None
    delivered_on, packs = delivery
    return estimated_runout(
        delivered_on, packs, article.pack_size, article.units_per_day
    )
