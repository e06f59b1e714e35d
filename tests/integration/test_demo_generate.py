"""`flask demo generate`: a synthetic region of N patients with history."""

from datetime import date

import pytest
import sqlalchemy as sa

from sesamlike.catalog.models import Article
from sesamlike.common import data_versions
from sesamlike.common.models import PatientDataChange
from sesamlike.common.time import region_today
from sesamlike.demo.generate import generate_region
from sesamlike.demo.writer import RegionWriter
from sesamlike.extensions import db
from sesamlike.orders.models import Order, OrderLine
from sesamlike.patients.identity import AgeGroup
from sesamlike.patients.models import Patient
from sesamlike.prescriptions.models import Prescription
from sesamlike.stock.models import Device
from tests.conftest import empty_tables


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

    today = region_today()
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


# What a generated region is, by natural keys: ids and the time of writing left
# out (PostgreSQL's sequences move on between two generations of one test).
FINGERPRINT = {
    "patients": """SELECT personal_id, id_kind, lma_number, lma_valid_to, first_name,
        last_name, search_name, birth_date, diabetes_type, protected_identity, phone,
        email FROM patients""",
    "addresses": """SELECT p.personal_id, a.kind, a.street, a.postal_code, a.city,
        a.door_code, a.valid_from, a.valid_to
        FROM addresses a JOIN patients p ON p.id = a.patient_id""",
    "care": """SELECT p.personal_id, c.code, r.started_on, r.ended_on
        FROM care_relationships r JOIN patients p ON p.id = r.patient_id
        JOIN clinics c ON c.id = r.clinic_id""",
    "guardians": """SELECT p.personal_id, g.name, g.phone FROM guardians g
        JOIN patients p ON p.id = g.patient_id""",
    "prescriptions": """SELECT p.personal_id, a.article_no, u.username, c.code,
        x.cost_centre, x.packs_per_withdrawal, x.withdrawals, x.withdrawals_used,
        x.period_days, x.lock_days, x.valid_from, x.valid_to, x.last_withdrawal_on,
        x.status, x.reason_code, x.reason_text, x.created_at, x.cancelled_at,
        x.cancelled_by_id IS NOT NULL, r.valid_from, ra.article_no
        FROM prescriptions x JOIN patients p ON p.id = x.patient_id
        JOIN articles a ON a.id = x.article_id JOIN clinics c ON c.id = x.clinic_id
        LEFT JOIN users u ON u.id = x.prescriber_id
        LEFT JOIN prescriptions r ON r.id = x.renewed_from_id
        LEFT JOIN articles ra ON ra.id = r.article_id""",
    "orders": """SELECT p.personal_id, o.placed_by_role, o.placed_at, o.delivery_mode,
        (SELECT count(*) FROM order_lines l WHERE l.order_id = o.id)
        FROM orders o JOIN patients p ON p.id = o.patient_id""",
    "lines": """SELECT p.personal_id, o.placed_at, a.article_no, l.packs, l.channel,
        l.status, l.pack_price_sek, l.vat_rate, l.serial_no, l.delivered_on,
        l.returned_on, l.packs_returned, l.packs_restocked, x.valid_from,
        l.cost_centre, r.serial_no, r.delivered_on, f.serial_no, f.delivered_on
        FROM order_lines l JOIN orders o ON o.id = l.order_id
        JOIN patients p ON p.id = o.patient_id JOIN articles a ON a.id = l.article_id
        LEFT JOIN prescriptions x ON x.id = l.prescription_id
        LEFT JOIN order_lines r ON r.id = l.replaces_line_id
        LEFT JOIN order_lines f ON f.id = l.amortised_line_id""",
    "devices": """SELECT a.article_no, d.serial_no, d.status, p.personal_id, d.lent_on,
        d.warranty_end, d.returned_on, d.return_reason, l.serial_no, l.delivered_on
        FROM devices d JOIN articles a ON a.id = d.article_id
        JOIN patients p ON p.id = d.patient_id
        JOIN order_lines l ON 'order-line:' || l.id = d.reference""",
}


def fingerprint() -> dict[str, list[tuple]]:
    return {
        name: sorted(
            (tuple(row) for row in db.session.execute(sa.text(sql))),
            key=lambda row: tuple((value is None, str(value)) for value in row),
        )
        for name, sql in FINGERPRINT.items()
    }


def test_bulk_writer_writes_the_same_region_as_plain_inserts(monkeypatch):
    today = date(2026, 6, 15)
    monkeypatch.setattr(RegionWriter, "bulk", False)
    plain_counts = generate_region(60, 2, seed=11, today=today)
    plain = fingerprint()
    empty_tables()

    monkeypatch.setattr(RegionWriter, "bulk", True)
    bulk_counts = generate_region(60, 2, seed=11, today=today)
    bulk = fingerprint()

    assert bulk_counts == plain_counts
    assert {name: len(rows) for name, rows in bulk.items()} == {
        name: len(rows) for name, rows in plain.items()
    }
    assert all(plain[name] for name in ("patients", "lines", "devices", "guardians"))
    for name in FINGERPRINT:
        assert bulk[name] == plain[name], name
    renewals = [row for row in bulk["prescriptions"] if row[-1] is not None]
    assert renewals, "some prescriptions renew an earlier one"


SCHEMA = {
    "postgresql": """SELECT 'index', indexname, indexdef FROM pg_indexes
        WHERE schemaname = current_schema()
        UNION ALL SELECT 'key', conname, pg_get_constraintdef(oid) FROM pg_constraint
        WHERE connamespace = CAST(current_schema() AS regnamespace)
        UNION ALL SELECT 'trigger', tgname, pg_get_triggerdef(oid) FROM pg_trigger
        WHERE NOT tgisinternal""",
    "sqlite": "SELECT type, name, sql FROM sqlite_master",
}


