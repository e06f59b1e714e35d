"""Revision 0046: on PostgreSQL, trigram indexes that find a typed part of a
name or a serial (the searches' LIKE '%...%', which read every patient, line
with a serial or device), and on both databases devices by status. From 0045
with patients, lines and devices stored, and from an empty database alike;
the downgrade drops them and keeps the rows. The searches' own statements
can be answered from them."""

import uuid
from datetime import date

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from sesamlike.extensions import db
from sesamlike.fulfilment import registers
from sesamlike.orders.models import OrderLine
from sesamlike.patients import search
from sesamlike.patients.models import Patient
from sesamlike.stock.models import Device
from tests.conftest import is_postgres
from tests.factories import make_article, make_order_line, make_patient
from tests.migration_db import app_on_own_database, index_names, index_text, made_before

PREVIOUS = "0045_awaiting_collection_index"
UPPER_SERIALS = "ix_devices_serial_no_upper"  # 0044's
TRIGRAMS = {
    "patients": "ix_patients_search_name_trgm",
    "order_lines": "ix_order_lines_serial_no_trgm",
    "devices": "ix_devices_serial_no_trgm",
}


@pytest.fixture
def scratch(tmp_path):
    yield from app_on_own_database(tmp_path, "sl_trigram")


def stored() -> list:
    return [
        db.session.execute(sa.select(Patient.id, Patient.search_name)).all(),
        db.session.execute(sa.select(OrderLine.id, OrderLine.serial_no)).all(),
        db.session.execute(sa.select(Device.id, Device.serial_no, Device.status)).all(),
    ]


def indexes() -> dict[str, set[str]]:
    return {
        table: index_names(table) for table in ("patients", "order_lines", "devices")
    }


def assert_made() -> None:
    found = indexes()
    assert "ix_devices_status" in found["devices"]
    assert not index_text(UPPER_SERIALS)  # unread since the searches match a part
    for table, name in TRIGRAMS.items():
        if is_postgres():
            assert name in found[table]
            assert "gin_trgm_ops" in index_text(name)
        else:
            assert name not in found[table]
    if is_postgres():
        assert "WHERE (serial_no IS NOT NULL)" in index_text(TRIGRAMS["order_lines"])


def test_the_search_indexes_come_with_0046_over_stored_rows_and_go(scratch):
    def rows():
        patient = make_patient(first_name="Signe", last_name="Hansson")
        pump = make_article("PUMP-1", category="pump", serial_tracked=True)
        order = make_order_line(patient, pump, "delivered",
                                delivered_on=date(2026, 3, 2))  # fmt: skip
        order.lines[0].serial_no = "TSD01990"
        db.session.add(Device(article_id=pump.id, serial_no="TSD01990",
                              status="on_loan", patient_id=patient.id))  # fmt: skip
        db.session.commit()

    made_before(PREVIOUS, rows)
    before = stored()
    assert "ix_devices_status" not in indexes()["devices"]
    db.session.remove()  # its reads' locks: dropping an index waits for them
    upgrade()
    assert_made()
    assert stored() == before
    db.session.remove()
    downgrade(revision=PREVIOUS)
    assert "upper(serial_no)" in index_text(UPPER_SERIALS).lower().replace(
        "(serial_no)::text", "serial_no"
    )
    found = indexes()
    assert "ix_devices_status" not in found["devices"]
    assert not {name for names in found.values() for name in names} & set(
        TRIGRAMS.values()
    )
    assert stored() == before


def test_an_empty_database_gets_the_search_indexes(scratch):
    upgrade()
    assert_made()


@pytest.mark.skipif(not is_postgres(), reason="trigram indexes: PostgreSQL only")
@pytest.mark.parametrize(
    "index, statement",
    [
        (TRIGRAMS["patients"],
         lambda: sa.select(Patient.id).where(registers.named("signe hans"))),
        (TRIGRAMS["patients"],
         lambda: sa.select(Patient.id).where(search._search_condition("Hansson"))),
        (TRIGRAMS["order_lines"], lambda: registers._serial_orders("sd0199")),
        (TRIGRAMS["devices"],
         lambda: sa.select(Device.id).where(
             Device.serial_no.icontains("sd0199", autoescape=True))),
    ],
    ids=["returns by name", "patient search", "returns by serial", "devices"],
)  # fmt: skip
def test_the_searches_statements_can_be_answered_from_the_trigrams(index, statement):
    """Told not to read whole tables, PostgreSQL plans each search's own
    statement (its pattern as the search writes it: escaped, any case) on
    the trigram index: were the pattern written so that it could not, the
    plan would still read the table."""
    compiled = statement().compile(dialect=db.engine.dialect)
    connection = db.session.connection()
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    if index == TRIGRAMS["order_lines"]:
        # In this transaction only: the serials' B-tree (0044), which an
        # empty table's plan reads whole instead.
        connection.exec_driver_sql("DROP INDEX ix_order_lines_serial_no")
    plan = (
        connection.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params)
        .scalars()
        .all()
    )
    db.session.rollback()
    assert any(index in row for row in plan), "\n".join(plan)


@pytest.mark.skipif(not is_postgres(), reason="pg_trgm and roles: PostgreSQL")
def test_a_role_that_may_not_create_pg_trgm_migrates_without_the_trigrams(capsys):
    """The app's role owns its schema but may not create extensions (the
    database is another role's): every migration goes in, 0046 says why it
    made no trigram index, the devices get their status index, the searches
    work as before, and `flask db check` finds the models and the database
    alike (the trigram indexes are not looked for where pg_trgm is not)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from sesamlike import config, create_app
    from sesamlike.common.dialect_objects import include_object
    from tests.conftest import DATABASE_URL

    admin = sa.create_engine(config.normalise_database_url(DATABASE_URL),
                             isolation_level="AUTOCOMMIT")  # fmt: skip
    name = f"sl_no_extensions_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE ROLE "{name}" LOGIN')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    owner = sa.create_engine(admin.url.set(database=name),
                             isolation_level="AUTOCOMMIT")  # fmt: skip
    try:
        with owner.connect() as conn:
            conn.exec_driver_sql(f'GRANT ALL ON SCHEMA public TO "{name}"')
        url = admin.url.set(database=name, username=name)
        app = create_app(config.TestConfig(url.render_as_string(hide_password=False)))
        with app.app_context():
            upgrade()
            said = capsys.readouterr().out
            assert "0046: no trigram indexes: pg_trgm could not be created" in said
            found = indexes()
            assert "ix_devices_status" in found["devices"]
            assert not set(TRIGRAMS.values()) & set().union(*found.values())
            patient = make_patient(first_name="Signe", last_name="Hansson")
            assert db.session.scalars(
                sa.select(Patient.id).where(registers.named("signe hans"))
            ).all() == [patient.id]
            with db.engine.connect() as conn:
                context = MigrationContext.configure(
                    conn,
                    opts={"compare_type": True,
                          "include_object": include_object(conn)},
                )  # fmt: skip
                assert compare_metadata(context, db.metadata) == []
            db.session.remove()
            db.engine.dispose()
    finally:
        owner.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{name}"')
        admin.dispose()
