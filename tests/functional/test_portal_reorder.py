"""Reordering in the portal: entitlement, time lock, devices, summary, once only."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from babel.dates import format_date as babel_date

from sesamlike.accounts.models import AuditEvent
from sesamlike.common.formatting import format_date
from sesamlike.common.models import OutgoingMail
from sesamlike.extensions import db
from sesamlike.orders import services as ordering
from sesamlike.orders.models import Order, OrderLine
from tests.conftest import is_postgres
from tests.factories import make_prescription
from tests.portal_data import TODAY, make_region, reorder_form


@pytest.fixture
def region():
    return make_region()


def text_of(response) -> str:
    return response.get_data(as_text=True)


def orders_of(patient) -> list[Order]:
    return list(
        db.session.scalars(
            sa.select(Order).where(Order.patient_id == patient.id).order_by(Order.id)
        )
    )


def test_reorder_page_offers_consumables_with_the_rules_in_plain_words(
    client, auth, region
):
    auth.login("ella")
    page = text_of(client.get("/portal/order"))
    assert "Quick-set 9 mm" in page and "Reservoar 3 ml" in page
    assert "4 av 4 beställningar kvar." in page
    assert "Det ska gå minst 60 dagar mellan två beställningar." in page
    assert "Hem till mig med posten" in page and "Jag hämtar på apotek" in page
    assert 'value="Storgatan' in page  # the address to confirm is filled in
    assert "Till mottagningen" not in page  # no clinic for a patient without need


def test_pharmacy_goods_alone_are_not_offered_home_by_post(client, auth, region):
    """The walkthrough: a child's only item was pharmacy sensors; the form
    offered "Hem ... med posten" and the order said it went home, but an
    e-recept is collected at a pharmacy (or sent by one the patient chooses):
    nothing goes by post from the region."""
    from tests.factories import make_patient, make_user

    patient = make_patient(region.clinic, first_name="Saga", last_name="Sand")
    make_user("patient", patients=[patient], username="saga")
    rx = make_prescription(patient, region.sensor, packs_per_withdrawal=3)
    auth.login("saga")
    page = text_of(client.get("/portal/order"))
    assert "Jag hämtar på apotek" in page
    assert "Hem till mig med posten" not in page
    assert "Till ett utlämningsställe" not in page
    assert "Gatuadress" not in page  # nothing goes to an address
    review = reorder_form([(rx.id, 3)], mode="pharmacy", street="", postal_code="",
                          city="", door_code="", phone="")  # fmt: skip
    assert client.post("/portal/order", data=review).status_code == 200


def test_a_locked_pharmacy_line_offers_no_pharmacy_pickup(client, auth, region):
    """The walkthrough: "Jag hämtar på apotek" was offered for sensors that
    could not be ordered yet, and choosing it refused every line that could."""
    region.rx_sensor.withdrawals_used = 1
    region.rx_sensor.last_withdrawal_on = TODAY - timedelta(days=5)
    db.session.commit()
    auth.login("ella")
    page = text_of(client.get("/portal/order"))
    assert "Hem till mig med posten" in page
    assert "Jag hämtar på apotek" not in page


def row_of(page: str, rx) -> str:
    """The reorder form's row of the prescription (from its hidden id on)."""
    hidden = re.search(
        rf'name="lines-\d+-prescription_id" type="hidden" value="{rx.id}"', page
    )
    return page[hidden.start() :].split("</li>", 1)[0]


def ticked(page: str, rx) -> bool:
    """Whether the row of the prescription is ticked on the reorder form."""
    row = row_of(page, rx)
    box = re.search(r'<input[^>]*name="lines-\d+-selected"[^>]*>', row).group(0)
    return " checked " in box


def test_the_form_ticks_what_runs_out_soon_not_what_lasts_for_months(
    client, auth, region
):
    """Every orderable line came ticked at the most allowed: batteries that
    last till March were one tap from being ordered again, a waste on the
    region. Ticked now: what runs out within the reminder window, or has never
    been delivered; each row says how long it lasts."""
    from tests.factories import make_delivery

    make_delivery(region.patient, region.rx_infusion, TODAY - timedelta(85), 3)
    make_delivery(region.patient, region.rx_reservoir, TODAY - timedelta(10), 2)
    auth.login("ella")
    page = text_of(client.get("/portal/order"))
    assert ticked(page, region.rx_infusion)  # 3 x 10 sets: out in 5 days
    assert not ticked(page, region.rx_reservoir)  # lasts for weeks yet
    assert ticked(page, region.rx_sensor)  # never delivered: nothing to go by
    assert "Räcker ungefär till" in row_of(page, region.rx_reservoir)
    # A reminder's link for one line still ticks that line alone.
    page = text_of(client.get(f"/portal/order?rx={region.rx_reservoir.id}"))
    assert ticked(page, region.rx_reservoir) and not ticked(page, region.rx_infusion)


def test_the_form_leaves_unticked_what_is_on_its_way_and_says_when_it_ran_out(
    client, auth, region
):
    """Review: a line whose supplies ran out but whose order is still on its
    way was ticked (a second order, where "my aids" raises no alarm), and a
    day past read "Räcker ungefär till"."""
    from tests.factories import make_delivery, make_order_line

    make_delivery(region.patient, region.rx_infusion, TODAY - timedelta(100), 3)
    make_order_line(
        region.patient, region.infusion, "backordered",
        prescription_id=region.rx_infusion.id,
    )  # fmt: skip
    auth.login("ella")
    page = text_of(client.get("/portal/order"))
    row = row_of(page, region.rx_infusion)
    assert not ticked(page, region.rx_infusion)
    assert "Tog slut ungefär" in row and "Räcker ungefär till" not in row


def test_patient_reorders_within_entitlement_through_the_summary(client, auth, region):
    auth.login("ella")
    rx = region.rx_infusion
    summary = client.post(
        "/portal/order", data=reorder_form([(rx.id, 2)], door_code="9999")
    )
    assert summary.status_code == 200
    text = text_of(summary)
    assert "Granska beställningen" in text and "2 förp. Quick-set 9 mm" in text
    assert "Portkod 9999" in text and "070-123 45 67" in text
    assert orders_of(region.patient) == []  # the summary writes nothing

    sent = client.post(
        "/portal/order",
        data=reorder_form([(rx.id, 2)], action="send", door_code="9999"),
    )
    [order] = orders_of(region.patient)
    assert sent.status_code == 302
    assert sent.headers["Location"].endswith(f"/portal/orders/{order.id}")
    assert order.placed_by_role == "patient" and order.delivery_mode == "home"
    assert (order.ship_to_street, order.ship_to_postal_code) == (
        "Storgatan 1",
        "41101",
    )
    assert order.ship_to_door_code == "9999"
    assert order.contact_phone == "070-123 45 67"
    assert [(line.prescription_id, line.packs) for line in order.lines] == [(rx.id, 2)]
    db.session.refresh(rx)
    assert rx.withdrawals_used == 1
    page = text_of(client.get(sent.headers["Location"]))
    assert "Tack! Vi har tagit emot din beställning." in page
    assert "Beställd, packas" in page


