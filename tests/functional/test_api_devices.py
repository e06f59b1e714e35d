"""POST /devices/{serial_no}/return and /replace, GET /followup/cost-centres."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
import sqlalchemy as sa

from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.orders.models import OrderLine
from sesamlike.stock.models import Device
from tests.factories import (
    make_depot_world,
    make_pump,
    make_system,
    make_user,
    place_order_for,
)
from tests.functional.test_api_basics import assert_error_format, bearer

# The region's day: the follow-up counts a device's days by the Swedish
# calendar (between 23:00 and 24:00 UTC in winter the machine's date is a day behind).
TODAY = region_today()
LENT_ON = TODAY - timedelta(days=400)


@pytest.fixture
def lent(client):
    """A pump delivered 400 days ago (serial PX-1), a spare (PX-2) in stock."""
    world = make_depot_world()
    pump = make_pump("PUMP-1", systems=[make_system("MiniMed 640G")],
                     pack_price_sek=Decimal("30000.00"))  # fmt: skip
    headers = bearer(world.clerk)
    answer = client.post("/api/v1/stock/receipts", headers=headers, json={
        "depot_code": "HMC", "article_no": "PUMP-1", "packs": 2,
        "serials": ["PX-1", "PX-2"]})  # fmt: skip
    assert answer.status_code == 201, answer.get_json()
    order = place_order_for(world.prescriber, pump, mode="clinic")
    line_id = order.lines[0].id
    shipped = client.post(f"/api/v1/orders/{order.id}/ship", headers=headers,
                          json={"serials": {str(line_id): ["PX-1"]}})  # fmt: skip
    assert shipped.status_code == 200
    delivered = client.post(f"/api/v1/orders/{order.id}/deliver", headers=headers,
                            json={"delivered_on": LENT_ON.isoformat()})  # fmt: skip
    assert delivered.status_code == 200
    world.order, world.line_id, world.pump = order, line_id, pump
    return world


def test_a_warranty_swap_lends_the_new_device_with_the_old_warranty_end(client, lent):
    old = db.session.scalar(sa.select(Device).where(Device.serial_no == "PX-1"))
    warranty_end = old.warranty_end
    swapped_on = TODAY - timedelta(days=10)

    response = client.post("/api/v1/devices/PX-1/replace", headers=bearer(lent.clerk),
                           json={"new_serial_no": "PX-2",
                                 "replaced_on": swapped_on.isoformat()})  # fmt: skip

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["serial_no"] == "PX-2"
    assert body["article_no"] == "PUMP-1"
    assert body["patient_id"] == lent.order.patient_id
    assert body["status"] == "on_loan"
    assert body["warranty_end"] == warranty_end.isoformat()
    db.session.expire_all()
    old = db.session.scalar(sa.select(Device).where(Device.serial_no == "PX-1"))
    assert (old.status, old.returned_on) == ("quarantine", swapped_on)
    first = db.session.get(OrderLine, lent.line_id)
    assert (first.status, first.returned_on) == ("returned", swapped_on)
    new = db.session.scalar(
        sa.select(OrderLine).where(OrderLine.replaces_line_id == first.id)
    )
    assert (new.status, new.delivered_on, new.pack_price_sek) == (
        "delivered", swapped_on, Decimal("0"))  # fmt: skip
    assert new.amortised_line_id == first.id


def test_a_swap_after_the_warranty_or_of_a_serial_not_in_stock_is_refused(client, lent):
    headers = bearer(lent.clerk)
    response = client.post("/api/v1/devices/PX-1/replace", headers=headers,
                           json={"new_serial_no": "PX-9",
                                 "replaced_on": TODAY.isoformat()})  # fmt: skip
    assert_error_format(response, 409, "serial_not_in_stock")
    db.session.execute(sa.update(Device).where(Device.serial_no == "PX-1")
                       .values(warranty_end=TODAY - timedelta(days=1)))  # fmt: skip
    db.session.commit()
    response = client.post("/api/v1/devices/PX-1/replace", headers=headers,
                           json={"new_serial_no": "PX-2",
                                 "replaced_on": TODAY.isoformat()})  # fmt: skip
    assert_error_format(response, 409, "not_under_warranty")
    response = client.post("/api/v1/devices/NOPE/replace", headers=headers,
                           json={"new_serial_no": "PX-2",
                                 "replaced_on": TODAY.isoformat()})  # fmt: skip
    assert response.status_code == 404


def test_a_returned_device_goes_to_quarantine_and_its_days_end(client, lent):
    response = client.post("/api/v1/devices/PX-1/return", headers=bearer(lent.clerk),
                           json={"returned_on": TODAY.isoformat()})  # fmt: skip

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["serial_no"], body["status"], body["article_no"]) == (
        "PX-1", "quarantine", "PUMP-1")  # fmt: skip
    assert body["patient_id"] == lent.order.patient_id
    line = db.session.get(OrderLine, lent.line_id)
    assert (line.status, line.returned_on) == ("returned", TODAY)
    again = client.post("/api/v1/devices/PX-1/return", headers=bearer(lent.clerk),
                        json={"returned_on": TODAY.isoformat()})  # fmt: skip
    assert again.status_code == 404


def test_after_midnight_in_sweden_a_return_dated_today_is_not_in_the_future(
    client, lent, monkeypatch
):
    """The services' "today" is the region's day, as the follow-up's is. On a
    server keeping UTC the machine's date lags Swedish time by one or two hours
    after midnight: a clerk's return dated today was refused as in the future,
    and a parent's reorder met yesterday's time lock."""
    import sesamlike.common.time as region_time

    utc_day = datetime.now(UTC).date()
    half_past_midnight = datetime.combine(utc_day, time(23, 30), tzinfo=UTC)

    class AtNight(datetime):
        @classmethod
        def now(cls, tz=None):
            return half_past_midnight.astimezone(tz) if tz else half_past_midnight

    monkeypatch.setattr(region_time, "datetime", AtNight)
    swedish_day = utc_day + timedelta(days=1)
    assert region_time.region_today() == swedish_day

    response = client.post("/api/v1/devices/PX-1/return", headers=bearer(lent.clerk),
                           json={"returned_on": swedish_day.isoformat()})  # fmt: skip

    assert response.status_code == 200, response.get_json()
    line = db.session.get(OrderLine, lent.line_id)
    assert (line.status, line.returned_on) == ("returned", swedish_day)


def test_cost_centres_sum_what_each_cost_centre_paid(client, lent):
    from sesamlike.followup.runs import run_year

    run_year(TODAY.year, full=True)
    analyst = make_user("region")
    response = client.get(f"/api/v1/followup/cost-centres?year={TODAY.year}",
                          headers=bearer(analyst))  # fmt: skip
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    clinic = lent.clinic
    (row,) = body["cost_centres"]
    assert (row["cost_centre"], row["clinic_code"], row["patients"]) == (
        clinic.cost_centre, clinic.code, 1)  # fmt: skip
    # The pump's days this year, today counted: at 30,000 SEK over 4 years.
    days = min((TODAY - date(TODAY.year, 1, 1)).days + 1,
               (TODAY - LENT_ON).days + 1)  # fmt: skip
    expected = (Decimal(30000) * days / 1460).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert Decimal(str(row["device_cost_sek"])) == expected
    assert row["vat_sek"] == 0
    assert row["total_cost_sek"] == row["device_cost_sek"]
    other = client.get(f"/api/v1/followup/cost-centres?year={TODAY.year}"
                       "&clinic_code=NOPE", headers=bearer(analyst))  # fmt: skip
    assert other.status_code == 404


def test_packs_returned_through_the_api_come_off_the_cost_the_scrapped_still_cost(
    client,
):
    from sesamlike.followup.models import PatientYearCost
    from sesamlike.followup.runs import run_year
    from sesamlike.fulfilment import shipping
    from tests.factories import make_article

    world = make_depot_world()
    article = make_article("INF-1", pack_price_sek=Decimal("900.00"))
    shipping.receive_stock(world.clerk, "HMC", "INF-1", 5, lot="L1")
    order = place_order_for(world.prescriber, article, 5)
    shipping.ship_order(world.clerk, order.id)
    shipping.deliver_order(world.clerk, order.id, TODAY)
    line_id = order.lines[0].id
    run_year(TODAY.year, full=True)
    for packs, restock in ((2, True), (1, False)):
        answer = client.post(
            f"/api/v1/orders/{order.id}/lines/{line_id}/return",
            headers=bearer(world.clerk),
            json={"packs": packs, "returned_on": TODAY.isoformat(), "restock": restock},
        )
        assert answer.status_code == 200, answer.get_json()

    run_year(TODAY.year)  # the nightly run sees the returned line

    cost = db.session.scalar(
        sa.select(PatientYearCost.consumables_cost_sek).where(
            PatientYearCost.patient_id == order.patient_id,
            PatientYearCost.year == TODAY.year,
        )
    )
    # 5 packs less the 2 restocked: the scrapped pack still costs.
    assert cost == Decimal("2700.00")
