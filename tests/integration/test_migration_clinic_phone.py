"""Revision 0053 gives a clinic a phone number: NULL for the clinics there are
(no number is made up), kept and settable from 0052 and from an empty database
alike; the downgrade drops the column and keeps the clinics."""

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from sesamlike.extensions import db
from tests.migration_db import app_on_own_database

PREVIOUS = "0052_prescription_taken_over_by"
CLINICS = (
    "INSERT INTO clinics (id, code, name, cost_centre, paediatric, street, "
    "postal_code, city) VALUES (1, 'NORR', 'Norr', 'KS1', false, 'Sjukhusv. 1', "
    "'87140', 'Norrstad'), (2, 'SODR', 'Syd', 'KS2', false, NULL, NULL, NULL)"
)


@pytest.fixture
def scratch(tmp_path):
    yield from app_on_own_database(tmp_path, "sl_clinic_phone")


def clinics() -> list[tuple]:
    return [
        tuple(row)
        for row in db.session.execute(
            sa.text("SELECT code, name, street, phone FROM clinics ORDER BY id")
        )
    ]


def columns() -> set[str]:
    return {c["name"] for c in sa.inspect(db.engine).get_columns("clinics")}


def test_0053_adds_an_empty_phone_to_each_clinic_and_goes_back(scratch):
    upgrade(revision=PREVIOUS)
    with db.engine.begin() as conn:
        conn.execute(sa.text(CLINICS))

    upgrade()

    assert clinics() == [("NORR", "Norr", "Sjukhusv. 1", None),
                         ("SODR", "Syd", None, None)]  # fmt: skip
    db.session.execute(sa.text("UPDATE clinics SET phone = '031-390 06 10' "
                               "WHERE code = 'NORR'"))  # fmt: skip
    db.session.commit()
    assert clinics()[0][3] == "031-390 06 10"
    db.session.remove()
    downgrade(revision=PREVIOUS)
    assert "phone" not in columns()
    assert db.session.scalar(sa.text("SELECT count(*) FROM clinics")) == 2


def test_an_empty_database_keeps_a_clinics_phone(scratch):
    upgrade()
    with db.engine.begin() as conn:
        conn.execute(sa.text(CLINICS))
        conn.execute(sa.text("UPDATE clinics SET phone = '0611-123 45' WHERE id = 2"))
    assert clinics()[1] == ("SODR", "Syd", None, "0611-123 45")