def test_contact_details_change_only_when_the_box_is_ticked(client, auth, region):
    auth.login("ella")
    lines = [(region.rx_infusion.id, 1)]
    client.post("/portal/order", data=reorder_form(lines, action="send", key="a"))
    db.session.refresh(region.patient)
    assert region.patient.home_address().street != "Storgatan 1"

    lines = [(region.rx_reservoir.id, 1)]
    data = reorder_form(
        lines, action="send", key="b", street="Nygatan 2", update_contact="y"
    )
    client.post("/portal/order", data=data)
    db.session.expire_all()
    address = region.patient.home_address()
    assert (address.street, address.door_code) == ("Nygatan 2", "4321")
    assert region.patient.phone == "070-123 45 67"


def test_a_blank_door_code_is_confirmed_as_none(client, auth, region):
    auth.login("ella")
    data = reorder_form([(region.rx_infusion.id, 1)], action="send", door_code="")
    client.post("/portal/order", data=data)
    [order] = orders_of(region.patient)
    assert not order.ship_to_door_code


def test_reorder_before_the_time_lock_is_refused_with_the_opening_date(
    client, auth, region
):
    rx = region.rx_infusion
    rx.withdrawals_used, rx.last_withdrawal_on = 1, TODAY - timedelta(days=5)
    db.session.commit()
    opens = format_date(TODAY + timedelta(days=55))
    auth.login("ella")

    page = text_of(client.get("/portal/order"))
    assert f"Nästa beställning kan göras från {opens}." in page

    response = client.post(
        "/portal/order", data=reorder_form([(rx.id, 1)], action="send")
    )
    assert response.status_code == 409
    assert f"Nästa beställning kan göras från {opens}." in text_of(response)
    assert orders_of(region.patient) == []


def test_more_packs_than_prescribed_are_refused(client, auth, region):
    auth.login("ella")
    data = reorder_form([(region.rx_infusion.id, 4)])
    response = client.post("/portal/order", data=data)
    assert response.status_code == 422
    assert "högst 3 förpackningar åt gången" in text_of(response)


def test_a_device_is_refused_with_a_clear_message(client, auth, region):
    auth.login("ella")
    page = text_of(client.get("/portal/order"))
    assert "MiniMed 780G insulinpump" in page
    assert "beställs av din förskrivare" in page
    assert f'value="{region.rx_pump.id}"' not in page  # no box to tick

    for action in ("review", "send"):
        data = reorder_form([(region.rx_pump.id, 1)], action=action)
        response = client.post("/portal/order", data=data)
        assert response.status_code == 403
        assert "beställs av din förskrivare" in text_of(response)
    assert orders_of(region.patient) == []


def test_the_ordering_service_refuses_devices_to_patients_and_guardians(region):
    with pytest.raises(ordering.DeviceNeedsPrescriber):
        ordering.place_order(
            region.patient_user, region.patient.id, [(region.rx_pump.id, 1)]
        )
    assert orders_of(region.patient) == []


def test_the_api_refuses_a_device_to_a_patient_token(client, runner, region):
    token = runner.invoke(args=["users", "token", "ella"]).output.strip().split()[-1]
    body = {
        "patient_id": region.patient.id,
        "lines": [{"prescription_id": region.rx_pump.id, "packs": 1}],
    }
    response = client.post(
        "/api/v1/orders", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "device_needs_prescriber"
    body["lines"] = [{"prescription_id": region.rx_infusion.id, "packs": 1}]
    response = client.post(
        "/api/v1/orders", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 201


def audit_actions(user, patient) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent.action)
            .where(AuditEvent.user_id == user.id, AuditEvent.patient_id == patient.id)
            .order_by(AuditEvent.id)
        )
    )


def test_a_sent_reorder_logs_the_options_read_and_the_order(client, auth, region):
    auth.login("ella")
    before = audit_actions(region.patient_user, region.patient)
    response = client.post(
        "/portal/order",
        data=reorder_form([(region.rx_infusion.id, 1)], action="send"),
    )
    assert response.status_code == 302
    logged = audit_actions(region.patient_user, region.patient)[len(before) :]
    # The prescriptions read to check the form, the access check of the
    # order, the order: committed together with the order.
    assert logged == ["read", "order", "create"]


def test_the_access_log_says_an_order_was_placed_not_that_the_patient_was_registered(
    client, auth, region
):
    auth.login("ella")
    client.post(
        "/portal/order",
        data=reorder_form([(region.rx_infusion.id, 1)], action="send"),
    )
    html = text_of(client.get("/portal/access-log?show=all"))
    assert html.count("Beställde hjälpmedel") == 1
    assert "Registrerade dig" not in html
    # The access check and the order are one act to the patient: one row.
    assert "Registrerade en beställning" not in html


def test_a_cancelled_order_is_one_row_in_the_access_log(client, auth, region):
    auth.login("ella")
    client.post(
        "/portal/order",
        data=reorder_form([(region.rx_infusion.id, 1)], action="send"),
    )
    [order] = orders_of(region.patient)
    assert client.post(f"/portal/orders/{order.id}/cancel").status_code == 302
    html = text_of(client.get("/portal/access-log?show=all"))
    assert html.count("Makulerade en beställning") == 1
    assert html.count("Beställde hjälpmedel") == 1
    # Both rows of each act stay in the audit log itself.
    actions = audit_actions(region.patient_user, region.patient)
    assert actions.count("cancel_order") == actions.count("cancel") == 1


def test_a_refused_send_logs_the_read_of_the_page_it_shows(client, auth, region):
    rx = region.rx_infusion
    rx.withdrawals_used, rx.last_withdrawal_on = 1, TODAY - timedelta(days=5)
    db.session.commit()
    auth.login("ella")
    before = audit_actions(region.patient_user, region.patient)
    response = client.post(
        "/portal/order", data=reorder_form([(rx.id, 1)], action="send")
    )
    assert response.status_code == 409
    assert "Quick-set" in text_of(response)  # the form again, with its rows
    # The refusal rolled back the order's rows; the page's read is logged.
    assert audit_actions(region.patient_user, region.patient)[len(before) :] == ["read"]


def test_a_send_with_a_bad_form_logs_the_read_of_the_page_it_shows(
    client, auth, region
):
    auth.login("ella")
    before = audit_actions(region.patient_user, region.patient)
    data = reorder_form([(region.rx_infusion.id, 1)], action="send", mode="drone")
    response = client.post("/portal/order", data=data)
    assert response.status_code == 422
    assert "Quick-set" in text_of(response)
    assert audit_actions(region.patient_user, region.patient)[len(before) :] == ["read"]


def test_double_submission_gives_one_order(client, auth, region):
    auth.login("ella")
    data = reorder_form([(region.rx_infusion.id, 1)], action="send", key="same")
    first = client.post("/portal/order", data=data)
    before = audit_actions(region.patient_user, region.patient)
    second = client.post("/portal/order", data=data)
    # The resend read the options before its key was found: logged too.
    logged = audit_actions(region.patient_user, region.patient)[len(before) :]
    assert logged == ["read", "read_order"]
    assert first.headers["Location"] == second.headers["Location"]
    assert len(orders_of(region.patient)) == 1
    page = text_of(client.get(second.headers["Location"]))
    assert "Beställningen var redan skickad. Här är den." in page


