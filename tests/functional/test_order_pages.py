"""The prescriber's order pages: new order, confirmation, detail, history, cancel."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from sesamlike.accounts.models import AuditEvent
from sesamlike.common.formatting import format_date
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.orders.models import Order, OrderLine
from sesamlike.stock.models import Reservation
from tests.conftest import csrf_token_from
from tests.factories import (
    make_article,
    make_clinic,
    make_patient,
    make_prescribed,
    make_prescription,
    make_user,
)

TODAY = region_today()


@pytest.fixture
def setup(auth):
    clinic = make_clinic(
        "OWN",
        name="Mottagning Öst",
        street="Östra vägen 3",
        postal_code="41666",
        city="Göteborg",
    )
    world = make_prescribed(
        clinic,
        make_article("INF-1", name="Quick-set 9 mm"),
        prescriber=make_user("prescriber", clinics=[clinic], username="doktor"),
        patient=make_patient(clinic, first_name="Ella", last_name="Ek"),
        packs_per_withdrawal=3,
    )
    auth.login("doktor")
    return world.prescriber, world.patient, world.rx


def form_data(page_html: str, **extra) -> dict:
    """The fields the new-order page renders, as a browser would post them."""
    data = {}
    for name, value in re.findall(
        r'name="(lines-\d+-prescription_id)"[^>]*value="(\d+)"', page_html
    ):
        data[name] = value
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', page_html)
    data["idempotency_key"] = key.group(1)
    data.update(extra)
    return data


def new_order_page(client, patient):
    response = client.get(f"/patients/{patient.id}/orders/new")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_new_order_page_lists_prescriptions_with_defaults(client, setup):
    _, patient, rx = setup
    html = new_order_page(client, patient)
    assert "Quick-set 9 mm" in html
    assert re.search(r'name="lines-0-packs"[^>]*value="3"', html)
    assert "Antal förpackningar (högst 3)" in html
    assert re.search(r'value="home"[^>]*checked|checked[^>]*value="home"', html)
    assert "Östra" not in html and "Storgatan" in html  # the patient's address
    assert 'name="idempotency_key"' in html


def test_ordering_redirects_to_the_confirmation_in_swedish(client, setup):
    _, patient, rx = setup
    html = new_order_page(client, patient)
    response = client.post(
        f"/patients/{patient.id}/orders/new",
        data=form_data(
            html,
            **{
                "lines-0-selected": "y",
                "lines-0-packs": "2",
                "delivery_mode": "clinic",
            },
        ),
    )
    assert response.status_code == 302
    order = db.session.scalar(sa.select(Order))
    assert response.location.endswith(f"/orders/{order.id}/confirmation")
    page = client.get(response.location).get_data(as_text=True)
    assert "Beställningen är mottagen" in page
    assert f"Beställningsnummer {order.id}" in page
    assert "Beställd, packas" in page and "Hjälpmedelscentral" in page
    assert "Till mottagningen" in page and "Östra vägen 3" in page
    assert "416 66 Göteborg" in page  # as the patient's page writes it
    db.session.refresh(rx)
    assert rx.withdrawals_used == 1


def test_a_pickup_order_needs_the_patients_mobile_number(client, setup):
    """The walkthrough: "Till ombud" for a patient registered without a phone
    was accepted, and the parcel waited with no text message."""
    _, patient, rx = setup
    assert patient.phone is None
    html = new_order_page(client, patient)
    data = form_data(
        html, **{"lines-0-selected": "y", "lines-0-packs": "1"}, delivery_mode="pickup"
    )
    response = client.post(f"/patients/{patient.id}/orders/new", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    message = (
        "Ett paket till ett utlämningsställe (ombud) behöver ett mobilnummer: ett "
        "sms säger när det kan hämtas. Ange ett mobilnummer, eller välj ett annat "
        "leveranssätt."
    )
    assert re.search(
        r'name="delivery_mode".*<p class="error">' + re.escape(message), page, re.S
    )
    assert db.session.scalar(sa.select(sa.func.count(Order.id))) == 0

    patient.phone = "070-123 45 67"
    db.session.commit()
    response = client.post(f"/patients/{patient.id}/orders/new", data=data)
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "Leveransadress" not in page
    assert "Utlämningsställe" in page and "Ett ombud nära" in page
    assert "Storgatan" in page  # the nearest pickup point is found by it
    assert "Sms till 070-123 45 67 när paketet kan hämtas." in page


def test_double_submit_with_the_same_key_gives_one_order(client, setup):
    _, patient, rx = setup
    rx.lock_days = 0
    db.session.commit()
    data = form_data(
        new_order_page(client, patient),
        **{"lines-0-selected": "y", "lines-0-packs": "1", "delivery_mode": "home"},
    )
    first = client.post(f"/patients/{patient.id}/orders/new", data=data)
    second = client.post(f"/patients/{patient.id}/orders/new", data=data)
    assert first.location == second.location
    assert db.session.scalar(sa.select(sa.func.count(Order.id))) == 1
    assert "redan skickad" in client.get(second.location).get_data(as_text=True)


def order_one_line(client, patient, packs: str):
    """The new-order form sent with its first line ticked, `packs` as typed."""
    return client.post(
        f"/patients/{patient.id}/orders/new",
        data=form_data(
            new_order_page(client, patient),
            **{
                "lines-0-selected": "y",
                "lines-0-packs": packs,
                "delivery_mode": "home",
            },
        ),
    )


def test_too_many_packs_is_shown_at_the_line_and_nothing_is_written(client, setup):
    _, patient, _ = setup
    response = order_one_line(client, patient, "4")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Högst 3 förpackningar per uttag av Quick-set 9 mm. Minska antalet." in html
    assert 'id="lines-0-packs-error"' in html
    assert db.session.scalar(sa.select(sa.func.count(OrderLine.id))) == 0


def test_nothing_chosen_asks_for_a_line(client, setup):
    _, patient, _ = setup
    response = client.post(
        f"/patients/{patient.id}/orders/new",
        data=form_data(new_order_page(client, patient), delivery_mode="home"),
    )
    assert response.status_code == 422
    assert "Välj minst en förskrivning att beställa från." in response.get_data(
        as_text=True
    )


def test_time_locked_prescription_is_disabled_with_its_opening_date(client, setup):
    _, patient, rx = setup
    rx.withdrawals_used, rx.last_withdrawal_on = 1, TODAY - timedelta(days=10)
    db.session.commit()
    html = new_order_page(client, patient)
    opens = TODAY + timedelta(days=50)
    assert f"Nästa uttag är möjligt från {format_date(opens)}." in html
    assert re.search(rf'id="rx-{rx.id}-off" disabled', html)
    assert 'name="lines-0-selected"' not in html


def test_a_withdrawal_that_became_time_locked_meanwhile_is_refused_with_the_date(
    client, setup
):
    _, patient, rx = setup
    html = new_order_page(client, patient)
    rx.withdrawals_used, rx.last_withdrawal_on = 1, TODAY
    db.session.commit()
    response = client.post(
        f"/patients/{patient.id}/orders/new",
        data=form_data(
            html,
            **{"lines-0-selected": "y", "lines-0-packs": "1", "delivery_mode": "home"},
        ),
    )
    assert response.status_code == 409
    opens = TODAY + timedelta(days=60)
    months = [
        "januari",
        "februari",
        "mars",
        "april",
        "maj",
        "juni",
        "juli",
        "augusti",
        "september",
        "oktober",
        "november",
        "december",
    ]
    swedish = f"{opens.day} {months[opens.month - 1]} {opens.year}"
    assert f"Nästa uttag är möjligt från {swedish}." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Order.id))) == 0


def test_used_up_prescription_is_disabled_with_the_reason(client, setup):
    _, patient, rx = setup
    rx.withdrawals_used = rx.withdrawals
    db.session.commit()
    html = new_order_page(client, patient)
    assert (
        "Alla uttag på förskrivningen är gjorda. Be förskrivaren om en förnyelse."
        in html
    )


def test_pharmacy_mode_for_central_articles_is_refused_in_words(client, setup):
    _, patient, _ = setup
    sensor = make_article(name="Sensor", channel="pharmacy")
    make_prescription(patient, sensor)
    html = new_order_page(client, patient)
    assert 'value="pharmacy"' in html  # offered: one line is a pharmacy article
    response = client.post(
        f"/patients/{patient.id}/orders/new",
        data=form_data(
            html,
            **{
                "lines-0-selected": "y",
                "lines-0-packs": "1",
                "delivery_mode": "pharmacy",
            },
        ),
    )
    assert response.status_code == 422
    assert (
        "Välj ett av: hem med post, till mottagningen, till ombud"
        in response.get_data(as_text=True)
    )


def test_protected_identity_offers_only_clinic_and_hides_the_address(client, setup):
    _, patient, _ = setup
    patient.protected_identity = True
    db.session.commit()
    html = new_order_page(client, patient)
    assert "Storgatan" not in html
    assert 'value="clinic"' in html and 'value="home"' not in html
    assert "skyddade personuppgifter" in html


def test_first_pump_defaults_to_clinic_delivery_on_the_page(client, setup):
    _, patient, _ = setup
    make_prescription(patient, make_article(category="pump", channel="supplier"))
    html = new_order_page(client, patient)
    assert re.search(r'checked[^>]*value="clinic"|value="clinic"[^>]*checked', html)
    assert "Första pump eller CGM-läsare levereras till mottagningen" in html


def test_another_clinics_patient_is_404_on_every_page(client, setup, auth):
    _, patient, rx = setup
    client.post(
        f"/patients/{patient.id}/orders/new",
        data=form_data(
            new_order_page(client, patient),
            **{"lines-0-selected": "y", "lines-0-packs": "1", "delivery_mode": "home"},
        ),
    )
    order_id = db.session.scalar(sa.select(Order.id))
    make_user("prescriber", clinics=[make_clinic()], username="annan")
    auth.logout()
    auth.login("annan")
    for path in (
        f"/patients/{patient.id}/orders/new",
        f"/patients/{patient.id}/orders",
        f"/orders/{order_id}",
        f"/orders/{order_id}/confirmation",
    ):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/orders/{order_id}/cancel").status_code == 404


def test_manager_may_read_orders_but_not_place_them(client, setup, auth):
    _, patient, _ = setup
    manager = make_user(
        "manager",
        clinics=[
            db.session.get(type(patient), patient.id).care_relationships[0].clinic
        ],
        username="chef",
    )
    assert manager.role == "manager"
    auth.logout()
    auth.login("chef")
    assert client.get(f"/patients/{patient.id}/orders/new").status_code == 403
    html = client.get(f"/patients/{patient.id}/orders").get_data(as_text=True)
    assert "Ny beställning" not in html


def test_history_lists_orders_and_cancel_then_cancel_again(client, setup):
    _, patient, rx = setup
    client.post(
        f"/patients/{patient.id}/orders/new",
        data=form_data(
            new_order_page(client, patient),
            **{"lines-0-selected": "y", "lines-0-packs": "2", "delivery_mode": "home"},
        ),
    )
    order_id = db.session.scalar(sa.select(Order.id))
    history = client.get(f"/patients/{patient.id}/orders").get_data(as_text=True)
    assert f'href="/orders/{order_id}"' in history and "2 × Quick-set 9 mm" in history
    detail = client.get(f"/orders/{order_id}").get_data(as_text=True)
    assert "Makulera beställningen" in detail
    cancelled = client.post(f"/orders/{order_id}/cancel", follow_redirects=True)
    page = cancelled.get_data(as_text=True)
    assert "Beställningen är makulerad." in page and "Makulerad" in page
    assert db.session.scalar(sa.select(Reservation.status)) == "released"
    db.session.refresh(rx)
    assert rx.withdrawals_used == 0
    again = client.post(f"/orders/{order_id}/cancel")
    assert again.status_code == 409
    assert "kan inte makuleras" in again.get_data(as_text=True)


def test_cancelling_an_order_already_cancelled_says_so(client, setup):
    """The walkthrough: a double submit (or a second tab) answered "den är
    redan skickad eller levererad" of an order that was only cancelled."""
    _, patient, rx = setup
    client.post(
        f"/patients/{patient.id}/orders/new",
        data=form_data(
            new_order_page(client, patient),
            **{"lines-0-selected": "y", "lines-0-packs": "1", "delivery_mode": "home"},
        ),
    )
    order_id = db.session.scalar(sa.select(Order.id))
    assert client.post(f"/orders/{order_id}/cancel").status_code == 302
    again = client.post(f"/orders/{order_id}/cancel", follow_redirects=True)
    page = again.get_data(as_text=True)
    assert (
        "Beställningen kan inte makuleras igen: den är redan makulerad. Inget har "
        "ändrats." in page
    )
    assert "skickad eller levererad" not in page


