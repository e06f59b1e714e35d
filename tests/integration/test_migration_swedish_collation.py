"""Revision 0048 makes the collation `swedish` on PostgreSQL (SQLite's comes with
every connection): from 0047 with patients stored, and from an empty database
alike, names then sort A to Z, Å, Ä, Ö. The downgrade drops it and keeps the
rows."""

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from sesamlike.common.collation import swedish
from sesamlike.extensions import db
from sesamlike.patients.models import Patient
from tests.conftest import is_postgres
from tests.factories import make_patient
from tests.migration_db import app_on_own_database, made_before

PREVIOUS = "0047_work_list_indexes"
NAMES = ["Dahl", "de Vries", "Zetterlund", "Åberg", "Ärlig", "Öberg"]


@pytest.fixture
def scratch(tmp_path):
    yield from app_on_own_database(tmp_path, "sl_swedish")


def collation_made() -> bool:
    if not is_postgres():
        return True  # registered on the connection, not in the schema
    found = "SELECT count(*) FROM pg_collation WHERE collname = 'swedish'"
    return db.session.scalar(sa.text(found)) == 1


def in_swedish_order() -> list[str]:
    return list(db.session.scalars(
        sa.select(Patient.last_name).order_by(swedish(Patient.last_name))
    ))  # fmt: skip


def stored() -> list[tuple]:
    query = sa.select(Patient.id, Patient.first_name, Patient.last_name)
    return [tuple(row) for row in db.session.execute(query.order_by(Patient.id))]


def test_the_collation_comes_with_0048_over_stored_rows_and_goes(scratch):
    def rows():
        for name in reversed(NAMES):
            make_patient(last_name=name)

    made_before(PREVIOUS, rows)
    before = stored()
    if is_postgres():
        assert not collation_made()
    upgrade()
    assert collation_made()
    assert in_swedish_order() == NAMES
    assert stored() == before
    db.session.remove()
    downgrade(revision=PREVIOUS)
    if is_postgres():
        assert not collation_made()
    assert stored() == before


def test_an_empty_database_gets_the_collation(scratch):
    upgrade()
    assert collation_made()
    for name in reversed(NAMES):
        make_patient(last_name=name)
    assert in_swedish_order() == NAMES