def test_the_summary_carries_the_same_key_as_the_form(client, auth, region):
    auth.login("ella")
    page = text_of(client.get("/portal/order"))
    key = page.split('name="idempotency_key" type="hidden" value="')[1].split('"')[0]
    assert len(key) == 32
    summary = text_of(
        client.post("/portal/order", data=reorder_form([(region.rx_infusion.id, 1)],
                                                       key=key))
    )  # fmt: skip
    assert f'value="{key}"' in summary
    assert 'name="action" value="send"' in summary


def test_change_on_the_summary_goes_back_with_everything_kept(client, auth, region):
    auth.login("ella")
    data = reorder_form([(region.rx_infusion.id, 2)], action="edit", city="Mölndal")
    page = text_of(client.post("/portal/order", data=data))
    assert "Vad vill du beställa?" in page and 'value="Mölndal"' in page


def test_missing_address_for_home_delivery_is_asked_for(client, auth, region):
    auth.login("ella")
    data = reorder_form([(region.rx_infusion.id, 1)], street="", postal_code="4")
    response = client.post("/portal/order", data=data)
    assert response.status_code == 422
    text = text_of(response)
    assert "Skriv gatuadressen." in text and "Postnumret ska ha fem siffror." in text


def problems_first(page: str) -> list[str]:
    """The list of things to put right that opens the page, as the links say
    them (before the form: on a phone the fields are screens further down)."""
    head = page.split("portal-form portal-choices", 1)[0]
    box = re.search(r'role="alert" aria-labelledby="problems-heading">(.*?)</div>',
                    head, re.S)  # fmt: skip
    assert box, "no list of problems before the form"
    links = re.findall(r'<a href="#[^"]+">(.*?)</a>', box.group(1))
    return [re.sub(r"\s+", " ", link).strip() for link in links]


@pytest.mark.parametrize(
    "locale, not_sent, refusal, ordered",
    [
        (
            "sv",
            "Beställningen är inte skickad",
            "Quick-set 9 mm: Nästa beställning kan göras från {day}.",
            "Har du nyss beställt, kanske i ett annat fönster?",
        ),
        (
            "en",
            "The order has not been sent",
            "Quick-set 9 mm: You can order again from {day}.",
            "Have you just ordered, perhaps in another window?",
        ),
    ],
)
def test_a_summary_sent_after_the_same_line_was_ordered_in_another_tab_says_so(
    client, auth, region, locale, not_sent, refusal, ordered
):
    """The walkthrough: the summary open in two tabs, one sent, then Skicka in
    the other: 409 and the form with only "Nästa beställning kan göras från
    3 februari 2027." at the top, no article, nothing of the order just
    placed, and Granska offered though nothing could be ordered."""
    for rx in (region.rx_reservoir, region.rx_sensor):  # the infusion sets only
        rx.withdrawals_used = rx.withdrawals
    db.session.commit()
    auth.login("ella")
    client.post("/language", data={"locale": locale})
    lines = [(region.rx_infusion.id, 3)]
    tab_a = reorder_form(lines, key="tab-a")
    assert client.post("/portal/order", data=tab_a).status_code == 200  # Granska
    tab_c = reorder_form(lines, key="tab-c", action="send")
    assert client.post("/portal/order", data=tab_c).status_code == 302

    response = client.post("/portal/order", data=tab_a | {"action": "send"})

    assert response.status_code == 409
    page = html.unescape(text_of(response))
    box = page.split('id="problems-heading"', 1)[1].split("</div>", 1)[0]
    # The day as the page's language writes it.
    day = babel_date(TODAY + timedelta(days=60), "long",
                     locale="sv_SE" if locale == "sv" else "en_GB")  # fmt: skip
    assert not_sent in box
    assert refusal.format(day=day) in box
    assert ordered in box and 'href="/portal/orders"' in box
    assert 'value="review"' not in page  # nothing left to review
    assert len(orders_of(region.patient)) == 1


def test_what_to_put_right_opens_the_page_with_links_to_the_fields(
    client, auth, region
):
    """The walkthrough: on a phone, 'Granska' seemed to do nothing; the message
    was 2,500 px down the page."""
    auth.login("ella")
    data = reorder_form([(region.rx_infusion.id, 1)], street="", postal_code="4")
    page = text_of(client.post("/portal/order", data=data))
    assert "Beställningen är inte skickad" in page.split("portal-choices", 1)[0]
    assert problems_first(page) == [
        "Gatuadress: Skriv gatuadressen.",
        "Postnummer: Postnumret ska ha fem siffror.",
    ]
    assert 'href="#street"' in page and 'id="street"' in page
    too_many = text_of(client.post(
        "/portal/order", data=reorder_form([(region.rx_infusion.id, 4)])
    ))  # fmt: skip
    assert any("högst 3 förpackningar åt gången" in p for p in problems_first(too_many))
    # Said once at the top (the refusal's own flash would say it again), and
    # not carried over to the next page either.
    assert too_many.count("högst 3 förpackningar åt gången") == 2  # list and row
    assert "högst 3 förpackningar" not in text_of(client.get("/portal/"))


def test_too_many_packs_is_said_in_english_when_english_is_chosen(client, auth, region):
    """The walkthrough: in English the refusal stayed Swedish."""
    auth.login("ella")
    client.post("/language", data={"locale": "en"})
    page = text_of(client.post(
        "/portal/order", data=reorder_form([(region.rx_infusion.id, 4)])
    ))  # fmt: skip
    assert "You can order at most 3 packs at a time." in page
    assert "förpackningar åt gången" not in page
    assert "The order has not been sent" in page


def test_the_summary_warns_when_the_packs_run_out_before_the_next_order(
    client, auth, region
):
    """The walkthrough: 3 packs of 14-day sensors last about 42 days, the next
    order was allowed only after 60, and nothing said so. Quick-set: 10 a pack,
    one every third day; the time lock is 60 days."""
    auth.login("ella")
    one = text_of(client.post(
        "/portal/order", data=reorder_form([(region.rx_infusion.id, 1)])
    ))  # fmt: skip
    runs_out = format_date(TODAY + timedelta(days=30))
    next_on = format_date(TODAY + timedelta(days=60))
    assert (
        f"Quick-set 9 mm: 1 förpackning räcker ungefär till {runs_out}, men nästa "
        f"beställning kan göras först {next_on}." in re.sub(r"\s+", " ", one)
    )
    assert "beställ fler (högst 3 förpackningar)" in one
    three = text_of(client.post(
        "/portal/order", data=reorder_form([(region.rx_infusion.id, 3)])
    ))  # fmt: skip
    assert "Räcker det till nästa beställning?" not in three


def test_a_gap_the_most_allowed_cannot_close_is_the_clinics_matter(
    client, auth, region
):
    rx = make_prescription(region.patient, region.reservoir, packs_per_withdrawal=1,
                           lock_days=60)  # fmt: skip
    auth.login("ella")
    page = text_of(client.post("/portal/order", data=reorder_form([(rx.id, 1)])))
    assert "Räcker det till nästa beställning?" in page
    assert "Kontakta mottagningen om förskrivningen behöver ändras." in page
    assert "beställ fler" not in page


