"""One line of an order is cancelled on its own (the last stop's walkthrough):
an order whose first parcel had left could not be cancelled at all, so a line
backordered for weeks could only wait. Pages (staff and portal) and the API
alike, under the whole order's rules for that line."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from sesamlike.accounts.models import AuditEvent
from sesamlike.common.models import OutgoingMail
from sesamlike.extensions import db
from sesamlike.fulfilment import shipping
from sesamlike.orders import services as ordering
from sesamlike.orders.models import Order, OrderLine
from sesamlike.prescriptions.models import Prescription
from tests.factories import (
    make_article,
    make_clinic,
    make_depot_world,
    make_patient,
    make_prescription,
    make_user,
)
from tests.functional.test_api_basics import bearer


@pytest.fixture
def world():
    world = make_depot_world(clerk="lager")
    world.sets = make_article("INF-7", name="Infusionsset X")
    world.reservoirs = make_article("RES-3", name="Reservoar Y", category="reservoir")
    shipping.receive_stock(world.clerk, "HMC", "INF-7", 5, lot="L0")
    world.patient = make_patient(world.clinic, first_name="Ella", last_name="Ek")
    make_user("patient", patients=[world.patient], username="ella")
    world.rx_sets = make_prescription(world.patient, world.sets, lock_days=0)
    world.rx_reservoirs = make_prescription(
        world.patient, world.reservoirs, lock_days=0
    )
    return world


def two_lines(world) -> Order:
    """Sets (in stock) and reservoirs (none: backordered) in one order."""
    order = ordering.place_order(
        world.prescriber, world.patient.id,
        [(world.rx_sets.id, 1), (world.rx_reservoirs.id, 1)], "home",
    ).order  # fmt: skip
    assert [line.status for line in order.lines] == ["reserved", "backordered"]
    return order


def words(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def status_of(line_id: int) -> str:
    return db.session.scalar(sa.select(OrderLine.status).where(OrderLine.id == line_id))


def test_the_prescriber_cancels_the_backordered_line_of_an_order_shipped_in_part(
    client, auth, world
):
    order = two_lines(world)
    sets, reservoirs = (line.id for line in order.lines)
    shipping.ship_order(world.clerk, order.id, line_ids=[sets])
    used = world.rx_reservoirs.withdrawals_used
    auth.login(world.prescriber.username)
    page = words(client.get(f"/orders/{order.id}").text)
    assert "hela beställningen kan inte makuleras" in page
    assert "Makulera 1 × Reservoar Y" in page
    assert "Makulera 1 × Infusionsset X" not in page  # shipped

    done = client.post(f"/orders/{order.id}/lines/{reservoirs}/cancel",
                       follow_redirects=True)  # fmt: skip

    assert "Raden 1 × Reservoar Y är makulerad." in words(done.text)
    assert (status_of(sets), status_of(reservoirs)) == ("shipped", "cancelled")
    rx = db.session.get(Prescription, world.rx_reservoirs.id, populate_existing=True)
    assert rx.withdrawals_used == used - 1  # given back
    assert db.session.get(Order, order.id).cancelled_at is None  # the parcel goes on
    [event] = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.object_type == "order_line")
    )
    assert (event.action, event.object_id, event.patient_id) == (
        "cancel", str(reservoirs), world.patient.id,
    )  # fmt: skip
    again = client.post(f"/orders/{order.id}/lines/{reservoirs}/cancel")
    assert again.status_code == 409  # already cancelled: said, nothing written


def test_the_last_open_line_cancelled_cancels_the_order(client, world):
    order = two_lines(world)
    for line in order.lines:
        answer = client.post(
            f"/api/v1/orders/{order.id}/lines/{line.id}/cancel",
            headers=bearer(world.prescriber),
        )
        assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert [line["status"] for line in body["lines"]] == ["cancelled", "cancelled"]
    assert body["cancelled_at"] is not None
    assert db.session.get(Order, order.id).status == "cancelled"


def test_a_shipped_line_and_another_patients_order_are_refused(client, world):
    order = two_lines(world)
    sets = order.lines[0].id
    shipping.ship_order(world.clerk, order.id, line_ids=[sets])
    shipped = client.post(
        f"/api/v1/orders/{order.id}/lines/{sets}/cancel",
        headers=bearer(world.prescriber),
    )
    assert shipped.status_code == 409
    assert status_of(sets) == "shipped"
    elsewhere = make_user("prescriber", clinics=[make_clinic("OST")])
    stranger = make_user("patient", patients=[make_patient(world.clinic)])
    for user in (elsewhere, stranger):
        refused = client.post(
            f"/api/v1/orders/{order.id}/lines/{order.lines[1].id}/cancel",
            headers=bearer(user),
        )
        assert refused.status_code == 404, user.role
    assert status_of(order.lines[1].id) == "backordered"


def test_the_patient_cancels_a_waiting_line_in_the_portal(client, auth, world):
    order = two_lines(world)
    sets, reservoirs = (line.id for line in order.lines)
    shipping.ship_order(world.clerk, order.id, line_ids=[sets])
    auth.login("ella")
    page = words(client.get(f"/portal/orders/{order.id}").text)
    assert "Makulera Reservoar Y" in page and "Makulera Infusionsset X" not in page
    done = client.post(f"/portal/orders/{order.id}/lines/{reservoirs}/cancel",
                       follow_redirects=True)  # fmt: skip
    assert "Reservoar Y är makulerad." in words(done.text)
    assert status_of(reservoirs) == "cancelled"
    log = words(client.get("/portal/access-log?show=all").text)  # own acts too
    assert "Makulerade en rad i en beställning" in log


def test_the_portals_order_list_says_each_lines_status_when_they_differ(
    client, auth, world
):
    """The order's status is its least advanced line's: "Restnoterad" over an
    order whose other line's parcel was on its way, and after a line was
    cancelled nothing in the list said which."""
    order = two_lines(world)
    sets, reservoirs = (line.id for line in order.lines)
    shipping.ship_order(world.clerk, order.id, line_ids=[sets])
    auth.login("ella")
    listed = words(client.get("/portal/orders").text)
    assert "1 förp. Infusionsset X · Skickad" in listed
    assert "1 förp. Reservoar Y · Restnoterad" in listed
    # The order as a whole: neither "Restnoterad" nor "Skickad".
    assert "Delvis skickad En del av beställningen är skickad." in listed
    page = words(client.get(f"/portal/orders/{order.id}").text)
    assert "Status Delvis skickad" in page
    client.post(f"/portal/orders/{order.id}/lines/{reservoirs}/cancel")
    listed = words(client.get("/portal/").text)
    assert "1 förp. Reservoar Y · Makulerad" in listed


def test_a_parcel_says_what_waits_for_stock_apart_from_what_is_left_to_ship(
    client, auth, world
):
    """The browser check: "1 rad är kvar att skicka" counted a backordered
    line, which no clerk can ship before the goods come in."""
    order = two_lines(world)
    sets = order.lines[0].id
    auth.login("lager")
    client.post(f"/stock/orders/{order.id}/pick")
    page = client.post(
        f"/stock/orders/{order.id}/pack",
        data={"line": str(sets), "tracking_ref": "RR1SE"},
        follow_redirects=True,
    ).text
    assert (
        f"Ett paket i beställning {order.id} är skickat. 1 rad väntar på varor."
        in words(page)
    )


def cancel_mails(patient_id: int) -> list:
    return list(
        db.session.scalars(
            sa.select(OutgoingMail)
            .where(OutgoingMail.kind == "order_cancelled",
                   OutgoingMail.patient_id == patient_id)
            .order_by(OutgoingMail.id)
        )
    )  # fmt: skip


def test_the_patient_is_mailed_what_the_clinic_cancelled_and_what_still_comes(
    client, auth, world
):
    """The portal walkthrough: a prescriber's cancellation reached the patient
    by no word at all; the reservoirs were waited for at the door. The mail
    says what will not come, that the clinic did it, and what still comes."""
    world.patient.email = "ella@example.se"
    db.session.commit()
    order = two_lines(world)
    sets, reservoirs = (line.id for line in order.lines)
    shipping.ship_order(world.clerk, order.id, line_ids=[sets])
    auth.login(world.prescriber.username)
    client.post(f"/orders/{order.id}/lines/{reservoirs}/cancel")

    [mail] = cancel_mails(world.patient.id)
    assert mail.to_address == "ella@example.se"
    assert mail.subject == f"En del av beställning {order.id} är makulerad"
    assert (
        f"Det här i beställning {order.id} är makulerat och skickas inte:\n"
        "- 1 förp. Reservoar Y\n\n"
        "Mottagningen har makulerat det. Kontakta mottagningen om du har frågor."
    ) in mail.body
    assert "Resten av beställningen kommer som vanligt:\n- 1 förp. Infusionsset X" in (
        mail.body
    )
    assert f"/portal/orders/{order.id}" in mail.body
    assert "Ek" not in mail.body  # no surname, as every notice
    client.post(f"/orders/{order.id}/lines/{reservoirs}/cancel")  # refused: 409
    assert len(cancel_mails(world.patient.id)) == 1


def test_a_whole_order_cancelled_in_the_portal_is_confirmed_by_mail(
    client, auth, world
):
    world.patient.email = "ella@example.se"
    db.session.commit()
    order = two_lines(world)
    auth.login("ella")
    assert client.post(f"/portal/orders/{order.id}/cancel").status_code == 302

    [mail] = cancel_mails(world.patient.id)
    assert mail.subject == f"Beställning {order.id} är makulerad"
    assert (
        f"Beställning {order.id} är makulerad och skickas inte:\n"
        "- 1 förp. Infusionsset X\n- 1 förp. Reservoar Y\n\n"
        "Det makulerades i e-tjänsten. Uttagen är återförda till förskrivningarna, "
        "så att de kan beställas igen."
    ) in mail.body
    assert "Resten av beställningen" not in mail.body
    log = words(client.get("/portal/access-log?show=all").text)
    assert "Skickade ett meddelande till dig" in log