def schema() -> list[tuple]:
    sql = SCHEMA[db.session.connection().dialect.name]
    return sorted(tuple(row) for row in db.session.execute(sa.text(sql)))


def test_a_deferred_load_writes_the_same_region_and_every_index_and_key(monkeypatch):
    today = date(2026, 6, 15)
    before = schema()
    monkeypatch.setattr(RegionWriter, "bulk", True)
    chunked = generate_region(60, 2, seed=11, today=today, defer=False)
    expected = fingerprint()
    empty_tables()
    during = []
    written = RegionWriter.write

    def write(self, *args, **kwargs):
        during.append(len(schema()))
        return written(self, *args, **kwargs)

    monkeypatch.setattr(RegionWriter, "write", write)
    deferred = generate_region(60, 2, seed=11, today=today, defer=True)

    assert deferred == chunked
    if db.session.connection().dialect.name == "postgresql":
        assert during[0] < len(before)  # secondary indexes and keys made after
    assert fingerprint() == expected
    assert schema() == before
    if db.session.connection().dialect.name == "postgresql":
        # The keys are checked again: a line of an order that does not exist.
        with pytest.raises(sa.exc.IntegrityError):
            db.session.execute(sa.text(
                "UPDATE order_lines SET order_id = -1 WHERE id = "
                "(SELECT min(id) FROM order_lines)"))  # fmt: skip
        db.session.rollback()


@pytest.mark.parametrize("pipeline", [False, True])
def test_a_failed_deferred_load_writes_nothing_and_keeps_the_indexes(
    monkeypatch, pipeline
):
    before = schema()
    written = RegionWriter.store  # what both writes go through
    calls = []

    def fail_on_second_chunk(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return written(self, *args, **kwargs)

    monkeypatch.setattr("sesamlike.demo.generate.CHUNK", 20)
    monkeypatch.setattr(RegionWriter, "store", fail_on_second_chunk)
    with pytest.raises(RuntimeError):
        generate_region(60, 1, seed=5, today=date(2026, 6, 15), defer=True,
                        pipeline=pipeline)  # fmt: skip
    db.session.rollback()

    assert count(Patient) == 0 and count(OrderLine) == 0
    assert schema() == before


def test_planning_in_a_second_process_writes_the_same_region(monkeypatch):
    today = date(2026, 6, 15)
    monkeypatch.setattr("sesamlike.demo.generate.CHUNK", 20)
    here = generate_region(60, 2, seed=13, today=today, pipeline=False)
    expected = fingerprint()
    empty_tables()

    elsewhere = generate_region(60, 2, seed=13, today=today, pipeline=True)

    assert elsewhere == here
    assert fingerprint() == expected


def test_a_locked_load_made_in_the_second_process_writes_the_same_region(
    monkeypatch,
):
    """In a deferred load the planning process also takes the ids and makes
    the rows; ids go on from there afterwards."""
    today = date(2026, 6, 15)
    monkeypatch.setattr("sesamlike.demo.generate.CHUNK", 20)
    here = generate_region(60, 2, seed=13, today=today, pipeline=False, defer=False)
    expected = fingerprint()
    empty_tables()

    elsewhere = generate_region(60, 2, seed=13, today=today, pipeline=True,
                                defer=True)  # fmt: skip

    assert elsewhere == here
    assert fingerprint() == expected
    more = generate_region(5, 1, seed=14, today=today, pipeline=False, defer=False)
    assert more.prescriptions > 0
    assert count(Patient) == 65


def test_a_planning_failure_in_the_second_process_is_reported(monkeypatch):
    monkeypatch.setattr("sesamlike.demo.generate.CHUNK", 20)

    def broken(*_args, **_kwargs):
        raise ValueError("no article for kit")

    monkeypatch.setattr("sesamlike.demo.plan.Planner.plan", broken)
    with pytest.raises(RuntimeError, match="no article for kit"):
        generate_region(60, 1, seed=5, today=date(2026, 6, 15), pipeline=True)
    db.session.rollback()
    assert count(Patient) == 0


def test_a_generated_region_has_the_planners_statistics_on_postgresql():
    if db.session.connection().dialect.name != "postgresql":
        pytest.skip("PostgreSQL's planner statistics (SQLite plans without them)")
    # What an earlier test's ANALYZE may have left: gone, as on a new server.
    db.session.execute(
        sa.text("DELETE FROM pg_statistic WHERE starelid = 'order_lines'::regclass")
    )
    db.session.commit()

    generate_region(30, 2, seed=5, today=date(2026, 6, 15), defer=True)

    columns = db.session.scalar(sa.text(
        "SELECT count(*) FROM pg_stats WHERE tablename = 'order_lines'"))  # fmt: skip
    assert columns > 0


@pytest.mark.parametrize("defer", [False, True])
def test_generated_history_moves_no_data_version_and_later_changes_do(
    monkeypatch, defer
):
    # The patients are new: no page of theirs was built, so their history is
    # written with the bumps suspended (a version per row would cost the load a
    # write of every patient per table), and only for that load's transactions.
    monkeypatch.setattr("sesamlike.demo.generate.CHUNK", 20)
    generate_region(60, 2, seed=17, today=date(2026, 6, 15), defer=defer,
                    pipeline=False)  # fmt: skip
    assert count(OrderLine) > 0
    assert count(PatientDataChange) == 0
    line = db.session.scalars(sa.select(OrderLine).limit(1)).one()
    db.session.execute(
        sa.update(OrderLine).where(OrderLine.id == line.id).values(packs_returned=0)
    )
    db.session.commit()
    version = data_versions.PATIENT_VERSION
    assert db.session.scalar(version, {"patient_id": line.patient_id}) > 0
