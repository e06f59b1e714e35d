"""A small region for portal tests: a patient, a guardian with children, aids.

Built from tests/factories.py; what only the portal's scenarios need stays here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sesamlike.common.time import region_today
from sesamlike.prescriptions.models import Prescription
from sesamlike.stock.models import Device
from tests.factories import (
    CHILD_PNR,
    make_article,
    make_clinic,
    make_device,
    make_patient,
    make_prescription,
    make_pump_system,
    make_user,
)

TODAY = region_today()


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


def make_region() -> Region:
    clinic = make_clinic(
        "BDM",
        name="Barndiabetesmottagningen",
        street="Rondvägen 10",
        postal_code="41685",
        city="Göteborg",
    )
    pump_system = make_pump_system(on_hand=50)
    infusion, reservoir = pump_system.infusion, pump_system.reservoir
    pump = pump_system.pump
    sensor = make_article(
        "G7",
        name="Dexcom G7 sensor",
        category="cgm_sensor",
        channel="pharmacy",
        pack_size=1,
        units_per_day=Decimal("0.1"),
    )

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
