"""Revision 0051 keeps on the patient when and why care in the region ended
(death, a move out of the region), on each episode it ended its reason, and
lets the outbox hold the notice of a move. From 0050 and from an empty
database alike; the downgrade drops the columns and such mails, keeping the
rest."""

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from sesamlike.extensions import db
from tests.migration_db import app_on_own_database, index_names

PREVIOUS = "0050_order_cancelled_notice"


@pytest.fixture
def scratch(tmp_path):
    yield from app_on_own_database(tmp_path, "sl_care_end")


def add_patient(**care_end) -> None:
    columns = "".join(f", {name}" for name in care_end)
    values = "".join(f", :{name}" for name in care_end)
    db.session.execute(
        sa.text(
            "INSERT INTO patients (id, personal_id, id_kind, first_name, last_name,"
            f" diabetes_type, protected_identity, created_at, updated_at{columns})"
            " VALUES (1, 'R0000001', 'reserve', 'Ella', 'Ek', 'type1', false,"
            f" CURRENT_TIMESTAMP, CURRENT_TIMESTAMP{values})"
        ),
        care_end,
    )
    db.session.commit()


def add_mail(kind: str) -> None:
    db.session.execute(
        sa.text(
            "INSERT INTO outgoing_mails (to_address, subject, body, kind, dedupe_key,"
            " channel, attempts, created_at, send_after)"
            " VALUES ('a@example.se', 's', 'b', :kind, :kind, 'email', 0,"
            " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        ),
        {"kind": kind},
    )
    db.session.commit()


def columns(table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(db.engine).get_columns(table)}


def test_0051_keeps_the_end_of_care_and_its_downgrade_drops_it(scratch):
    upgrade(revision=PREVIOUS)
    add_patient()
    add_mail("order_received")
    upgrade()
    reason = db.session.scalar(sa.text("SELECT care_ended_reason FROM patients"))
    assert reason is None  # nobody's care ended by the upgrade
    db.session.execute(
        sa.text(
            "UPDATE patients SET care_ended_reason = 'deceased',"
            " care_ended_on = '2026-11-30'"
        )
    )
    db.session.commit()
    add_mail("care_ended")
    assert "ix_patients_care_ended_by_id" in index_names("patients")
    db.session.remove()
    downgrade(revision=PREVIOUS)
    assert not {"care_ended_reason", "care_ended_on", "care_ended_by_id",
                "care_ended_at"} & columns("patients")  # fmt: skip
    assert "end_reason" not in columns("care_relationships")
    kinds = sorted(db.session.scalars(sa.text("SELECT kind FROM outgoing_mails")))
    assert kinds == ["order_received"]
    assert db.session.scalar(sa.text("SELECT first_name FROM patients")) == "Ella"


def test_an_empty_database_refuses_an_unknown_reason(scratch):
    upgrade()
    with pytest.raises(sa.exc.IntegrityError):
        add_patient(care_ended_reason="emigrated")
    db.session.rollback()
    add_patient(care_ended_reason="moved_out", care_ended_on="2026-11-30")
    add_mail("care_ended")