def test_no_next_order_is_promised_past_the_prescriptions_end(client, auth, region):
    ends = TODAY + timedelta(days=30)
    rx = make_prescription(region.patient, region.reservoir, packs_per_withdrawal=3,
                           lock_days=60, valid_to=ends)  # fmt: skip
    auth.login("ella")
    page = text_of(client.post("/portal/order", data=reorder_form([(rx.id, 1)])))
    assert "Skicka beställningen" in page
    assert "Räcker det till nästa beställning?" not in page


def test_what_is_left_at_home_is_counted_before_warning(client, auth, region):
    """3 packs came ten days ago (they last to day 80): one more pack lasts
    past the next order's day, so nothing is said."""
    from tests.factories import make_order_line

    make_order_line(
        region.patient, region.infusion, "delivered", packs=3,
        prescription_id=region.rx_infusion.id,
        delivered_on=TODAY - timedelta(days=10),
    )  # fmt: skip
    auth.login("ella")
    page = text_of(client.post(
        "/portal/order", data=reorder_form([(region.rx_infusion.id, 1)])
    ))  # fmt: skip
    assert "Skicka beställningen" in page
    assert "Räcker det till nästa beställning?" not in page


def test_every_fault_of_the_form_is_said_at_once(client, auth, region):
    """The walkthrough: with 9 packs where 4 were allowed and the street left
    empty, only the address was said; the packs came up on the next try."""
    auth.login("ella")
    data = reorder_form([(region.rx_infusion.id, 4)], street="")
    problems = problems_first(text_of(client.post("/portal/order", data=data)))
    assert "Gatuadress: Skriv gatuadressen." in problems
    assert any("högst 3 förpackningar åt gången" in p for p in problems)


def test_no_line_chosen_is_said_with_the_forms_other_faults(client, auth, region):
    """The walkthrough: nothing ticked, a pickup point and no phone: only the
    phone was said; "choose a line" came after a phone was typed."""
    auth.login("ella")
    data = reorder_form([], mode="pickup", phone="")
    response = client.post("/portal/order", data=data)
    assert response.status_code == 422
    problems = problems_first(text_of(response))
    assert any("Välj minst en förskrivning att beställa från." in p for p in problems)
    assert any(p.startswith("Mobilnummer för avisering: Skriv ett mobilnummer")
               for p in problems)  # fmt: skip


def test_a_mode_that_does_not_suit_a_line_is_said_with_the_address_faults(
    client, auth, region
):
    """The walkthrough: sensors (a pharmacy article) to a pickup point with a
    bad street and postal code: the address was said, and the delivery mode
    only once the address was mended."""
    auth.login("ella")
    lines = [(region.rx_infusion.id, 1), (region.rx_sensor.id, 1)]
    data = reorder_form(lines, mode="pickup", street="Box 12", postal_code="4")
    response = client.post("/portal/order", data=data)
    assert response.status_code == 422
    problems = problems_first(text_of(response))
    assert "Gatuadress: Hjälpmedel levereras inte till boxadress." in problems
    assert "Postnummer: Postnumret ska ha fem siffror." in problems
    assert any(p.startswith("Leveranssätt: Dexcom G7 sensor kan inte levereras på "
                            "det sättet.") for p in problems)  # fmt: skip


@pytest.mark.parametrize(
    "street", ["c/o Svensson, Box 77", "Postfack 5", "Storgatan 1, PL 1234"]
)
def test_a_box_address_is_refused_wherever_the_street_line_says_it(
    client, auth, region, street
):
    """The walkthrough: "Box 123" was refused, but "c/o Svensson, Box 77" and
    "Postfack 5" reached the summary, though aids are never sent to a box."""
    auth.login("ella")
    data = reorder_form([(region.rx_infusion.id, 1)], mode="home", street=street)
    response = client.post("/portal/order", data=data)
    assert response.status_code == 422
    problems = problems_first(text_of(response))
    assert "Gatuadress: Hjälpmedel levereras inte till boxadress." in problems


def test_a_street_named_box_is_a_street(client, auth, region):
    auth.login("ella")
    data = reorder_form([(region.rx_infusion.id, 1)], mode="home", street="Boxvägen 5")
    response = client.post("/portal/order", data=data)
    assert response.status_code == 200
    assert "boxadress" not in text_of(response)


def test_every_line_refused_is_said_at_once_on_a_form_without_faults(
    client, auth, region
):
    """A form with no faults of its own and two lines over their packs: the
    summary step said the first line only."""
    auth.login("ella")
    lines = [(region.rx_infusion.id, 4), (region.rx_reservoir.id, 3)]
    response = client.post("/portal/order", data=reorder_form(lines))
    assert response.status_code == 422
    page = text_of(response)
    problems = problems_first(page)
    assert any("högst 3 förpackningar åt gången" in p for p in problems)
    assert any("högst 2 förpackningar åt gången" in p for p in problems)
    assert 'id="lines-0-packs-error"' in page and 'id="lines-1-packs-error"' in page


def test_a_form_without_faults_opens_with_no_list_of_problems(client, auth, region):
    auth.login("ella")
    page = text_of(client.get("/portal/order"))
    assert 'aria-labelledby="problems-heading"' not in page


def test_pharmacy_articles_can_be_collected_at_a_pharmacy(client, auth, region):
    auth.login("ella")
    data = reorder_form(
        [(region.rx_sensor.id, 3)], action="send", mode="pharmacy", street=""
    )
    assert client.post("/portal/order", data=data).status_code == 302
    [order] = orders_of(region.patient)
    assert order.delivery_mode == "pharmacy"
    assert order.lines[0].status == "sent_to_pharmacy"


def test_the_summary_says_pharmacy_articles_go_via_the_pharmacy(client, auth, region):
    """The walkthrough: sensors (pharmacy) with infusion sets, home by post. The
    summary said only "Hem till mig med posten"; the order page afterwards said
    "apoteksvarorna via apoteket". The patient should know before sending."""
    auth.login("ella")
    data = reorder_form([(region.rx_infusion.id, 1), (region.rx_sensor.id, 3)])
    page = text_of(client.post("/portal/order", data=data))
    mode = page.split('class="mode"')[1].split("</dd>")[0]
    assert "Hem till mig med posten" in mode
    assert "apoteksvarorna via apoteket" in mode
    # Which ones those are (the walkthrough: a mixed order did not say).
    lines = page.split('class="summary-lines"')[1].split("</ul>")[0]
    sensor = lines.split("Dexcom G7 sensor")[1].split("</li>")[0]
    assert "e-recept: via apoteket" in sensor
    infusion = lines.split("Quick-set 9 mm")[1].split("</li>")[0]
    assert "apotek" not in infusion


def test_the_summary_of_aids_centre_articles_alone_says_nothing_of_a_pharmacy(
    client, auth, region
):
    auth.login("ella")
    data = reorder_form([(region.rx_infusion.id, 1)])
    page = text_of(client.post("/portal/order", data=data))
    assert "apoteksvarorna via apoteket" not in page


def radio_labels(page: str) -> list[str]:
    """The labels of the delivery mode's radio buttons, as the form shows them."""
    return re.findall(r'<label for="delivery_mode-\d+">([^<]*)</label>', page)


