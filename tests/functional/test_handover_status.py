"""An order page says whether the supplier file or the e-recept has gone.

A parent who orders at night sees that the supplier gets the order with the
next day's file; once the file has gone, the page says the supplier has it and
when. The lists, which do not look it up, keep the sentence that is true either
way."""

from __future__ import annotations

import html

import pytest

from sesamlike.channels.pharmacy import issue_pharmacy_prescriptions
from sesamlike.channels.supplier import export_supplier_orders
from sesamlike.channels.supplier_status import import_supplier_status_text
from sesamlike.common.formatting import format_date
from sesamlike.common.time import region_today
from tests.channel_world import ORDER_DAY, World
from tests.factories import make_user

SUPPLIER_WAITING = "leverantören med hjälpmedelscentralens nästa beställningsfil"
SUPPLIER_HAS_IT = "Leverantören har fått beställningen och levererar direkt."
PHARMACY_WAITING = "skickas till apoteket som e-recept inom några minuter"
PHARMACY_HAS_IT = "E-receptet finns hos apoteket."


@pytest.fixture
def world(app):
    world = World()
    make_user("patient", patients=[world.patient], username="anna-portal")
    return world


def pages(client, auth, world, order) -> tuple[str, str]:
    """The order as the prescriber and as the patient see it."""
    auth.login(world.prescriber.username)
    staff = html.unescape(client.get(f"/orders/{order.id}").get_data(as_text=True))
    auth.logout()
    auth.login("anna-portal")
    portal = html.unescape(
        client.get(f"/portal/orders/{order.id}").get_data(as_text=True)
    )
    auth.logout()
    return staff, portal


def test_a_supplier_line_says_when_the_file_has_gone(client, auth, world, app):
    order = world.order(world.pump)

    for page in pages(client, auth, world, order):
        assert SUPPLIER_WAITING in page
        assert SUPPLIER_HAS_IT not in page

    export_supplier_orders(ORDER_DAY)
    staff, portal = pages(client, auth, world, order)

    with app.test_request_context():
        day = format_date(ORDER_DAY)
    for page in (staff, portal):
        assert SUPPLIER_HAS_IT in page
        assert SUPPLIER_WAITING not in page
        assert "Beställd hos leverantören" in page  # not "Skickad": no parcel yet
    assert f"I beställningsfilen {day}." in staff
    assert f"Till leverantören {day}" in portal


def test_a_pharmacy_line_says_when_the_e_recept_has_gone(client, auth, world, app):
    order = world.order(world.pods)

    for page in pages(client, auth, world, order):
        assert PHARMACY_WAITING in page
        assert PHARMACY_HAS_IT not in page

    issue_pharmacy_prescriptions()
    staff, portal = pages(client, auth, world, order)

    with app.test_request_context():
        day = format_date(region_today())  # the e-recept went now
    for page in (staff, portal):
        assert PHARMACY_HAS_IT in page
        assert PHARMACY_WAITING not in page
    assert f"E-recept skickat {day}." in staff
    assert f"E-recept skickat {day}" in portal


def test_lists_keep_the_sentence_true_before_and_after(client, auth, world):
    """My aids lists orders without looking the files up: its sentence is
    true whether or not the file has gone."""
    world.order(world.pump)
    auth.login("anna-portal")
    before = html.unescape(client.get("/portal/").get_data(as_text=True))
    export_supplier_orders(ORDER_DAY)
    after = html.unescape(client.get("/portal/").get_data(as_text=True))
    for page in (before, after):
        # At the hour the order's own page says (the walkthrough: "kl. 16
        # varje dag" there, "en gång om dagen" here).
        assert "beställningsfil, som skickas kl. 16 varje dag" in page
        assert SUPPLIER_WAITING not in page and SUPPLIER_HAS_IT not in page


def test_a_line_the_supplier_confirmed_says_so(client, auth, world):
    order = world.order(world.pump)
    export_supplier_orders(ORDER_DAY)
    [line] = order.lines
    import_supplier_status_text(
        f"line_id,status,tracking_ref,delivered_on\n{line.id},confirmed,,\n"
    )

    for page in pages(client, auth, world, order):
        assert "Leverantören har bekräftat beställningen och levererar direkt." in page
        assert SUPPLIER_HAS_IT not in page and SUPPLIER_WAITING not in page