def test_order_pages_in_english(client, setup):
    _, patient, _ = setup
    client.post("/language", data={"locale": "en"})
    html = new_order_page(client, patient)
    assert "New order" in html and "Number of packs (at most 3)" in html
    assert "Home by post" in html and "Send the order" in html


def test_new_order_form_needs_its_csrf_token(client, setup, csrf_on):
    _, patient, _ = setup
    html = new_order_page(client, patient)
    data = form_data(
        html, **{"lines-0-selected": "y", "lines-0-packs": "1", "delivery_mode": "home"}
    )
    assert (
        client.post(f"/patients/{patient.id}/orders/new", data=data).status_code == 400
    )
    data["csrf_token"] = csrf_token_from(html)
    assert (
        client.post(f"/patients/{patient.id}/orders/new", data=data).status_code == 302
    )


def test_a_first_pump_sent_home_is_refused_without_words_of_pharmacy_articles(
    client, setup
):
    _, patient, _ = setup
    make_prescription(
        patient, make_article(category="pump", channel="supplier", name="Pumpen")
    )
    html = new_order_page(client, patient)
    pump_line = re.findall(r'name="(lines-\d+)-prescription_id"', html)[-1]
    data = form_data(
        html, **{f"{pump_line}-selected": "y", f"{pump_line}-packs": "1",
                 "delivery_mode": "home"},
    )  # fmt: skip
    page = client.post(f"/patients/{patient.id}/orders/new", data=data).text
    assert "Pumpen är patientens första pump eller CGM-avläsare" in page
    assert "apoteksartiklar" not in page