PICKUP = "Till ett utlämningsställe (ombud) nära"


@pytest.mark.parametrize(
    "who, offered",
    [
        ("anna", ("Hem till Olle med posten", f"{PICKUP} Olle")),
        ("ella", ("Hem till mig med posten", f"{PICKUP} mig")),
    ],
)
def test_a_refused_delivery_mode_names_only_the_forms_choices_in_its_words(
    client, auth, region, who, offered
):
    """The walkthrough: aids-centre goods to "Jag hämtar på apotek" were refused
    with "Välj ett av: hem med post, till mottagningen, till ombud
    (utlämningsställe)", though the form offers no "till mottagningen"."""
    auth.login(who)
    if who == "anna":
        make_prescription(region.child, region.sensor)  # "apotek" is offered
        client.post("/portal/choose", data={"patient_id": region.child.id})
        rx = region.rx_child
    else:
        rx = region.rx_infusion
    assert radio_labels(text_of(client.get("/portal/order")))[:2] == list(offered)
    data = reorder_form([(rx.id, 1)], mode="pharmacy", street="")
    response = client.post("/portal/order", data=data)
    assert response.status_code == 422
    page = text_of(response)
    said = (
        "Leveranssättet passar inte artiklarna i beställningen. "
        f"Välj ”{offered[0]}” eller ”{offered[1]}” i stället."
    )
    assert said in page
    assert "till mottagningen" not in page.lower()
    assert "Välj ett av" not in page


def test_a_mode_refused_for_some_lines_names_them(client, auth, region):
    """The walkthrough: with pharmacy and aids-centre lines ticked, "Jag hämtar
    på apotek" was refused without saying which article did not go that way.
    A later walkthrough: its advice, "Beställ den i en egen beställning",
    failed the same way on its own; it now says to choose a mode that takes
    it, or to untick it."""
    auth.login("ella")
    lines = [(region.rx_infusion.id, 1), (region.rx_sensor.id, 1)]
    page = text_of(client.post(
        "/portal/order", data=reorder_form(lines, mode="pharmacy")
    ))  # fmt: skip
    assert (
        "Quick-set 9 mm kan inte levereras på det sättet. Välj ”Hem till mig med "
        "posten”, eller bocka ur den och beställ den för sig efteråt."
        in re.sub(r"\s+", " ", page)
    )
    assert "Dexcom G7 sensor kan inte" not in page


def test_protected_identity_patient_gets_clinic_delivery(client, auth, region):
    region.patient.protected_identity = True
    db.session.commit()
    auth.login("ella")
    page = text_of(client.get("/portal/order"))
    assert "Till mottagningen" in page and "Hem till mig med posten" not in page
    assert "Storgatan" not in page  # no address on the page
    data = reorder_form([(region.rx_infusion.id, 1)], action="send", mode="clinic")
    assert client.post("/portal/order", data=data).status_code == 302
    [order] = orders_of(region.patient)
    assert order.delivery_mode == "clinic"
    assert order.ship_to_street == "Rondvägen 10"
    home = reorder_form([(region.rx_reservoir.id, 1)], action="send", key="k2")
    assert client.post("/portal/order", data=home).status_code == 422


def test_guardian_reorders_for_the_chosen_child(client, auth, region):
    region.child.guardians[0].email = "anna@example.se"
    db.session.commit()
    auth.login("anna")
    client.post("/portal/choose", data={"patient_id": region.child.id})
    data = reorder_form([(region.rx_child.id, 3)], action="send")
    assert client.post("/portal/order", data=data).status_code == 302
    [order] = orders_of(region.child)
    assert order.placed_by_role == "guardian"
    assert order.placed_by_id == region.guardian.id
    mail = db.session.scalars(sa.select(OutgoingMail)).all()
    assert [m.to_address for m in mail] == ["anna@example.se"]  # order received
    page = text_of(client.get("/portal/"))
    assert f"Beställning {order.id}" in page


def test_a_child_chosen_in_another_tab_stops_the_send_and_says_why(
    client, auth, region
):
    """The walkthrough: a form made for Olle, then Stina chosen in another tab:
    "Skicka" answered "Sidan finns inte", with nothing said of the order."""
    from sesamlike.patients.models import Guardian
    from tests.factories import make_patient

    stina = make_patient(region.clinic, first_name="Stina", last_name="Ek",
                         birth_date=TODAY.replace(year=TODAY.year - 8))  # fmt: skip
    stina.guardians.append(Guardian(name="Anna Ek", user_id=region.guardian.id))
    db.session.commit()
    auth.login("anna")
    client.post("/portal/choose", data={"patient_id": region.child.id})
    data = reorder_form([(region.rx_child.id, 1)], action="send")
    client.post("/portal/choose", data={"patient_id": stina.id})  # the other tab
    response = client.post("/portal/order", data=data)
    assert response.status_code == 302
    assert response.location.endswith("/portal/choose")
    page = text_of(client.get(response.location))
    assert "Beställningen är inte skickad: du har valt ett annat barn" in page
    assert orders_of(region.child) == [] and orders_of(stina) == []


def test_someone_elses_prescription_is_still_not_found(client, auth, region):
    auth.login("anna")
    client.post("/portal/choose", data={"patient_id": region.child.id})
    data = reorder_form([(region.rx_other.id, 1)], action="send")
    assert client.post("/portal/order", data=data).status_code == 404


def test_the_patient_reads_the_delivery_and_contact_choices_as_their_own(
    client, auth, region
):
    auth.login("ella")
    page = text_of(client.get("/portal/order"))
    assert "Hem till mig med posten" in page and "nära mig" in page
    assert "Spara adress och telefonnummer som mina nya kontaktuppgifter" in page
    form = reorder_form([(region.rx_infusion.id, 1)], update_contact="y")
    summary = text_of(client.post("/portal/order", data=form))
    assert "Hem till mig med posten" in summary and "Sparas som dina nya" in summary


def test_a_guardian_reads_that_the_childs_address_and_phone_are_used_and_saved(
    client, auth, region
):
    auth.login("anna")
    client.post("/portal/choose", data={"patient_id": region.child.id})
    page = text_of(client.get("/portal/order"))
    assert "Hur ska hjälpmedlen till Olle levereras?" in page
    assert "Hem till Olle med posten" in page and "nära Olle" in page
    assert "Spara adressen och telefonnumret som nya kontaktuppgifter för Olle" in page
    form = reorder_form([(region.rx_child.id, 1)], update_contact="y")
    summary = text_of(client.post("/portal/order", data=form))
    assert "Hem till Olle med posten" in summary
    assert "Sparas som nya kontaktuppgifter för Olle" in summary
    sent = client.post("/portal/order", data=form | {"action": "send"})
    order = text_of(client.get(sent.headers["Location"]))
    aids = text_of(client.get("/portal/"))
    for text in (page, summary, order, aids):
        assert "mig" not in text.split() and "mina nya" not in text
        assert "dina nya" not in text
    assert "Hem till Olle med posten" in order and "Hem till Olle med posten" in aids


