"""Issue 16: packs returned to stock come off their line, a part at a time.

POST /api/v1/orders/{id}/lines/{line_id}/return and returns.return_consumables:
how many packs came back, restocked (on stock, fills backorders) or scrapped.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from sesamlike.common.errors import DomainError
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.fulfilment import returns, shipping
from sesamlike.orders.models import OrderLine
from sesamlike.stock.models import StockLot
from tests.factories import make_article, make_depot_world, make_pump, place_order_for
from tests.functional.test_api_basics import assert_error_format, bearer

TODAY = region_today()


@pytest.fixture
def world():
    world = make_depot_world()
    world.article = make_article("INF-1", name="Infusionsset X")
    return world


def delivered(world, packs=5, stock=None):
    shipping.receive_stock(world.clerk, "HMC", "INF-1", stock or packs, lot="L1")
    order = place_order_for(world.prescriber, world.article, packs)
    shipping.ship_order(world.clerk, order.id)
    shipping.deliver_order(world.clerk, order.id, TODAY)
    return order.id, order.lines[0].id


def on_hand() -> int:
    return db.session.scalar(sa.select(sa.func.sum(StockLot.on_hand)))


def line(line_id) -> OrderLine:
    return db.session.get(OrderLine, line_id, populate_existing=True)


def give_back(client, world, order_id, line_id, **body):
    body = {"packs": 2, "returned_on": TODAY.isoformat(), "restock": True, **body}
    return client.post(
        f"/api/v1/orders/{order_id}/lines/{line_id}/return",
        json=body,
        headers=bearer(world.clerk),
    )


def test_partial_returns_add_up_and_the_line_is_returned_when_all_are_back(
    client, world
):
    order_id, line_id = delivered(world, packs=5)
    assert on_hand() == 0

    response = give_back(client, world, order_id, line_id, packs=2, restock=True)
    assert response.status_code == 200
    data = response.get_json()["lines"][0]
    assert (data["status"], data["packs_returned"], data["packs_restocked"]) == (
        "delivered",
        2,
        2,
    )
    assert on_hand() == 2

    response = give_back(client, world, order_id, line_id, packs=1, restock=False)
    data = response.get_json()["lines"][0]
    assert (data["status"], data["packs_returned"], data["packs_restocked"]) == (
        "delivered",
        3,
        2,
    )
    assert on_hand() == 2  # a scrapped pack never reaches the shelf

    response = give_back(client, world, order_id, line_id, packs=2, restock=True)
    data = response.get_json()["lines"][0]
    assert (data["status"], data["returned_on"], data["packs_returned"]) == (
        "returned",
        TODAY.isoformat(),
        5,
    )
    assert (data["packs_restocked"], on_hand()) == (4, 4)


def test_more_packs_than_are_left_are_refused_naming_the_article(client, world):
    order_id, line_id = delivered(world, packs=3)
    give_back(client, world, order_id, line_id, packs=2)
    response = give_back(client, world, order_id, line_id, packs=2)
    assert_error_format(response, 409, "too_many_packs_returned")
    message = response.get_json()["error"]["message"]
    assert "Infusionsset X" in message and "1" in message
    assert (line(line_id).packs_returned, on_hand()) == (2, 2)


def test_restocked_packs_fill_a_waiting_backorder(client, world):
    order_id, line_id = delivered(world, packs=3)
    waiting = place_order_for(world.prescriber, world.article, 1)
    assert waiting.lines[0].status == "backordered"
    give_back(client, world, order_id, line_id, packs=1, restock=True)
    assert line(waiting.lines[0].id).status == "reserved"


def test_scrapped_packs_fill_no_backorder(client, world):
    order_id, line_id = delivered(world, packs=3)
    waiting = place_order_for(world.prescriber, world.article, 1)
    give_back(client, world, order_id, line_id, packs=3, restock=False)
    assert line(line_id).status == "returned"
    assert (line(line_id).packs_restocked, on_hand()) == (0, 0)
    assert line(waiting.lines[0].id).status == "backordered"


def test_the_line_must_belong_to_the_order_in_the_path(client, world):
    order_id, line_id = delivered(world, packs=2)
    response = give_back(client, world, order_id + 1000, line_id, packs=1)
    assert response.status_code == 404
    assert line(line_id).packs_returned == 0


@pytest.mark.parametrize(
    "body",
    [{"packs": 0}, {"packs": -1}, {"packs": "2"}, {"restock": None}, {"packs": None}],
)
def test_bad_input_is_422_and_writes_nothing(client, world, body):
    order_id, line_id = delivered(world, packs=2)
    response = give_back(client, world, order_id, line_id, **body)
    assert_error_format(response, 422, "invalid")
    assert line(line_id).packs_returned == 0


def test_only_depot_staff_take_returns(client, world):
    order_id, line_id = delivered(world, packs=2)
    response = client.post(
        f"/api/v1/orders/{order_id}/lines/{line_id}/return",
        json={"packs": 1, "returned_on": TODAY.isoformat(), "restock": True},
        headers=bearer(world.prescriber),
    )
    assert response.status_code == 403
    assert line(line_id).packs_returned == 0


def test_a_device_line_is_not_returned_as_packs(world):
    pump = make_pump("PUMP-1")
    shipping.receive_stock(world.clerk, "HMC", "PUMP-1", 1, serials=["SN-1"])
    order = place_order_for(world.prescriber, pump, 1, mode="clinic")
    shipping.ship_order(world.clerk, order.id, serials={order.lines[0].id: ["SN-1"]})
    shipping.deliver_order(world.clerk, order.id, TODAY)
    with pytest.raises(DomainError) as refused:
        returns.return_consumables(world.clerk, order.lines[0].id, TODAY, packs=1)
    assert refused.value.code == "not_returnable"


def test_whole_line_return_without_packs_still_takes_all_back(world):
    order_id, line_id = delivered(world, packs=3)
    returns.return_consumables(world.clerk, line_id, TODAY)
    assert (line(line_id).status, line(line_id).packs_restocked) == ("returned", 3)
    assert on_hand() == 3


def test_the_api_takes_the_lot_printed_on_packs_from_the_old_system(client, world):
    """As the returns page does: a line never picked here goes back into the
    lot and expiry printed on its packs, held to a receipt's rules."""
    from datetime import timedelta

    from tests.factories import make_delivered_line, make_patient

    shipping.receive_stock(world.clerk, "HMC", "INF-1", 1, lot="L1",
                           expiry=TODAY + timedelta(days=90))  # fmt: skip
    old = make_delivered_line(make_patient(world.clinic), world.article, TODAY, packs=2)
    expiry = TODAY + timedelta(days=300)
    response = give_back(client, world, old.order_id, old.id, packs=1,
                         lot="MI2611A", expiry=expiry.isoformat())  # fmt: skip
    assert response.status_code == 200, response.get_json()
    lot = db.session.scalar(sa.select(StockLot).where(StockLot.lot == "MI2611A"))
    assert (lot.on_hand, lot.expiry) == (1, expiry)
    mismatch = give_back(client, world, old.order_id, old.id, packs=1, lot="L1",
                         expiry=expiry.isoformat())  # fmt: skip
    assert mismatch.status_code == 409
    assert mismatch.get_json()["error"]["code"] == "lot_expiry_mismatch"
    assert line(old.id).packs_returned == 1


