"""`order_lines.lasting` (migration 0043): the lines an incremental follow-up
run looks for a patient's devices of earlier years among. Every writer's line
of a durable device or a CGM transmitter is marked, whoever writes it; an
article that becomes one marks its lines; and a device of an earlier year
costs the same in an incremental run as in a full one."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from sesamlike.catalog.models import Article
from sesamlike.common.time import utcnow
from sesamlike.demo.generate import generate_region
from sesamlike.demo.writer import RegionWriter
from sesamlike.extensions import db
from sesamlike.followup.compute import in_use_expr
from sesamlike.followup.models import PatientYearCost
from sesamlike.followup.runs import run_year
from sesamlike.orders.history import Delivered, record_delivered_history
from sesamlike.orders.models import Order, OrderLine, lasting_article
from tests import factories as f

ol, art = OrderLine.__table__, Article.__table__


def marks() -> dict[int, bool]:
    """Each line's mark, NULL read as not lasting."""
    rows = db.session.execute(sa.select(ol.c.id, ol.c.lasting))
    return {row.id: bool(row.lasting) for row in rows}


def wrongly_marked() -> list[tuple]:
    """Lines whose mark says otherwise than the follow-up's rule by the article:
    a lasting article's line unmarked, or a line marked whose article lasts not."""
    lasts = in_use_expr()
    marked = sa.func.coalesce(ol.c.lasting, sa.false())
    rows = db.session.execute(
        sa.select(ol.c.id, art.c.category, art.c.amortisation_years, ol.c.lasting)
        .join(art, art.c.id == ol.c.article_id)
        .where(sa.or_(sa.and_(lasts, sa.not_(marked)), sa.and_(sa.not_(lasts), marked)))
    )
    return [tuple(row) for row in rows]


@pytest.fixture
def articles():
    return dict(
        pump=f.make_article(category="pump", amortisation_years=4, pack_size=1,
                            serial_tracked=True, pack_price_sek=Decimal("30000.00")),
        transmitter=f.make_article(category="cgm_transmitter", pack_size=1,
                                   units_per_day=Decimal("0.0111"),
                                   systems=[f.make_system("Dexcom G6", "cgm")],
                                   pack_price_sek=Decimal("2400.00")),
        sets=f.make_article(category="infusion_set",
                            pack_price_sek=Decimal("1150.00")),
        clip=f.make_article(category="accessory", pack_size=1,
                            pack_price_sek=Decimal("400.00")),
    )  # fmt: skip


def test_every_writer_marks_the_lines_of_devices_and_transmitters(articles):
    patient = f.make_patient(f.make_clinic())
    # The ORM, as orders and returns write lines.
    orm = {name: f.make_delivered_line(patient, article, date(2024, 3, 1)).id
           for name, article in articles.items()}  # fmt: skip
    # A core INSERT that says nothing of the mark, as an import or psql would.
    order = Order(patient_id=patient.id, placed_by_role="migration",
                  delivery_mode="home")  # fmt: skip
    db.session.add(order)
    db.session.flush()
    core = {}
    for name, article in articles.items():
        core[name] = db.session.execute(
            sa.insert(ol).returning(ol.c.id).values(
                order_id=order.id, patient_id=patient.id, article_id=article.id,
                packs=1, channel="central", status="delivered",
                pack_price_sek=article.pack_price_sek, vat_rate=article.vat_rate,
                delivered_on=date(2024, 4, 1), updated_at=sa.func.now())
        ).scalar_one()  # fmt: skip
    db.session.commit()
    # Imported history, which says it with its rows (COPY on PostgreSQL).
    before = set(marks())
    items = [Delivered(patient.id, article.id, 1, article.channel, date(2024, 5, 1))
             for article in articles.values()]  # fmt: skip
    record_delivered_history(items, bulk=True)
    db.session.commit()

    found = marks()
    lasting = {"pump", "transmitter"}
    for written in (orm, core):
        assert {name for name, id_ in written.items() if found[id_]} == lasting
    imported = {id_ for id_ in found if id_ not in before}
    assert len(imported) == 4 and sum(found[id_] for id_ in imported) == 2
    assert wrongly_marked() == []