def test_guardian_cannot_order_on_the_parents_own_prescription(client, auth, region):
    auth.login("anna")
    client.post("/portal/choose", data={"patient_id": region.child.id})
    data = reorder_form([(region.rx_infusion.id, 1)], action="send")
    assert client.post("/portal/order", data=data).status_code == 404


def test_cancel_before_shipping_gives_the_withdrawal_back(client, auth, region):
    auth.login("ella")
    data = reorder_form([(region.rx_infusion.id, 1)], action="send")
    location = client.post("/portal/order", data=data).headers["Location"]
    assert "Makulera beställningen" in text_of(client.get(location))
    [order] = orders_of(region.patient)
    response = client.post(f"/portal/orders/{order.id}/cancel")
    assert response.status_code == 302
    page = text_of(client.get(location))
    assert (
        "Beställningen är makulerad." in page and "Makulera beställningen" not in page
    )
    db.session.expire_all()
    assert orders_of(region.patient)[0].status == "cancelled"
    assert region.rx_infusion.withdrawals_used == 0


def test_cancelling_an_order_twice_says_it_is_already_cancelled(client, auth, region):
    auth.login("ella")
    data = reorder_form([(region.rx_infusion.id, 1)], action="send")
    client.post("/portal/order", data=data)
    [order] = orders_of(region.patient)
    assert client.post(f"/portal/orders/{order.id}/cancel").status_code == 302
    again = client.post(f"/portal/orders/{order.id}/cancel", follow_redirects=True)
    page = text_of(again)
    assert "redan makulerad" in page and "skickad eller levererad" not in page


def test_cancelling_an_order_asks_for_confirmation_first(client, auth, region):
    """The walkthrough: "Makulera beställningen" cancelled at one tap (a parent
    on a phone at night); staff get a "Ja, makulera" step. The first tap opens
    a disclosure (no JavaScript needed), the cancelling button is inside it."""
    auth.login("ella")
    data = reorder_form([(region.rx_infusion.id, 1)], action="send")
    page = text_of(client.get(client.post("/portal/order", data=data).location))
    [order] = orders_of(region.patient)
    action = f'action="/portal/orders/{order.id}/cancel"'
    [form] = re.findall(r"<form[^>]*>.*?</form>", page, re.S)[-1:]
    assert action in form
    # The one button that posts the cancel confirms; it is not the first tap.
    assert re.findall(r"<button[^>]*>([^<]*)</button>", form) == [
        "Ja, makulera beställningen"
    ]
    assert 'name="csrf_token"' in form
    disclosure = re.search(r"<details[^>]*>(.*?)</details>", page, re.S)
    assert disclosure is not None and action in disclosure.group(1)
    assert re.search(
        r"<summary[^>]*>\s*Makulera beställningen\s*</summary>", disclosure.group(1)
    )
    # The confirming button cancels as before.
    assert client.post(f"/portal/orders/{order.id}/cancel").status_code == 302
    db.session.expire_all()
    assert orders_of(region.patient)[0].status == "cancelled"


def test_a_cancelled_order_is_called_an_order_not_a_line(client, auth, region):
    """The walkthrough: the cancelled order's status said "Raden är makulerad"
    at the top of the page and in the list; the lines keep their own words."""
    auth.login("ella")
    data = reorder_form([(region.rx_infusion.id, 1)], action="send")
    location = client.post("/portal/order", data=data).headers["Location"]
    [order] = orders_of(region.patient)
    client.post(f"/portal/orders/{order.id}/cancel")
    page = text_of(client.get(location))
    status = page.split('class="status"')[1].split("</dd>")[0]
    assert "Beställningen är makulerad och levereras inte." in status
    assert "Raden" not in status
    assert "Raden är makulerad och levereras inte." in page  # the line itself
    listed = text_of(client.get("/portal/orders"))
    assert "Beställningen är makulerad och levereras inte." in listed


def test_a_shipped_order_cannot_be_cancelled(client, auth, region):
    auth.login("ella")
    data = reorder_form([(region.rx_infusion.id, 1)], action="send")
    location = client.post("/portal/order", data=data).headers["Location"]
    [order] = orders_of(region.patient)
    db.session.execute(sa.update(OrderLine).values(status="shipped"))
    order.tracking_ref = "PN987654321SE"
    db.session.commit()
    page = text_of(client.get(location))
    assert "Makulera beställningen" not in page and "PN987654321SE" in page
    response = client.post(f"/portal/orders/{order.id}/cancel", follow_redirects=True)
    assert "kan inte makuleras" in text_of(response)
    db.session.expire_all()
    assert orders_of(region.patient)[0].status == "shipped"


def count_queries(send) -> tuple[object, int]:
    statements = []

    def count(*_args, **_kwargs):
        statements.append(1)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = send()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    return response, len(statements)


def test_sending_a_two_line_reorder_reads_each_prescription_once(client, auth, region):
    auth.login("ella")
    lines = [(region.rx_infusion.id, 2), (region.rx_reservoir.id, 2)]
    sent, queries = count_queries(
        lambda: client.post("/portal/order", data=reorder_form(lines, action="send"))
    )
    [order] = orders_of(region.patient)
    assert sent.status_code == 302 and len(order.lines) == 2
    for rx in (region.rx_infusion, region.rx_reservoir):
        db.session.refresh(rx)
        assert rx.withdrawals_used == 1 and rx.last_withdrawal_on == TODAY
    # The prescriptions are locked with their articles in one statement and not
    # read again after each withdrawal (was 4 more for two lines). The patient
    # is read once, no clinic is looked up for a home delivery, the new order's
    # lines are not loaded, and neither the order nor the user is read again
    # after the commit. The form's read and the order go in one transaction
    # (their audit rows in one INSERT: was two), the key is not looked up
    # before the order goes in (its unique index finds a resend), the lines go
    # in with their stock status (was an UPDATE after the reservations) and an
    # address given in full reads none (was the patient's addresses), and the
    # patient's own record comes with the login (was a statement of its own):
    # 16 statements before, PostgreSQL now sends 11 (user with patient,
    # prescriptions, prescriptions locked, order, withdrawals, lots locked,
    # free stock, lines, reservations, movements, audit rows); SQLite 12.
    # (Only the prescriptions ordered are locked: locking every one the form
    # read could deadlock with an import giving withdrawals back.)
    assert queries <= (11 if is_postgres() else 12), queries


def test_the_form_and_the_summary_read_the_patient_once(client, auth, region):
    auth.login("ella")
    shown, form_queries = count_queries(lambda: client.get("/portal/order"))
    lines = [(region.rx_infusion.id, 2), (region.rx_reservoir.id, 2)]
    reviewed, review_queries = count_queries(
        lambda: client.post("/portal/order", data=reorder_form(lines, action="review"))
    )
    assert shown.status_code == 200 and reviewed.status_code == 200
    assert "Skicka beställningen" in text_of(reviewed)
    # the user with the patient's own record (the patient was read twice, then
    # once on its own), prescriptions with their articles, the audit row; the
    # form also the patient's address and the lines' last deliveries (what
    # runs out soon is ticked, each row says how long it lasts)
    assert (form_queries, review_queries) == (5, 3), (form_queries, review_queries)


