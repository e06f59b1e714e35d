"""Order lines as `rules.CostLine`s: for the patient cost page and the SQL check."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import sqlalchemy as sa

from sesamlike.catalog.models import Article
from sesamlike.extensions import db
from sesamlike.followup.compute import article_system
from sesamlike.followup.rules import COUNTED_STATUSES, CostLine
from sesamlike.orders.models import Order, OrderLine
from sesamlike.prescriptions.models import Prescription


def load_cost_lines(patient_ids: Iterable[int] | None = None) -> list[CostLine]:
    """Every counted line (of the given patients), with its article's facts.

    A device lent again (back, reconditioned) continues the line that first
    lent it, perhaps another patient's: that line comes as the line's
    `amortised`, never as a line of its own."""
    query = _query().where(
        OrderLine.status.in_(sorted(COUNTED_STATUSES)),
        # A device returned before its delivery was recorded costs nothing
        # itself, but may start a warranty chain (`rules.continue_warranties`).
        sa.or_(
            OrderLine.delivered_on.is_not(None),
            OrderLine.returned_on.is_not(None),
        ),
    )
    if patient_ids is not None:
        query = query.where(Order.patient_id.in_(list(patient_ids)))
    lines = [_cost_line(row) for row in db.session.execute(query)]
    relent = {
        line.amortised_line_id
        for line in lines
        if line.amortised_line_id is not None and line.replaces_line_id is None
    }
    if not relent:
        return lines
    firsts = {line.line_id: line for line in lines}
    missing = sorted(relent - firsts.keys())
    if missing:
        for row in db.session.execute(_query().where(OrderLine.id.in_(missing))):
            firsts[row.id] = _cost_line(row)
    return [
        replace(line, amortised=firsts[line.amortised_line_id])
        if line.amortised_line_id in relent and line.replaces_line_id is None
        else line
        for line in lines
    ]


def _query() -> sa.Select:
    pump_of = article_system("pump").subquery()
    cgm_of = article_system("cgm").subquery()
    return (
        sa.select(
            OrderLine.id,
            Order.patient_id,
            Article.category,
            OrderLine.packs,
            OrderLine.pack_price_sek,
            OrderLine.vat_rate,
            OrderLine.channel,
            OrderLine.delivered_on,
            OrderLine.returned_on,
            OrderLine.status,
            Article.amortisation_years,
            Article.pack_size,
            Article.units_per_day,
            pump_of.c.system.label("pump_system"),
            cgm_of.c.system.label("cgm_system"),
            Article.article_no,
            Article.name,
            OrderLine.packs_restocked,
            OrderLine.replaces_line_id,
            OrderLine.amortised_line_id,
            sa.func.coalesce(Prescription.clinic_id, OrderLine.cost_clinic_id).label(
                "payer_clinic_id"
            ),
            sa.func.coalesce(Prescription.cost_centre, OrderLine.cost_centre).label(
                "cost_centre"
            ),
        )
        .join(Order, Order.id == OrderLine.order_id)
        .outerjoin(Prescription, Prescription.id == OrderLine.prescription_id)
        .join(Article, Article.id == OrderLine.article_id)
        .outerjoin(pump_of, pump_of.c.article_id == Article.id)
        .outerjoin(cgm_of, cgm_of.c.article_id == Article.id)
        .order_by(Order.patient_id, OrderLine.delivered_on, OrderLine.id)
    )


def _cost_line(row: sa.Row) -> CostLine:
    return CostLine(
        line_id=row.id,
        patient_id=row.patient_id,
        category=row.category,
        packs=row.packs,
        pack_price_sek=row.pack_price_sek,
        vat_rate=row.vat_rate,
        channel=row.channel,
        delivered_on=row.delivered_on,
        returned_on=row.returned_on,
        status=row.status,
        amortisation_years=row.amortisation_years,
        pack_size=row.pack_size,
        units_per_day=row.units_per_day,
        pump_system=row.pump_system,
        cgm_system=row.cgm_system,
        article_no=row.article_no,
        article_name=row.name,
        packs_restocked=row.packs_restocked,
        replaces_line_id=row.replaces_line_id,
        amortised_line_id=row.amortised_line_id,
        payer_clinic_id=row.payer_clinic_id,
        cost_centre=row.cost_centre,
    )
