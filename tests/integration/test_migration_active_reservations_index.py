"""Revision 0041 adds the partial index of the active reservations, which every
order sums under its articles' lot locks. From 0040 with reservations already
stored, and from an empty database alike; the downgrade drops the index and
keeps the reservations. The model, the queries and the migration say the
same condition."""

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from sesamlike.extensions import db
from sesamlike.stock.models import ACTIVE_RESERVATION_ROWS, Depot, Reservation
from sesamlike.stock.reservations import ReservationStatus
from tests.factories import make_article
from tests.migration_db import app_on_own_database, index_names, index_text, revision

PREVIOUS = "0040_undelivered_lines_index"
INDEX = "ix_reservations_active_article_depot"


@pytest.fixture
def scratch(tmp_path):
    yield from app_on_own_database(tmp_path, "sl_active_reservations")


def assert_partial() -> None:
    """By article and depot, with only the active reservations in it."""
    text = index_text(INDEX)
    assert "article_id" in text and "depot_id" in text
    assert "WHERE" in text and "'active'" in text
    for status in ("shipped", "released", "picked"):
        assert f"'{status}'" not in text


def stored() -> list[tuple[str, int]]:
    rows = sa.select(Reservation.status, Reservation.packs).order_by(Reservation.id)
    return [tuple(row) for row in db.session.execute(rows)]


def test_the_active_reservations_index_comes_with_0041_and_goes(scratch):
    upgrade(revision=PREVIOUS)
    depot = Depot(code="HMC", name="Hjälpmedelscentralen")
    article = make_article("INF-1")
    db.session.add(depot)
    db.session.flush()
    for status, packs in (("active", 2), ("shipped", 3)):
        held = Reservation(
            reference=f"order-line:{packs}",
            depot_id=depot.id,
            article_id=article.id,
            packs=packs,
            status=status,
        )
        db.session.add(held)
    db.session.commit()
    assert INDEX not in index_names("reservations")
    upgrade()
    assert INDEX in index_names("reservations")
    assert_partial()
    assert stored() == [("active", 2), ("shipped", 3)]
    db.session.remove()
    downgrade(revision=PREVIOUS)
    assert INDEX not in index_names("reservations")
    assert stored() == [("active", 2), ("shipped", 3)]


def test_an_empty_database_gets_the_active_reservations_index(scratch):
    upgrade()
    assert INDEX in index_names("reservations")
    assert_partial()


def test_the_model_the_query_and_the_migration_say_the_same_condition():
    made = revision("0041_active_reservations_index.py").ACTIVE_RESERVATION_ROWS
    assert made == ACTIVE_RESERVATION_ROWS
    assert ACTIVE_RESERVATION_ROWS == f"status = '{ReservationStatus.ACTIVE}'"
