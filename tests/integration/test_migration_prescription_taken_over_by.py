"""Revision 0052 marks a prescription another clinic took over with the one
that took it over: backfilled from the take-over's audit row (a renewal, which
links the same way, is not marked), from 0051 and from an empty database
alike; the data-change triggers on prescriptions survive it both ways, and the
downgrade drops the column, keeping the prescriptions."""

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from sesamlike.extensions import db
from tests.integration.test_migration_prescriptions_updated_at import (
    TRIGGERS,
    prescription_triggers,
)
from tests.migration_db import ARTICLE_AND_PATIENT, app_on_own_database, index_names

PREVIOUS = "0051_patient_care_end"
PRESCRIPTION = (
    "INSERT INTO prescriptions (id, patient_id, article_id, clinic_id, "
    "cost_centre, packs_per_withdrawal, withdrawals, withdrawals_used, "
    "period_days, lock_days, valid_from, valid_to, status, renewed_from_id, "
    "created_at, updated_at) VALUES (:id, 1, 1, :clinic, 'KS1', 1, 4, 1, 90, 60, "
    "'2026-01-01', '2026-12-31', 'active', :renewed_from, CURRENT_TIMESTAMP, "
    "CURRENT_TIMESTAMP)"
)
AUDIT = (
    "INSERT INTO audit_events (at, action, object_type, object_id, patient_id, "
    "channel, detail) VALUES (CURRENT_TIMESTAMP, :action, 'prescription', :object, "
    "1, 'web', :detail)"
)
ROWS = [
    "INSERT INTO clinics (id, code, name, cost_centre, paediatric) "
    "VALUES (1, 'NORR', 'Norr', 'KS1', false), (2, 'SODR', 'Syd', 'KS2', false)",
    *ARTICLE_AND_PATIENT,
]


@pytest.fixture
def scratch(tmp_path):
    yield from app_on_own_database(tmp_path, "sl_taken_over")


def add_history() -> None:
    """1 taken over by 2 (SODR), which 3 renewed; 4 renewed by 5, whose
    audit row of another take-over names another prescription."""
    with db.engine.begin() as conn:
        for row in ROWS:
            conn.execute(sa.text(row))
        for id_, clinic, renewed_from in [(1, 1, None), (2, 2, 1), (3, 2, 2),
                                          (4, 1, None), (5, 1, 4)]:  # fmt: skip
            conn.execute(
                sa.text(PRESCRIPTION),
                {"id": id_, "clinic": clinic, "renewed_from": renewed_from},
            )
        for action, object_id, detail in [
            ("take_over", "1", "ended 2026-12-06: taken over by SODR"),
            ("take_over", "2", "from 1 (NORR)"),
            ("renew", "3", "renewed from 2"),
            ("renew", "5", "renewed from 4"),
            ("take_over", "5", "from 40 (NORR)"),
        ]:
            conn.execute(
                sa.text(AUDIT),
                {"action": action, "object": object_id, "detail": detail},
            )


def taken_over_by() -> dict[int, int | None]:
    return dict(
        db.session.execute(
            sa.text("SELECT id, taken_over_by_id FROM prescriptions ORDER BY id")
        ).all()
    )


def columns() -> set[str]:
    return {c["name"] for c in sa.inspect(db.engine).get_columns("prescriptions")}


def test_0052_marks_the_take_overs_the_audit_log_records_and_goes_back(scratch):
    upgrade(revision=PREVIOUS)
    add_history()

    upgrade()

    assert taken_over_by() == {1: 2, 2: None, 3: None, 4: None, 5: None}
    assert "ix_prescriptions_taken_over_by_id" in index_names("prescriptions")
    assert TRIGGERS <= prescription_triggers()
    db.session.remove()
    downgrade(revision=PREVIOUS)
    assert "taken_over_by_id" not in columns()
    assert "ix_prescriptions_taken_over_by_id" not in index_names("prescriptions")
    assert TRIGGERS <= prescription_triggers()
    count = db.session.scalar(sa.text("SELECT count(*) FROM prescriptions"))
    assert count == 5


def test_an_empty_database_refers_a_take_over_to_a_prescription(scratch):
    upgrade()
    add_history()
    db.session.execute(
        sa.text("UPDATE prescriptions SET taken_over_by_id = 2 WHERE id = 1")
    )
    db.session.commit()
    assert taken_over_by()[1] == 2
    assert TRIGGERS <= prescription_triggers()
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(
            sa.text("UPDATE prescriptions SET taken_over_by_id = 99 WHERE id = 4")
        )
        db.session.commit()
    db.session.rollback()