def test_an_article_that_becomes_a_device_marks_its_lines_and_no_other(articles):
    patient = f.make_patient(f.make_clinic())
    clip = f.make_delivered_line(patient, articles["clip"], date(2023, 6, 1))
    sets = f.make_delivered_line(patient, articles["sets"], date(2023, 6, 1))
    assert not marks()[clip.id]

    articles["clip"].amortisation_years = 3  # the region writes it off now
    db.session.commit()
    assert marks()[clip.id] and not marks()[sets.id]

    # Back to a consumable: the line stays marked (read, and left out by the rule).
    articles["clip"].amortisation_years = None
    db.session.commit()
    assert marks()[clip.id]
    articles["sets"].category = "cgm_transmitter"
    db.session.commit()
    assert marks()[sets.id]


def test_a_line_moved_to_another_article_takes_that_articles_mark(articles):
    patient = f.make_patient(f.make_clinic())
    line = f.make_delivered_line(patient, articles["sets"], date(2024, 3, 1))
    db.session.execute(
        sa.update(ol).where(ol.c.id == line.id).values(article_id=articles["pump"].id)
    )
    db.session.commit()
    assert marks()[line.id]
    db.session.execute(
        sa.update(ol).where(ol.c.id == line.id).values(article_id=articles["sets"].id)
    )
    db.session.commit()
    assert not marks()[line.id]


def test_an_incremental_run_costs_devices_of_earlier_years_as_a_full_run(articles):
    """A pump from 2022, a transmitter from December 2024 still in use in
    January, and a device the catalogue began to write off after its line was
    written: an incremental run finds them by their mark and costs the year as
    a full run does."""
    clinic = f.make_clinic()
    patients = [f.make_patient(clinic) for _ in range(3)]
    for patient in patients:
        f.make_delivered_line(patient, articles["pump"], date(2022, 5, 1))
        f.make_delivered_line(patient, articles["transmitter"], date(2024, 12, 1))
        f.make_delivered_line(patient, articles["clip"], date(2024, 2, 1))
        f.make_delivered_line(patient, articles["sets"], date(2024, 8, 1), packs=4)
        f.make_delivered_line(patient, articles["sets"], date(2025, 2, 1))
    articles["clip"].amortisation_years = 3
    db.session.commit()
    # Written well before the first run (beyond its margin for late commits).
    yesterday = utcnow() - timedelta(days=1)
    db.session.execute(sa.update(ol).values(updated_at=yesterday))
    db.session.commit()
    assert run_year(2025).full  # the catalogue changed: every patient
    f.make_delivered_line(patients[0], articles["sets"], date(2025, 9, 1), packs=2)

    incremental = run_year(2025)
    assert not incremental.full and incremental.patients == 1
    by_incremental = _costs(2025)
    full = run_year(2025, full=True)
    assert full.full and full.changed == 0
    assert _costs(2025) == by_incremental
    # The pump's year and the clip's (a third of 400 kr); the transmitter,
    # paid in 2024, costs nothing in 2025 but names the CGM system.
    assert by_incremental[patients[0].id] == (
        Decimal("7633.33"),
        Decimal("3450.00"),
        "Dexcom G6",
    )


def _costs(year: int) -> dict[int, tuple]:
    db.session.expire_all()
    rows = db.session.scalars(
        sa.select(PatientYearCost).where(PatientYearCost.year == year)
    )
    return {row.patient_id: (row.device_cost_sek, row.consumables_cost_sek,
                             row.cgm_system) for row in rows}  # fmt: skip


@pytest.mark.parametrize("bulk", [False, True], ids=["inserts", "bulk"])
def test_a_generated_region_marks_its_lines_as_the_rule_says(monkeypatch, bulk):
    monkeypatch.setattr(RegionWriter, "bulk", bulk)
    generate_region(40, 2, seed=5, today=date(2026, 6, 15))
    found = marks()
    assert any(found.values()) and not all(found.values())
    assert wrongly_marked() == []
    # And as `lasting_article` says, which the writers use.
    rows = db.session.execute(
        sa.select(ol.c.id, art.c.category, art.c.amortisation_years).join(
            art, art.c.id == ol.c.article_id
        )
    )
    assert all(found[row.id] == lasting_article(row.category, row.amortisation_years)
               for row in rows)  # fmt: skip
