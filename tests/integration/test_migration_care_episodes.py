"""Revision 0034 lets a clinic's care of a patient come in episodes.

From 0033 the existing relationships stay as they were; afterwards an ended
episode and an open one of the same clinic live side by side, two open ones
do not. The downgrade puts the old constraint back, and refuses while a pair
has several episodes rather than lose one.
"""

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from sesamlike.extensions import db
from tests.migration_db import app_on_own_database

PREVIOUS = "0033_job_runs_partial"
ROWS = [
    "INSERT INTO clinics (id, code, name, cost_centre, paediatric) "
    "VALUES (1, 'SODR', 'Söder', 'KS1', false), (2, 'NORR', 'Norr', 'KS2', false)",
    "INSERT INTO patients (id, personal_id, id_kind, first_name, last_name, "
    "diabetes_type, protected_identity, created_at, updated_at) VALUES (3, 'R3', "
    "'reserve', 'Nora', 'Nord', 'type1', false, CURRENT_TIMESTAMP, "
    "CURRENT_TIMESTAMP)",
    "INSERT INTO care_relationships (patient_id, clinic_id, started_on, ended_on) "
    "VALUES (3, 1, '2023-02-01', '2025-06-01'), (3, 2, '2024-03-01', NULL)",
]
EPISODE = (
    "INSERT INTO care_relationships (patient_id, clinic_id, started_on, ended_on) "
    "VALUES (3, :clinic, '2026-01-10', :ended)"
)


@pytest.fixture
def scratch(tmp_path):
    yield from app_on_own_database(tmp_path, "sl_care_episodes")


def episodes() -> list[tuple]:
    with db.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(sa.text(
            "SELECT patient_id, clinic_id, CAST(started_on AS VARCHAR(10)), "
            "CAST(ended_on AS VARCHAR(10)) FROM care_relationships ORDER BY id"
        ))]  # fmt: skip


def insert(clinic: int, ended: str | None) -> None:
    with db.engine.begin() as conn:
        conn.execute(sa.text(EPISODE), {"clinic": clinic, "ended": ended})


def test_an_ended_episode_and_a_new_one_live_side_by_side_after_0034(scratch, capfd):
    upgrade(revision=PREVIOUS)
    with db.engine.begin() as conn:
        for row in ROWS:
            conn.execute(sa.text(row))
    with pytest.raises(sa.exc.IntegrityError):  # before: one row per pair
        insert(1, None)
    upgrade()
    before = [(3, 1, "2023-02-01", "2025-06-01"), (3, 2, "2024-03-01", None)]
    assert episodes() == before
    insert(1, None)  # SODR takes patient 3 back
    assert episodes() == [*before, (3, 1, "2026-01-10", None)]
    with pytest.raises(sa.exc.IntegrityError):  # a second open one of NORR
        insert(2, None)
    with pytest.raises(SystemExit):  # flask db downgrade: "Error: ..." and exit 1
        downgrade(revision=PREVIOUS)
    assert "1 patient and clinic pairs have more than one" in capfd.readouterr().err
    assert len(episodes()) == 3  # nothing merged, nothing lost

    with db.engine.begin() as conn:
        conn.execute(
            sa.text("DELETE FROM care_relationships WHERE ended_on = '2025-06-01'")
        )
    downgrade(revision=PREVIOUS)
    with pytest.raises(sa.exc.IntegrityError):  # the old constraint is back
        insert(1, "2026-02-01")
    upgrade()
    insert(1, "2026-02-01")
    assert len(episodes()) == 3
