"""The portal's order page says by when a line on its way should be there.

The day is the channel's lead time in working days from the order, the day
the clinic's work list counts the line late from; past it, the page says so
and whom to ask. Pharmacy lines (collected at the pharmacy) and backordered
ones (no day can be promised) get no day."""

from __future__ import annotations

import html
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from sesamlike.common.formatting import format_date
from sesamlike.common.time import region_today
from tests.channel_world import MORNING, World
from tests.factories import make_article, make_patient, make_stock_lot, make_user


def weekdays_after(start: date, n: int) -> date:
    """`n` weekdays (Monday to Friday) after `start`, counted by hand."""
    day = start
    while n:
        day += timedelta(days=1)
        n -= day.weekday() < 5
    return day


@pytest.fixture
def world(app):
    world = World()
    make_user("patient", patients=[world.patient], username="anna-portal")
    return world


def order_page(client, auth, order, username="anna-portal") -> str:
    auth.login(username)
    page = client.get(f"/portal/orders/{order.id}").get_data(as_text=True)
    auth.logout()
    return html.unescape(page)


def day_text(app, day: date) -> str:
    with app.test_request_context():
        return format_date(day)


def test_a_supplier_line_ordered_today_says_the_day_it_should_be_there(
    client, auth, world, app
):
    order = world.order(world.pump, at=datetime.now(UTC))
    due = day_text(app, weekdays_after(region_today(), 10))  # supplier: 10

    page = order_page(client, auth, order)

    assert f"Väntas fram senast {due}." in page
    assert "Skulle ha kommit fram" not in page


def test_a_central_line_to_the_clinic_says_when_it_reaches_the_clinic(
    client, auth, world, app
):
    sets = make_article(
        "SET-1", name="Infusionsset", category="infusion_set", channel="central",
        pack_price_sek=Decimal("100.00"),
    )  # fmt: skip
    make_stock_lot(sets)
    order = world.order(sets, mode="clinic", at=datetime.now(UTC))
    due = day_text(app, weekdays_after(region_today(), 5))  # central: 5

    page = order_page(client, auth, order)

    assert "Beställd, packas" in page
    assert f"Väntas till mottagningen senast {due}." in page


def test_a_line_past_its_day_says_it_is_late_and_whom_to_ask(client, auth, world, app):
    order = world.order(world.pump, at=MORNING)  # Monday 2 March 2026
    due = day_text(app, date(2026, 3, 16))  # ten weekdays later

    page = order_page(client, auth, order)

    assert (
        f"Skulle ha kommit fram senast {due}. Hör av dig till din mottagning om "
        "den inte har kommit." in page
    )
    assert "Väntas fram" not in page


def test_a_guardian_is_sent_to_the_childs_clinic(client, auth, world):
    child = make_patient(world.clinic, first_name="Olle", birth_date=date(2016, 5, 1))
    make_user("guardian", patients=[child], username="olles-guardian")
    order = world.order(world.pump, patient=child, at=MORNING)
    auth.login("olles-guardian")
    client.post("/portal/choose", data={"patient_id": child.id})
    page = html.unescape(
        client.get(f"/portal/orders/{order.id}").get_data(as_text=True)
    )

    assert "Hör av dig till barnets mottagning om den inte har kommit." in page


def test_pharmacy_lines_get_no_day(client, auth, world):
    order = world.order(world.pods, at=datetime.now(UTC))

    page = order_page(client, auth, order)

    assert "Hos apoteket" in page
    assert "Väntas fram" not in page and "Skulle ha kommit fram" not in page


def test_the_day_skips_christmas_and_new_year(client, auth, world, app):
    before_christmas = datetime(2026, 12, 22, 8, 0, tzinfo=UTC)  # a Tuesday
    strips = make_article(
        "SET-2", name="Infusionsset", category="infusion_set", channel="central",
        pack_price_sek=Decimal("100.00"),
    )  # fmt: skip
    make_stock_lot(strips)
    order = world.order(strips, at=before_christmas)

    page = order_page(client, auth, order)

    # Five working days: 23, 28, 29, 30 December and 4 January. (Once that day
    # has passed the page says the line is late, by the same day.)
    assert f"senast {day_text(app, date(2027, 1, 4))}." in page