def test_the_form_is_read_in_one_transaction(client, auth, region):
    auth.login("ella")
    ends = []
    listeners = {"commit": lambda _c: ends.append("commit"),
                 "rollback": lambda _c: ends.append("rollback")}  # fmt: skip
    for name, listener in listeners.items():
        sa.event.listen(db.engine, name, listener)
    try:
        page = client.get("/portal/order")
    finally:
        for name, listener in listeners.items():
            sa.event.remove(db.engine, name, listener)
    assert page.status_code == 200
    assert 'value="Storgatan' in text_of(page)  # the address, read before the commit
    # One commit: the address read after it opened a second transaction (two
    # more round trips; on PostgreSQL its rollback also dropped every statement
    # psycopg had prepared on the connection).
    assert ends == ["commit"], ends


def test_an_order_home_with_a_pharmacy_line_says_that_line_goes_via_the_pharmacy(
    client, auth, region
):
    auth.login("ella")
    form = reorder_form(
        [(region.rx_sensor.id, 1), (region.rx_reservoir.id, 1)], action="send"
    )
    response = client.post("/portal/order", data=form)
    assert response.status_code == 302, text_of(response)
    page = text_of(client.get(response.location))
    assert "Hem till mig med posten; apoteksvarorna via apoteket" in page


def test_a_parcel_to_a_pickup_point_needs_a_mobile_number(client, auth, region):
    """The walkthrough: accepted with no number, though the form promises a text
    message when the parcel can be collected."""
    auth.login("ella")
    form = reorder_form([(region.rx_infusion.id, 1)], mode="pickup", phone="")
    response = client.post("/portal/order", data=form)
    assert response.status_code == 422
    assert (
        "Skriv ett mobilnummer: vi skickar ett sms"
        in problems_first(text_of(response))[0]
    )
    home = reorder_form([(region.rx_infusion.id, 1)], mode="home", phone="")
    assert client.post("/portal/order", data=home).status_code == 200


@pytest.mark.parametrize("phone", ["08-123 456", "031 12 34 56"])
def test_a_parcel_to_a_pickup_point_needs_a_number_a_text_message_reaches(
    client, auth, region, phone
):
    """The walkthrough: a landline went through as the number for the text
    message that says the parcel can be collected; the message never comes."""
    auth.login("ella")
    form = reorder_form([(region.rx_infusion.id, 1)], mode="pickup", phone=phone)
    response = client.post("/portal/order", data=form)
    assert response.status_code == 422
    assert (
        "Mobilnummer för avisering: Skriv ett mobilnummer som börjar med 07"
        in problems_first(text_of(response))[0]
    )


@pytest.mark.parametrize(
    "phone", ["070-123 45 67", "+46 70 123 45 67", "0046701234567"]
)
def test_a_mobile_number_for_a_pickup_is_taken_as_written(client, auth, region, phone):
    auth.login("ella")
    form = reorder_form([(region.rx_infusion.id, 1)], mode="pickup", phone=phone)
    assert client.post("/portal/order", data=form).status_code == 200
    home = reorder_form([(region.rx_infusion.id, 1)], mode="home", phone="08-123 456")
    assert client.post("/portal/order", data=home).status_code == 200


def test_a_parcel_to_a_pickup_point_shows_and_keeps_no_door_code(client, auth, region):
    auth.login("ella")
    lines = [(region.rx_infusion.id, 1)]
    home = text_of(client.post("/portal/order", data=reorder_form(lines)))
    assert "Portkod 4321" in home  # the postman needs it at the door
    form = reorder_form(lines, mode="pickup", door_code="9999")
    summary = text_of(client.post("/portal/order", data=form))
    assert "Storgatan 1" in summary  # the nearest pickup point is found by it
    shown = re.sub(r"<input[^>]*>", "", summary)  # "Ändra" keeps what was typed
    assert "Portkod" not in shown and "9999" not in shown
    # Which pickup point: the one nearest the address, as the text message
    # says (the walkthrough: the summary showed the home address as the
    # place the parcel went).
    assert (
        "<dt>Utlämningsställe</dt>\n  <dd>Det utlämningsställe (ombud) som ligger "
        "närmast Storgatan 1, 411 01 Göteborg. Ett sms säger var och när paketet "
        "kan hämtas.</dd>" in shown
    )
    sent = client.post("/portal/order", data=form | {"action": "send"})
    [order] = orders_of(region.patient)
    assert order.delivery_mode == "pickup" and order.ship_to_door_code is None
    page = text_of(client.get(sent.headers["Location"]))
    assert "Portkod" not in page and "9999" not in page


def test_a_pickup_order_saves_the_new_address_without_the_old_door_code(
    client, auth, region
):
    """The walkthrough: "Till ett utlämningsställe", Nygatan 5, the door code
    field still holding the old home's 6775 (the summary showed none), "Spara
    adress och telefonnummer": the home address became Nygatan 5 with door
    code 6775. What the summary showed is saved: no door code."""
    region.patient.home_address().door_code = "6775"
    db.session.commit()
    auth.login("ella")
    form = reorder_form(
        [(region.rx_infusion.id, 1)], mode="pickup", street="Nygatan 5",
        postal_code="871 40", city="Härnösand", door_code="6775", update_contact="y",
    )  # fmt: skip
    summary = re.sub(
        r"<input[^>]*>", "", text_of(client.post("/portal/order", data=form))
    )
    assert "Nygatan 5" in summary and "6775" not in summary
    assert "Sparas som dina nya" in summary
    client.post("/portal/order", data=form | {"action": "send"})
    db.session.expire_all()
    address = region.patient.home_address()
    assert (address.street, address.postal_code, address.city) == (
        "Nygatan 5", "87140", "Härnösand",
    )  # fmt: skip
    assert address.door_code is None


def test_a_pickup_order_from_the_same_address_keeps_its_door_code(client, auth, region):
    """Nothing said of the door code, the address the same: the code stays
    (it is still the door's)."""
    home = region.patient.home_address()
    auth.login("ella")
    form = reorder_form(
        [(region.rx_infusion.id, 1)], action="send", mode="pickup",
        street=home.street, postal_code=home.postal_code, city=home.city,
        door_code="", phone="070-765 43 21", update_contact="y",
    )  # fmt: skip
    client.post("/portal/order", data=form)
    db.session.expire_all()
    address = region.patient.home_address()
    assert (address.street, address.door_code) == (home.street, "1234")
    assert region.patient.phone == "070-765 43 21"


def test_an_older_pickup_order_with_a_door_code_shows_it_nowhere(client, auth, region):
    from sesamlike.orders.shipto import ship_to

    auth.login("ella")
    form = reorder_form([(region.rx_infusion.id, 1)], action="send", mode="pickup")
    sent = client.post("/portal/order", data=form)
    [order] = orders_of(region.patient)
    order.ship_to_door_code = "9999"  # kept by the code before this rule
    db.session.commit()
    assert ship_to(order).door_code is None
    assert "9999" not in text_of(client.get(sent.headers["Location"]))