def test_a_first_pump_with_a_pharmacy_article_is_not_sent_in_a_loop(client, setup):
    """Home: "choose Till mottagningen (order pharmacy articles apart)"; then
    to the clinic: "Välj ett av: hem med post", the mode just refused. The
    second answer now names the line to take out."""
    _, patient, _ = setup
    make_prescription(
        patient, make_article(category="pump", channel="supplier", name="Pumpen")
    )
    make_prescription(patient, make_article(name="Sensorn", channel="pharmacy"))
    html = new_order_page(client, patient)
    lines = re.findall(r'name="(lines-\d+)-prescription_id"', html)[-2:]
    data = form_data(html, delivery_mode="clinic")
    for line in lines:
        data |= {f"{line}-selected": "y", f"{line}-packs": "1"}
    response = client.post(f"/patients/{patient.id}/orders/new", data=data)
    assert response.status_code == 422
    page = response.text
    assert "Välj ett av: hem med post" not in page
    assert (
        "Sensorn kan inte levereras till mottagningen, dit Pumpen ska. "
        "Beställ den i en egen beställning." in page
    )
    # Asked to go to a pickup point instead: the pump goes to the clinic all
    # the same, so the answer is the same, not "välj hem med post".
    data["delivery_mode"] = "pickup"
    page = client.post(f"/patients/{patient.id}/orders/new", data=data).text
    assert "Välj ett av: hem med post" not in page
    assert "Sensorn kan inte levereras till mottagningen, dit Pumpen ska." in page


