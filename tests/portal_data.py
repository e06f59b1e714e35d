"""A small region for portal tests: a patient, a guardian with children, aids.

Kept apart from tests/factories.py (shared by every area) so the portal's
scenarios can grow without touching the common builders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sesamlike.extensions import db
from sesamlike.orders.models import Order, OrderLine
from sesamlike.prescriptions.models import Prescription
from sesamlike.stock.models import Device
from tests.factories import (
    CHILD_PNR,
    make_article,
    make_clinic,
    make_depot,
    make_patient,
    make_prescription,
    make_stock_lot,
    make_system,
    make_user,
)

TODAY = date.today()


@dataclass
class Region:
    clinic: object
    patient: object
    patient_user: object
    child: object
    protected_child: object
    guardian: object
    other: object
    infusion: object
    reservoir: object
    sensor: object
    pump: object
    rx_infusion: Prescription
    rx_reservoir: Prescription
    rx_sensor: Prescription
    rx_pump: Prescription
    rx_child: Prescription
    rx_other: Prescription
    device: Device


def make_device(patient, article, serial_no: str, **kw) -> Device:
    lent_on = kw.pop("lent_on", TODAY - timedelta(days=400))
    device = Device(
        article_id=article.id,
        serial_no=serial_no,
        status=kw.pop("status", "on_loan"),
        patient_id=patient.id,
        lent_on=lent_on,
        warranty_end=kw.pop("warranty_end", date(lent_on.year + 4, 1, 31)),
        **kw,
    )
    db.session.add(device)
    db.session.commit()
    return device


def make_delivery(patient, prescription, delivered_on: date, packs: int = 1) -> Order:
    """A delivered order on a prescription (history: nothing withdrawn again)."""
    article = prescription.article
    order = Order(
        patient_id=patient.id,
        placed_by_role="migration",
        delivery_mode="home",
        tracking_ref="PN123456789SE",
    )
    order.lines.append(
        OrderLine(
            prescription_id=prescription.id,
            article_id=article.id,
            packs=packs,
            channel=article.channel,
            status="delivered",
            pack_price_sek=article.pack_price_sek,
            vat_rate=article.vat_rate,
            delivered_on=delivered_on,
        )
    )
    db.session.add(order)
    db.session.commit()
    return order


def make_region() -> Region:
    clinic = make_clinic(
        "BDM",
        name="Barndiabetesmottagningen",
        street="Rondvägen 10",
        postal_code="41685",
        city="Göteborg",
    )
    system = make_system("MiniMed 780G")
    infusion = make_article(
        "QS9", name="Quick-set 9 mm", systems=[system], pack_size=10
    )
    reservoir = make_article(
        "RES3", name="Reservoar 3 ml", category="reservoir", systems=[system]
    )
    sensor = make_article(
        "G7",
        name="Dexcom G7 sensor",
        category="cgm_sensor",
        channel="pharmacy",
        pack_size=1,
        units_per_day=Decimal("0.1"),
    )
    pump = make_article(
        "MM780",
        name="MiniMed 780G insulinpump",
        category="pump",
        channel="supplier",
        systems=[system],
        pack_size=1,
        pack_price_sek=Decimal("30000.00"),
        units_per_day=None,
        amortisation_years=4,
        serial_tracked=True,
    )
    depot = make_depot("HMC")
    for article in (infusion, reservoir):
        make_stock_lot(article, depot, on_hand=50)

    patient = make_patient(clinic, first_name="Ella", last_name="Ek")
    patient_user = make_user("patient", patients=[patient], username="ella")
    child = make_patient(
        clinic, personal_id=CHILD_PNR, first_name="Olle", last_name="Ek",
        birth_date=date(2015, 12, 24),
    )  # fmt: skip
    protected_child = make_patient(
        clinic, first_name="Sara", last_name="Ek", birth_date=date(2017, 3, 1),
        protected_identity=True,
    )  # fmt: skip
    guardian = make_user(
        "guardian", patients=[child, protected_child], username="anna",
        display_name="Anna Ek",
    )  # fmt: skip
    other = make_patient(clinic, first_name="Bo", last_name="Berg")

    rx_infusion = make_prescription(patient, infusion, packs_per_withdrawal=3)
    rx_reservoir = make_prescription(patient, reservoir, packs_per_withdrawal=2)
    rx_sensor = make_prescription(patient, sensor, packs_per_withdrawal=3)
    rx_pump = make_prescription(patient, pump, withdrawals=1)
    rx_child = make_prescription(child, infusion, packs_per_withdrawal=3)
    rx_other = make_prescription(other, infusion, packs_per_withdrawal=3)
    device = make_device(patient, pump, "NG1234567H", warranty_end=date(2028, 5, 31))
    return Region(
        clinic, patient, patient_user, child, protected_child, guardian, other,
        infusion, reservoir, sensor, pump, rx_infusion, rx_reservoir, rx_sensor,
        rx_pump, rx_child, rx_other, device,
    )  # fmt: skip


def reorder_form(lines, *, action="review", key="key-1", mode="home", **contact):
    """The reorder form as the browser posts it; lines: [(prescription_id, packs)]."""
    data = {
        "idempotency_key": key,
        "delivery_mode": mode,
        "action": action,
        "street": "Storgatan 1",
        "postal_code": "411 01",
        "city": "Göteborg",
        "door_code": "4321",
        "phone": "070-123 45 67",
    }
    data.update(contact)
    for index, (prescription_id, packs) in enumerate(lines):
        data[f"lines-{index}-prescription_id"] = str(prescription_id)
        data[f"lines-{index}-selected"] = "y"
        data[f"lines-{index}-packs"] = str(packs)
    return data
