"""Revision 0050 lets the outbox hold the notice that an order, or part of it,
was cancelled. From 0049 and from an empty database alike; the downgrade
deletes such mails (the narrower check would refuse them) and keeps the rest."""

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from sesamlike.extensions import db
from tests.migration_db import app_on_own_database

PREVIOUS = "0049_patient_pseudonyms"


@pytest.fixture
def scratch(tmp_path):
    yield from app_on_own_database(tmp_path, "sl_order_cancelled")


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


def kinds() -> list[str]:
    return sorted(db.session.scalars(sa.text("SELECT kind FROM outgoing_mails")))


def test_0050_takes_the_cancelled_notice_and_its_downgrade_drops_only_those(scratch):
    upgrade(revision=PREVIOUS)
    with pytest.raises(sa.exc.IntegrityError):
        add_mail("order_cancelled")
    db.session.rollback()
    upgrade()
    add_mail("order_cancelled")
    add_mail("order_received")
    assert kinds() == ["order_cancelled", "order_received"]
    db.session.remove()
    downgrade(revision=PREVIOUS)
    assert kinds() == ["order_received"]


def test_an_empty_database_takes_the_cancelled_notice(scratch):
    upgrade()
    add_mail("order_cancelled")
    assert kinds() == ["order_cancelled"]