def test_a_pharmacy_article_beside_others_is_named_when_the_mode_suits_not_it(
    client, setup
):
    _, patient, _ = setup
    make_prescription(patient, make_article(name="Sensorn", channel="pharmacy"))
    html = new_order_page(client, patient)
    lines = re.findall(r'name="(lines-\d+)-prescription_id"', html)
    data = form_data(html, delivery_mode="clinic")
    for line in lines:
        data |= {f"{line}-selected": "y", f"{line}-packs": "1"}
    page = client.post(f"/patients/{patient.id}/orders/new", data=data).text
    assert (
        "Sensorn kan inte levereras på det sättet. Beställ den i en egen beställning, "
        "eller välj ett av: hem med post." in page
    )


def test_a_refused_order_is_one_read_in_the_patients_access_log(client, setup):
    """The page's read waits for the refusal, which then needs no read of its own."""
    _, patient, rx = setup
    data = form_data(
        new_order_page(client, patient),
        **{"lines-0-selected": "y", "lines-0-packs": "1", "delivery_mode": "home"},
    )
    client.post(f"/patients/{patient.id}/orders/new", data=data)
    before = db.session.scalar(sa.select(sa.func.max(AuditEvent.id)))
    again = client.post(
        f"/patients/{patient.id}/orders/new", data=data | {"idempotency_key": "two"}
    )
    assert again.status_code == 409  # the time lock: the page tells its opening day
    assert "Nästa uttag är möjligt från" in again.text
    logged = db.session.execute(
        sa.select(AuditEvent.action, AuditEvent.object_type)
        .where(AuditEvent.patient_id == patient.id, AuditEvent.id > before)
        .order_by(AuditEvent.id)
    ).all()
    assert logged == [("read", "patient")]


def test_an_order_form_shown_again_with_its_errors_keeps_its_read(client, setup):
    _, patient, _ = setup
    response = client.post(f"/patients/{patient.id}/orders/new", data={})
    assert response.status_code == 422 and "Ella" in response.text
    assert db.session.execute(
        sa.select(AuditEvent.action).where(AuditEvent.patient_id == patient.id)
    ).scalars().all() == ["read"]


