"""`flask demo generate`: a synthetic region of N patients with history."""

from datetime import date

import sqlalchemy as sa

from sesamlike.catalog.models import Article
from sesamlike.extensions import db
from sesamlike.orders.models import Order, OrderLine
from sesamlike.patients.identity import AgeGroup
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


def test_a_generated_region_has_the_seeds_mix_swaps_and_returns(runner):
    args = ["demo", "generate", "--patients", "400", "--years", "2", "--seed", "11"]
    assert runner.invoke(args=args).exit_code == 0

    today = date.today()
    pumps = dict(db.session.execute(
        sa.select(Device.patient_id, Article.id)
        .join(Article, Article.id == Device.article_id)
        .where(Device.status == "on_loan", Article.category == "pump")
    ).all())  # fmt: skip
    patients = db.session.scalars(sa.select(Patient)).all()
    children = {p.id for p in patients if p.age_group_on(today) == AgeGroup.CHILD}
    groups = {"child": [], "type1": [], "type2": []}
    for p in patients:
        key = "child" if p.id in children else p.diabetes_type
        groups.setdefault(key, []).append(p.id in pumps)
    rate = {key: sum(flags) / len(flags) for key, flags in groups.items() if flags}
    # 2018 (domain.md), with a random draw's spread over 400 patients.
    assert 0.5 <= rate["child"] <= 0.8
    assert 0.15 <= rate["type1"] <= 0.3
    assert rate["type2"] < 0.02
    assert 0.2 <= sum(pid in children for pid in pumps) / len(pumps) <= 0.45
    swaps = count(OrderLine, OrderLine.replaces_line_id.is_not(None))
    partial = count(OrderLine, OrderLine.packs_restocked > 0,
                    OrderLine.packs_restocked < OrderLine.packs)  # fmt: skip
    assert swaps > 0 and partial > 0
