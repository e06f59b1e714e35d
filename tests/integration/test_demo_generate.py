"""`flask demo generate`: a synthetic region of N patients with history."""

import sqlalchemy as sa

from sesamlike.extensions import db
from sesamlike.orders.models import Order, OrderLine
from sesamlike.patients.models import Patient
from sesamlike.prescriptions.models import Prescription
from sesamlike.stock.models import Device


def count(model, *where):
    query = sa.select(sa.func.count()).select_from(model)
    return db.session.scalar(query.where(*where))


def test_generate_adds_n_patients_with_history_and_loads_the_catalogue(runner):
    result = runner.invoke(
        args=["demo", "generate", "--patients", "40", "--years", "2", "--seed", "7"]
    )

    assert result.exit_code == 0, result.output
    assert "Added 40 patients" in result.output
    assert count(Patient) == 40
    assert count(Order, Order.placed_by_role == "migration") > 40
    assert count(OrderLine, OrderLine.status == "delivered") > 100
    assert count(Prescription, Prescription.status == "active") >= 40
    assert count(Device, Device.status == "on_loan") > 0
    patients_with_history = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Order.patient_id)))
    )
    assert patients_with_history == 40


def test_generate_twice_adds_more_patients_without_collisions(runner):
    args = ["demo", "generate", "--patients", "15", "--years", "1", "--seed", "3"]
    assert runner.invoke(args=args).exit_code == 0

    result = runner.invoke(args=args)

    assert result.exit_code == 0, result.output
    assert count(Patient) == 30
    numbers = db.session.scalars(sa.select(Patient.personal_id)).all()
    assert len(set(numbers)) == 30