@pytest.mark.parametrize(
    ("packs", "message"),
    [("", "Ange antal förpackningar."), ("1,5", "Ange ett heltal.")],
)
def test_a_ticked_line_without_a_whole_number_of_packs_is_told_so_once(
    client, setup, packs, message
):
    _, patient, _ = setup
    response = order_one_line(client, patient, packs)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    error = re.search(r'id="lines-0-packs-error">([^<]*)<', html)
    assert error and error.group(1).strip() == message  # Swedish, and only it
    assert db.session.scalar(sa.select(sa.func.count(OrderLine.id))) == 0


def test_a_fault_on_a_line_is_shown_at_the_line_not_as_a_dump_above_the_list(
    client, setup
):
    _, patient, _ = setup
    response = order_one_line(client, patient, "0")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="lines-0-packs-error">Ange minst 1.' in html
    assert 'id="lines-error"' not in html and "packs&#39;" not in html


def test_every_refusal_of_an_order_is_shown_at_once_beside_its_line_or_mode(
    client, setup
):
    """Too many packs on one line, a time lock on another and a first pump
    sent home: all three told on the first submit, each where it belongs and
    in the list at the top (the page told one, the next after a resubmit)."""
    _, patient, _ = setup
    make_prescription(
        patient, make_article(category="pump", channel="supplier", name="Pumpen")
    )
    locked = make_prescription(patient, make_article(name="Reservoaren"))
    make_prescription(patient, make_article(name="Sensorn", channel="pharmacy"))
    html = new_order_page(client, patient)
    locked.withdrawals_used, locked.last_withdrawal_on = 1, TODAY  # meanwhile
    db.session.commit()
    lines = re.findall(r'name="(lines-\d+)-prescription_id"', html)
    data = form_data(html, delivery_mode="home")
    for line in lines:
        data |= {f"{line}-selected": "y", f"{line}-packs": "1"}
    data["lines-0-packs"] = "6"  # Quick-set 9 mm: at most 3
    response = client.post(f"/patients/{patient.id}/orders/new", data=data)
    assert response.status_code == 422
    page = response.text
    too_many = "Högst 3 förpackningar per uttag av Quick-set 9 mm. Minska antalet."
    opens = format_date(TODAY + timedelta(days=60))
    time_lock = f"Nästa uttag är möjligt från {opens}."
    first_pump = "Pumpen är patientens första pump eller CGM-avläsare"
    top, form = page.split('<form method="post" id="new-order"')
    for message in (too_many, time_lock, first_pump):
        assert message in top  # the list at the top
    packs_errors = dict(re.findall(r'id="(lines-\d+)-packs-error">([^<]*)<', form))
    assert list(packs_errors) == ["lines-0"] and too_many in packs_errors["lines-0"]
    # The line locked meanwhile can no longer be ticked: its reason says why.
    assert re.search(rf'id="rx-{locked.id}-reason">[^<]*{time_lock}', form)
    mode = form[form.index("<legend>Leveranssätt</legend>") :]
    assert first_pump in mode and too_many not in mode
    assert db.session.scalar(sa.select(sa.func.count(Order.id))) == 0


def test_a_form_with_faults_of_its_own_shows_the_lines_refusals_too(client, setup):
    _, patient, _ = setup
    make_prescription(patient, make_article(name="Reservoaren"))
    html = new_order_page(client, patient)
    lines = re.findall(r'name="(lines-\d+)-prescription_id"', html)
    data = form_data(html, delivery_mode="home")
    for line in lines:
        data |= {f"{line}-selected": "y", f"{line}-packs": "1"}
    data["lines-0-packs"] = "6"  # too many
    other_line = lines[-1]
    data[f"{other_line}-packs"] = ""  # no number: the form's own fault
    response = client.post(f"/patients/{patient.id}/orders/new", data=data)
    assert response.status_code == 422
    errors = dict(re.findall(r'id="(lines-\d+)-packs-error">([^<]*)<', response.text))
    assert "Högst 3 förpackningar per uttag av Quick-set 9 mm." in errors["lines-0"]
    assert errors[other_line].strip() == "Ange antal förpackningar."


def test_pharmacy_goods_alone_offer_the_pharmacy_not_home_by_post(client, setup):
    """As in the portal (the walkthrough): for an e-recept nothing goes by post
    from the region, so "home" is no way to get pharmacy goods alone."""
    _, patient, rx = setup
    rx.status = "cancelled"
    db.session.commit()
    make_prescription(patient, make_article(name="Sensorn", channel="pharmacy"))
    html = new_order_page(client, patient)
    assert 'value="pharmacy"' in html
    assert 'value="home"' not in html and 'value="pickup"' not in html