def prescription_of(line_id):
    from sesamlike.prescriptions.models import Prescription

    rx_id = line(line_id).prescription_id
    return db.session.get(Prescription, rx_id, populate_existing=True)


def test_every_pack_back_on_the_shelf_gives_the_withdrawal_back(client, world):
    """A delivery sent back whole and unopened (the wrong size) left the
    withdrawal used and the time lock running from it: the patient could not
    order the right one until the lock opened."""
    order_id, line_id = delivered(world, packs=5)
    rx = prescription_of(line_id)
    used, remaining = rx.withdrawals_used, rx.remaining_withdrawals
    assert rx.last_withdrawal_on == TODAY
    assert give_back(client, world, order_id, line_id, packs=5).status_code == 200
    rx = prescription_of(line_id)
    assert (rx.withdrawals_used, rx.remaining_withdrawals) == (used - 1, remaining + 1)
    assert rx.last_withdrawal_on is None  # no other withdrawal stands


@pytest.mark.parametrize("scrapped", [1, 5])
def test_packs_scrapped_keep_the_withdrawal(client, world, scrapped):
    order_id, line_id = delivered(world, packs=5)
    used = prescription_of(line_id).withdrawals_used
    if scrapped < 5:
        give_back(client, world, order_id, line_id, packs=5 - scrapped)
    give_back(client, world, order_id, line_id, packs=scrapped, restock=False)
    assert line(line_id).status == "returned"
    assert prescription_of(line_id).withdrawals_used == used


def test_the_returns_page_says_the_withdrawal_is_back(client, auth, world):
    _order_id, line_id = delivered(world, packs=3)
    auth.login(world.clerk.username)
    page = client.post(
        f"/stock/lines/{line_id}/return",
        data={"packs": "3", "returned_on": TODAY.isoformat(), "restock": "1"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "uttaget är återlämnat till förskrivningen" in page


def test_the_order_pages_say_how_many_packs_came_back(client, auth, world):
    """The walkthrough: after 2 of 4 packs came back, the portal's order page
    and the prescriber's said "4 förp. ... Levererad" as before."""
    from tests.factories import make_user

    order_id, line_id = delivered(world, packs=4)
    give_back(client, world, order_id, line_id, packs=2)
    patient = db.session.get(OrderLine, line_id).order.patient
    make_user("patient", patients=[patient], username="ella")
    auth.login(world.prescriber.username)
    page = " ".join(client.get(f"/orders/{order_id}").text.split())
    assert "varav 2 tillbaka" in page
    listed = " ".join(client.get(f"/patients/{patient.id}/orders").text.split())
    assert "4 × Infusionsset X (varav 2 tillbaka)" in listed
    auth.logout()
    auth.login("ella")
    page = " ".join(client.get(f"/portal/orders/{order_id}").text.split())
    assert "2 förpackningar kom tillbaka till hjälpmedelscentralen." in page


def test_the_portal_order_lists_say_how_many_packs_came_back(client, auth, world):
    """The order page said it; the portal's lists ("my aids" and all orders)
    still read "4 förp. Infusionsset X" for a line of which 2 came back."""
    from tests.factories import make_user

    order_id, line_id = delivered(world, packs=4)
    give_back(client, world, order_id, line_id, packs=2)
    patient = db.session.get(OrderLine, line_id).order.patient
    make_user("patient", patients=[patient], username="ella")
    auth.login("ella")
    for path in ("/portal/", "/portal/orders"):
        page = " ".join(client.get(path).text.split())
        assert "<li>4 förp. Infusionsset X · 2 förp. tillbaka</li>" in page, path