@pytest.mark.parametrize("action", ["review", "send"])
@pytest.mark.parametrize(
    ("packs", "message"),
    [("", "Ange antal förpackningar."), ("1,5", "Ange ett heltal.")],
)
def test_a_ticked_line_without_a_whole_number_of_packs_is_told_so_once(
    client, auth, region, action, packs, message
):
    auth.login("ella")
    data = reorder_form([(region.rx_infusion.id, packs)], action=action)
    response = client.post("/portal/order", data=data)
    assert response.status_code == 422
    error = re.search(r'id="lines-0-packs-error">([^<]*)<', text_of(response))
    assert error and error.group(1).strip() == message  # Swedish, and only it
    assert orders_of(region.patient) == []


def test_a_fault_on_a_line_is_shown_at_the_line_not_as_a_dump_above_the_list(
    client, auth, region
):
    auth.login("ella")
    response = client.post(
        "/portal/order", data=reorder_form([(region.rx_infusion.id, 0)])
    )
    assert response.status_code == 422
    html = text_of(response)
    assert 'id="lines-0-packs-error">Ange minst 1.' in html
    assert 'id="lines-error"' not in html and "packs&#39;" not in html


@pytest.mark.parametrize("page_url", ["/portal/", "/portal/orders"])
def test_the_order_lists_say_a_pharmacy_line_of_an_order_home_goes_via_the_pharmacy(
    client, auth, region, page_url
):
    """The lists said only "Hem till mig med posten" of an order whose sensors
    are collected at the pharmacy; its own page says both."""
    auth.login("ella")
    form = reorder_form(
        [(region.rx_sensor.id, 1), (region.rx_reservoir.id, 1)], action="send"
    )
    assert client.post("/portal/order", data=form).status_code == 302
    page = text_of(client.get(page_url))
    assert "Hem till mig med posten; apoteksvarorna via apoteket" in page


def test_the_order_lists_say_nothing_of_a_pharmacy_for_aids_centre_lines_alone(
    client, auth, region
):
    auth.login("ella")
    form = reorder_form([(region.rx_reservoir.id, 1)], action="send")
    assert client.post("/portal/order", data=form).status_code == 302
    page = text_of(client.get("/portal/orders"))
    assert "Hem till mig med posten" in page
    assert "apoteksvarorna via apoteket" not in page


@pytest.mark.parametrize(
    "fields, messages",
    [
        ({"street": "😀😀", "city": "<i>x</i>", "phone": "------"},
         ["Gatuadress: Skriv gatuadressen med bokstäver och siffror.",
          "Ort: Skriv orten med bokstäver.",
          "Mobilnummer för avisering: Telefonnumret ska ha minst 6 siffror."]),
        ({"phone": "1"},
         ["Mobilnummer för avisering: Telefonnumret ska ha minst 6 siffror."]),
        ({"phone": "0" * 40},
         ["Mobilnummer för avisering: Telefonnumret får ha högst 15 siffror."]),
        ({"phone": "070 123 45 67 ring!"},
         ["Mobilnummer för avisering: Skriv telefonnumret med siffror, till "
          "exempel 070-123 45 67."]),
        ({"door_code": "😀"},
         ["Portkod (om det finns): Skriv portkoden med siffror och bokstäver."]),
    ],
)  # fmt: skip
def test_an_address_or_phone_nobody_could_deliver_to_is_refused(
    client, auth, region, fields, messages
):
    """The walkthrough: "😀😀", "<i>x</i>" and "------" were sent as the
    parcel's address and saved as the child's contact details; the phone "1"
    was told to have "bara siffror", 40 digits that too and "30 tecken"."""
    auth.login("ella")
    db.session.refresh(region.patient)
    before = (region.patient.phone, region.patient.home_address().street)
    data = reorder_form([(region.rx_infusion.id, 1)], action="send",
                        update_contact="y", **fields)  # fmt: skip
    response = client.post("/portal/order", data=data)
    assert response.status_code == 422
    assert problems_first(text_of(response)) == messages
    assert orders_of(region.patient) == []
    db.session.expire_all()
    assert (region.patient.phone, region.patient.home_address().street) == before


def test_addresses_in_any_language_and_real_numbers_are_taken(client, auth, region):
    auth.login("ella")
    data = reorder_form([(region.rx_infusion.id, 1)], action="send",
                        street="S:t Göransgatan 3 B, lgh 1102", city="Öregrund",
                        phone="+46 (0)70-123 45 67", door_code="#1234*")  # fmt: skip
    assert client.post("/portal/order", data=data).status_code == 302
    [order] = orders_of(region.patient)
    assert (order.ship_to_street, order.ship_to_city, order.contact_phone) == (
        "S:t Göransgatan 3 B, lgh 1102", "Öregrund", "+46 (0)70-123 45 67")  # fmt: skip


def test_a_question_as_the_label_is_not_followed_by_a_colon(client, auth, region):
    """The walkthrough: "Vad vill du beställa?: Välj minst en förskrivning"."""
    auth.login("ella")
    response = client.post("/portal/order", data=reorder_form([]))
    [problem] = [p for p in problems_first(text_of(response)) if "Välj minst" in p]
    assert "?:" not in problem and problem.startswith(("Vad vill du beställa? ",))


def test_the_summary_asks_about_the_old_door_code_with_a_new_street(
    client, auth, region
):
    """The walkthrough: the street changed to "Storgatan 5 lgh 1102", and the
    old address's door code 7100, filled in by the form, went to the courier
    and was saved with it. The summary now says whose door code it is."""
    home = region.patient.home_address()
    home.street, home.door_code = "Storgatan 1", "4321"  # as the form sends
    db.session.commit()
    auth.login("ella")
    form = text_of(client.get("/portal/order"))
    filled = {
        name: re.search(rf'name="{name}" type="hidden" value="([^"]*)"', form)[1]
        for name in ("filled_street", "filled_postal_code", "filled_door_code")
    }
    assert filled == {"filled_street": "Storgatan 1", "filled_postal_code": "41101",
                      "filled_door_code": "4321"}  # fmt: skip
    lines = [(region.rx_infusion.id, 1)]
    asked = "Portkoden är den sparade adressens."

    def review(**contact):
        return text_of(
            client.post("/portal/order", data=reorder_form(lines, **filled, **contact))
        )

    assert asked not in review()
    assert asked in review(street="Nygatan 2")
    assert asked not in review(street="Nygatan 2", door_code="")
    assert asked not in review(street="Nygatan 2", door_code="1111")  # a new one


def test_the_api_refuses_a_device_to_a_patient_token_whatever_the_prescriptions_state(
    client, runner, region
):
    """The portal tells an ended pump prescription as ended, but the API's
    answer to a patient's order of a device stays what the role may not do:
    403 device_needs_prescriber, not 409 prescription_not_active (a script
    reads the status: 403 is "your role may not", 409 "try again later")."""
    rx = region.rx_pump
    rx.valid_from = TODAY - timedelta(days=400)
    rx.valid_to = TODAY - timedelta(days=3)
    db.session.commit()
    token = runner.invoke(args=["users", "token", "ella"]).output.strip().split()[-1]
    body = {"patient_id": region.patient.id,
            "lines": [{"prescription_id": rx.id, "packs": 1}]}  # fmt: skip
    response = client.post(
        "/api/v1/orders", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "device_needs_prescriber"
    assert orders_of(region.patient) == []
