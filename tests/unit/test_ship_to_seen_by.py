"""Who sees an order's ship-to, without a database (domain.md, need to know)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from sesamlike.accounts.models import User
from sesamlike.orders.models import Order, OrderLine
from sesamlike.orders.shipto import ship_to_seen_by
from sesamlike.patients.models import Patient

TODAY = date(2026, 12, 7)


def order(*lines: tuple) -> Order:
    placed = Order(
        delivery_mode="home", ship_to_name="Birgitta Sandberg",
        ship_to_street="Skolgatan 76", ship_to_postal_code="11822",
        ship_to_city="Stockholm", ship_to_door_code="5417",
        contact_phone="070-123 45 67",
    )  # fmt: skip
    placed.patient = Patient(protected_identity=False)
    placed.lines = [
        OrderLine(channel=c, status=s, delivered_on=TODAY - timedelta(days)
                  if days is not None else None)
        for c, s, days in (line + (None,) * (3 - len(line)) for line in lines)
    ]  # fmt: skip
    return placed


@pytest.mark.parametrize(
    ("lines", "seen"),
    [
        ([("pharmacy", "sent_to_pharmacy")], False),
        ([("pharmacy", "delivered")], False),
        ([("supplier", "delivered")], False),
        ([("central", "cancelled"), ("pharmacy", "sent_to_pharmacy")], False),
        ([("central", "reserved"), ("pharmacy", "sent_to_pharmacy")], True),
        ([("central", "backordered")], True),
        ([("central", "shipped")], True),  # on its way, or lost
        ([("central", "delivered", 3), ("central", "shipped")], True),
    ],
)
def test_the_aids_centre_sees_the_ship_to_of_an_order_it_ships_only(lines, seen):
    place = ship_to_seen_by(User(role="depot"), order(*lines), TODAY)
    assert (place.street, place.door_code, place.phone) == (
        ("Skolgatan 76", "5417", "070-123 45 67") if seen else (None, None, None)
    )
    assert place.name == ("Birgitta Sandberg" if seen else None)
    assert place.mode == "home" and place.withheld is not seen


@pytest.mark.parametrize(
    ("lines", "seen"),
    [
        ([("central", "delivered", 0)], True),
        ([("central", "delivered", 14)], True),  # a return may still come
        ([("central", "returned", 5)], True),
        ([("central", "delivered", 30), ("central", "delivered", 10)], True),
        ([("central", "delivered", 15)], False),
        ([("central", "returned", 40), ("central", "cancelled")], False),
        ([("central", "delivered")], False),  # no delivery day: history
    ],
)
def test_once_delivered_the_aids_centre_sees_no_door_code_and_after_returns_nothing(
    lines, seen
):
    place = ship_to_seen_by(User(role="depot"), order(*lines), TODAY)
    assert (place.name, place.street, place.phone) == (
        ("Birgitta Sandberg", "Skolgatan 76", "070-123 45 67")
        if seen
        else (None, None, None)
    )
    assert place.door_code is None
    assert place.withheld is not seen and place.delivered_long_ago is not seen


def test_the_patients_own_care_sees_the_ship_to_of_any_order():
    place = ship_to_seen_by(User(role="prescriber"), order(("pharmacy", "delivered")))
    assert place.street == "Skolgatan 76" and not place.withheld
