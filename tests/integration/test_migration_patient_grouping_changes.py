"""Revision 0043 adds the log of changes to what the report groups patients by
(birth date, diabetes type) and the trigger that writes it. From 0042 with
patients already stored, and from an empty database alike; the downgrade drops
both and keeps the patients."""

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from sesamlike.common import data_versions
from sesamlike.common.data_versions import GROUPINGS_PRUNED
from sesamlike.extensions import db
from sesamlike.patients.models import Patient
from tests.factories import make_patient
from tests.migration_db import app_on_own_database, made_before

PREVIOUS = "0042_stocked_lots_index"
LOG = "patient_grouping_changes"
FUNCTION = "note_patient_grouping_change"


@pytest.fixture
def scratch(tmp_path):
    yield from app_on_own_database(tmp_path, "sl_grouping")


def tables() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


def noted() -> int:
    return db.session.scalar(sa.text(f"SELECT count(*) FROM {LOG}"))


def change(patient_id: int, **values) -> None:
    db.session.execute(
        sa.update(Patient).where(Patient.id == patient_id).values(**values)
    )
    db.session.commit()


def stored() -> list[tuple]:
    rows = sa.select(Patient.personal_id, Patient.birth_date, Patient.diabetes_type)
    return [tuple(row) for row in db.session.execute(rows.order_by(Patient.id))]


def kept_figures() -> int:
    return db.session.scalar(sa.text("SELECT count(*) FROM followup_report_figures"))


def keep_a_figure(key: str) -> None:
    insert = sa.text(
        "INSERT INTO followup_report_figures (key, token, figures, computed_at) "
        "VALUES (:key, '1|2026-12-01T00:00:00', '{}', :now)"
    )
    db.session.execute(insert, {"key": key, "now": datetime(2026, 12, 1, tzinfo=UTC)})
    db.session.commit()


def test_the_grouping_log_comes_with_0043_and_goes(scratch):
    patient_id = made_before(PREVIOUS, lambda: make_patient(diabetes_type="type1").id)
    keep_a_figure("before")
    before = stored()
    assert LOG not in tables()

    upgrade()
    assert LOG in tables() and noted() == 0
    assert stored() == before
    assert kept_figures() == 0  # kept under the old token: emptied
    change(patient_id, phone="070-123 45 67")
    assert noted() == 0
    change(patient_id, diabetes_type="type2")
    assert noted() == 1
    data_versions.prune()
    keep_a_figure("after")

    db.session.remove()
    downgrade(revision=PREVIOUS)
    assert LOG not in tables()
    assert kept_figures() == 0
    pruned = "SELECT count(*) FROM data_versions WHERE name = :name"
    assert db.session.scalar(sa.text(pruned), {"name": GROUPINGS_PRUNED}) == 0
    if db.engine.dialect.name == "postgresql":
        function = "SELECT count(*) FROM pg_proc WHERE proname = :name"
        assert db.session.scalar(sa.text(function), {"name": FUNCTION}) == 0
    change(patient_id, birth_date=date(1980, 4, 1))  # no trigger left to fail
    assert [row[1:] for row in stored()] == [(date(1980, 4, 1), "type2")]


def test_an_empty_database_gets_the_grouping_log(scratch):
    upgrade()
    assert LOG in tables()
    patient_id = make_patient(birth_date=date(2001, 1, 1)).id
    change(patient_id, birth_date=date(2001, 1, 2))
    assert noted() == 1
