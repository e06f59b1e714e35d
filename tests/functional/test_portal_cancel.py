"""Cancelling (makulera) an order in the portal: what may be cancelled, by whom."""

from __future__ import annotations

import html

import pytest
import sqlalchemy as sa

from sesamlike.channels.models import PharmacyPrescription
from sesamlike.channels.pharmacy import issue_pharmacy_prescriptions
from sesamlike.extensions import db
from sesamlike.orders.models import Order
from tests.factories import make_prescription, make_user
from tests.functional.test_api_basics import assert_error_format, bearer
from tests.portal_data import make_region, reorder_form


@pytest.fixture
def region():
    return make_region()


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def ordered_sensors(client, auth, region) -> Order:
    """Ella orders her pharmacy sensors in the portal (Granska, Skicka)."""
    auth.login("ella")
    form = reorder_form(
        [(region.rx_sensor.id, 3)], action="send", mode="pharmacy", street=""
    )
    assert client.post("/portal/order", data=form).status_code == 302
    return db.session.scalars(
        sa.select(Order).where(Order.patient_id == region.patient.id)
    ).one()


def e_recept_statuses(region) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(PharmacyPrescription.status)
            .where(PharmacyPrescription.patient_id == region.patient.id)
            .order_by(PharmacyPrescription.id)
        )
    )


AT_PHARMACY = (
    "E-receptet för Dexcom G7 sensor finns redan hos apoteket, så beställningen "
    "kan inte makuleras här."
)


def test_an_order_whose_e_recept_is_at_the_pharmacy_is_not_cancelled_by_the_patient(
    client, auth, region
):
    """The walkthrough: cancelling after `pharmacy_prescriptions` had issued the
    e-recept gave the withdrawal back and left the e-recept open at the
    pharmacy; a reorder made a second one (one withdrawal collected twice)."""
    order = ordered_sensors(client, auth, region)
    issue_pharmacy_prescriptions()

    page = text_of(client.get(f"/portal/orders/{order.id}"))
    assert "Makulera beställningen" not in page
    assert AT_PHARMACY in page and "kontakta mottagningen" in page

    response = client.post(f"/portal/orders/{order.id}/cancel", follow_redirects=True)
    assert AT_PHARMACY in text_of(response)
    assert "Beställningen är makulerad." not in text_of(response)
    db.session.expire_all()
    assert order.status == "sent_to_pharmacy"
    assert region.rx_sensor.withdrawals_used == 1  # not given back
    assert e_recept_statuses(region) == ["open"]


def test_a_guardian_is_told_to_ask_the_childs_clinic(client, auth, region):
    rx = make_prescription(region.child, region.sensor, packs_per_withdrawal=3)
    auth.login("anna")
    client.post("/portal/choose", data={"patient_id": region.child.id})
    form = reorder_form([(rx.id, 3)], action="send", mode="pharmacy", street="")
    order_page = client.post("/portal/order", data=form).headers["Location"]
    issue_pharmacy_prescriptions()

    page = text_of(client.get(order_page))
    assert "Makulera beställningen" not in page
    assert AT_PHARMACY in page and "kontakta barnets mottagning" in page
    cancel = order_page + "/cancel"
    assert AT_PHARMACY in text_of(client.post(cancel, follow_redirects=True))
    db.session.expire_all()
    assert rx.withdrawals_used == 1


def test_the_api_refuses_the_patient_alike_and_says_the_order_is_not_cancellable(
    client, auth, region
):
    order = ordered_sensors(client, auth, region)
    issue_pharmacy_prescriptions()
    headers = bearer(region.patient_user)

    read = client.get(f"/api/v1/orders/{order.id}", headers=headers)
    assert read.get_json()["cancellable"] is False
    response = client.post(f"/api/v1/orders/{order.id}/cancel", headers=headers)
    assert_error_format(response, 409, "e_recept_at_pharmacy")
    db.session.expire_all()
    assert region.rx_sensor.withdrawals_used == 1
    assert e_recept_statuses(region) == ["open"]


def test_before_its_e_recept_is_issued_the_patient_may_cancel_and_none_is_issued(
    client, auth, region
):
    order = ordered_sensors(client, auth, region)
    page = text_of(client.get(f"/portal/orders/{order.id}"))
    assert "Makulera beställningen" in page and AT_PHARMACY not in page
    assert client.post(f"/portal/orders/{order.id}/cancel").status_code == 302
    db.session.expire_all()
    assert order.status == "cancelled" and region.rx_sensor.withdrawals_used == 0
    assert issue_pharmacy_prescriptions() == 0
    assert e_recept_statuses(region) == []


