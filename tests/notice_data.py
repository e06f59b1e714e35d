"""Builders for the notice tests: orders with lines in a given state."""

from __future__ import annotations

from datetime import date

from sesamlike.extensions import db
from sesamlike.orders.models import Order, OrderLine
from sesamlike.prescriptions.models import Prescription


def make_order(
    patient,
    lines: list[tuple[Prescription, int, str, date | None]],
    *,
    delivery_mode: str = "home",
    tracking_ref: str | None = None,
) -> Order:
    """An order whose lines are (prescription, packs, status, delivered_on)."""
    order = Order(
        patient_id=patient.id,
        placed_by_role="patient",
        delivery_mode=delivery_mode,
        tracking_ref=tracking_ref,
    )
    for prescription, packs, status, delivered_on in lines:
        article = prescription.article
        order.lines.append(
            OrderLine(
                prescription_id=prescription.id,
                article_id=article.id,
                packs=packs,
                channel=article.channel,
                status=status,
                pack_price_sek=article.pack_price_sek,
                vat_rate=article.vat_rate,
                delivered_on=delivered_on,
            )
        )
    db.session.add(order)
    db.session.commit()
    return order
