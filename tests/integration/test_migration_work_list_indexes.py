"""Revision 0047 adds the two partial indexes the prescriber's work lists count
by: a patient's prescriptions not cancelled by validity, and a patient's
devices on loan by warranty end. From 0046 with rows stored, and from an empty
database alike; the downgrade drops them and keeps the rows."""

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.orders import worklists
from sesamlike.prescriptions.models import Prescription
from sesamlike.stock.models import Device
from tests.factories import (
    make_article,
    make_clinic,
    make_lent_device,
    make_patient,
    make_prescription,
    make_user,
)
from tests.migration_db import (
    app_on_own_database,
    index_names,
    index_text,
    made_before,
    revision,
    sqlite_plans_by,
)

PREVIOUS = "0046_trigram_search"
INDEXES = {
    "prescriptions": ("ix_prescriptions_patient_valid_to", "(patient_id, valid_to)",
                      "status <> 'cancelled'"),
    "devices": ("ix_devices_on_loan_warranty", "(patient_id, warranty_end)",
                "status = 'on_loan'"),
}  # fmt: skip


@pytest.fixture
def scratch(tmp_path):
    yield from app_on_own_database(tmp_path, "sl_work_lists")


def assert_made() -> None:
    for table, (name, columns, condition) in INDEXES.items():
        assert name in index_names(table)
        made = " ".join(index_text(name).lower().replace("::text", "").split())
        assert columns in made
        assert condition in made.replace("(", "").replace(")", "")


def stored() -> list[tuple]:
    prescriptions = sa.select(
        Prescription.id, Prescription.status, Prescription.valid_to
    )
    devices = sa.select(Device.id, Device.status, Device.warranty_end)
    return [
        *(tuple(row) for row in db.session.execute(prescriptions.order_by("id"))),
        *(tuple(row) for row in db.session.execute(devices.order_by("id"))),
    ]


def test_the_work_list_indexes_come_with_0047_over_stored_rows_and_go(scratch):
    def rows():
        patient = make_patient(make_clinic("NORR"))
        make_prescription(patient, make_article("INF-1"))
        make_prescription(patient, make_article("INF-2"), status="cancelled")
        make_lent_device(patient, make_article("PUMP-1", category="pump"))

    made_before(PREVIOUS, rows)
    before = stored()
    assert not any(name in index_names(t) for t, (name, *_) in INDEXES.items())
    upgrade()
    assert_made()
    assert stored() == before
    db.session.remove()
    downgrade(revision=PREVIOUS)
    assert not any(name in index_names(t) for t, (name, *_) in INDEXES.items())
    assert stored() == before


def test_an_empty_database_gets_the_work_list_indexes(scratch):
    upgrade()
    assert_made()


def test_the_models_say_the_migrations_conditions():
    """The models' partial indexes (what tests and `db.create_all` make) have
    the conditions the migration made, word for word."""
    from sesamlike.prescriptions.models import NOT_CANCELLED_ROWS
    from sesamlike.stock.models import ON_LOAN_ROWS

    migration = revision("0047_work_list_indexes.py")
    assert migration.NOT_CANCELLED_ROWS == NOT_CANCELLED_ROWS
    assert migration.ON_LOAN_ROWS == ON_LOAN_ROWS


@pytest.mark.parametrize(
    ("which", "table", "index"),
    [
        ("running_out", "prescriptions", "ix_prescriptions_patient_valid_to"),
        ("warranty", "devices", "ix_devices_on_loan_warranty"),
    ],
)
def test_the_counts_say_the_index_conditions_as_written(which, table, index):
    """SQLite uses a partial index only where the query says its condition (a
    bound 'cancelled' or 'on_loan' would not do): told to read the rows by it
    (INDEXED BY), it plans the count's own statement, else it refuses."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's rule; PostgreSQL plans with the values")
    clinic = make_clinic("NORR")
    prescriber = make_user("prescriber", clinics=[clinic])
    today = region_today()
    scope = worklists._scope(prescriber, None)
    found = {
        "running_out": worklists._RunningOut(scope, today, 30),
        "warranty": worklists._Warranty(scope, today, 30),
    }[which]
    assert sqlite_plans_by(index, f"FROM {table}", found.count, sent="count(")