def test_the_prescriber_who_cancels_it_withdraws_the_e_recept_too(client, auth, region):
    order = ordered_sensors(client, auth, region)
    issue_pharmacy_prescriptions()
    auth.logout()
    make_user("prescriber", clinics=[region.clinic], username="doktor")
    make_user("depot", username="lager")
    auth.login("doktor")
    detail = text_of(client.get(f"/orders/{order.id}"))
    assert "E-receptet hos apoteket makuleras också." in detail

    response = client.post(f"/orders/{order.id}/cancel")
    assert response.status_code == 302
    db.session.expire_all()
    assert order.status == "cancelled" and region.rx_sensor.withdrawals_used == 0
    assert e_recept_statuses(region) == ["cancelled"]
    auth.logout()
    auth.login("lager")
    pharmacy = text_of(client.get("/channels/pharmacy"))
    assert "Öppna e-recept (0)" in pharmacy


def test_a_guardian_cancels_a_childs_order_after_choosing_another_in_another_tab(
    client, auth, region
):
    """The walkthrough: Olle's order open in one tab, Alma chosen in another,
    then "Ja, makulera" in the first answered 404 "Sidan finns inte"."""
    from tests.functional.test_portal import second_child

    alma = second_child(region)
    auth.login("anna")
    client.post("/portal/choose", data={"patient_id": region.child.id})
    form = reorder_form([(region.rx_child.id, 1)], action="send")
    order_page = client.post("/portal/order", data=form).headers["Location"]
    assert "Makulera beställningen" in text_of(client.get(order_page))
    client.post("/portal/choose", data={"patient_id": alma.id})  # the other tab

    response = client.post(order_page + "/cancel")
    assert response.status_code == 302
    page = text_of(client.get(response.headers["Location"]))
    assert "Beställningen är makulerad." in page
    assert "Du gör ärenden för Olle Ek." in page  # the order's child, said
    db.session.expire_all()
    [order] = db.session.scalars(
        sa.select(Order).where(Order.patient_id == region.child.id)
    ).all()
    assert order.status == "cancelled" and region.rx_child.withdrawals_used == 0


def test_a_guardian_still_cannot_cancel_an_order_of_another_family(
    client, auth, region
):
    from tests.factories import make_order
    from tests.functional.test_portal import second_child

    alma = second_child(region)
    others = make_order(region.other, [(region.rx_other, 1, "reserved", None)])
    sara_rx = make_prescription(region.protected_child, region.infusion)
    saras = make_order(region.protected_child, [(sara_rx, 1, "reserved", None)])
    auth.login("anna")
    client.post("/portal/choose", data={"patient_id": alma.id})
    for order in (others, saras):
        assert client.post(f"/portal/orders/{order.id}/cancel").status_code == 404
    db.session.expire_all()
    assert others.status == "reserved" and saras.status == "reserved"
    assert "Du gör ärenden för Alma Ek." in text_of(client.get("/portal/"))


def test_an_order_gone_out_in_part_says_the_rest_waits_at_the_pharmacy(
    client, auth, region
):
    """The walkthrough (order 2032): the reservoirs delivered, the sensors an
    e-recept at the pharmacy, and the page said "Resten skickas när det är
    klart" (they are collected at a pharmacy) and nothing of cancelling the
    e-recept: the order as a whole was past cancelling, so no word showed."""
    auth.login("ella")
    lines = [(region.rx_sensor.id, 3), (region.rx_reservoir.id, 2)]
    form = reorder_form(lines, action="send", mode="home")
    assert client.post("/portal/order", data=form).status_code == 302
    order = db.session.scalars(
        sa.select(Order).where(Order.patient_id == region.patient.id)
    ).one()
    issue_pharmacy_prescriptions()
    [central] = [line for line in order.lines if line.channel == "central"]
    central.status, central.delivered_on = "delivered", order.placed_at.date()
    db.session.commit()

    page = " ".join(text_of(client.get(f"/portal/orders/{order.id}")).split())
    assert "Resten skickas när det är klart" not in page
    assert "Resten finns hos apoteket som e-recept och hämtas ut på apotek" in page
    assert AT_PHARMACY in page and "kontakta mottagningen" in page
    assert "Makulera beställningen" not in page
