"""A small region for the supplier and pharmacy channel tests."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sesamlike.extensions import db
from sesamlike.orders import services as ordering
from sesamlike.orders.models import Order
from tests.factories import (
    make_article,
    make_clinic,
    make_patient,
    make_prescription,
    make_user,
)

ORDER_DAY = date(2026, 3, 2)
MORNING = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # 09:00 in Stockholm


class World:
    def __init__(self):
        self.clinic = make_clinic(
            "DIAB",
            name="Diabetesmottagningen Östra",
            street="Östra vägen 1",
            postal_code="41685",
            city="Göteborg",
        )
        self.prescriber = make_user("prescriber", clinics=[self.clinic])
        self.depot_user = make_user("depot")
        self.patient = make_patient(
            self.clinic, first_name="Anna", last_name="Andersson", phone="0701234567"
        )
        self.pump = make_article(
            "PUMP-1",
            name="Omnipod DASH PDM",
            category="infusion_set",
            supplier="Insulet AB",
            channel="supplier",
            gtin="",
            pack_price_sek=Decimal("1500.00"),
        )
        self.cgm = make_article(
            "CGM-1",
            name="Dexcom G7 sensor",
            category="cgm_sensor",
            supplier="Dexcom Nordic AB",
            channel="supplier",
            pack_price_sek=Decimal("1200.00"),
        )
        self.pods = make_article(
            "POD-1",
            name="Omnipod DASH Pod",
            category="pod",
            supplier="Insulet AB",
            channel="pharmacy",
            pack_price_sek=Decimal("2000.00"),
            vat_rate=Decimal("0.25"),
        )

    def order(
        self,
        article,
        packs=1,
        *,
        patient=None,
        mode=None,
        at=MORNING,
        valid_from=date(2026, 1, 1),
    ):
        """An order of one line, placed at `at` (UTC), on a prescription valid
        from `valid_from`."""
        patient = patient or self.patient
        prescription = make_prescription(
            patient,
            article,
            self.prescriber,
            packs_per_withdrawal=max(packs, 1),
            valid_from=valid_from,
            lock_days=0,
        )
        placed = ordering.place_order(
            self.prescriber,
            patient.id,
            [(prescription.id, packs)],
            mode,
            today=at.date(),
        )
        order = db.session.get(Order, placed.order.id)
        order.placed_at = at
        db.session.commit()
        return order
