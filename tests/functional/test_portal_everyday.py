"""The portal as a parent uses it at night on a phone: local times, whose data,
one banner, supplies that have run out said plainly, a favicon."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from sesamlike.accounts.models import AuditEvent
from sesamlike.extensions import db
from tests.factories import make_delivery, make_order_line
from tests.portal_data import TODAY, make_region


@pytest.fixture
def region():
    return make_region()


def test_access_log_shows_swedish_local_time_and_says_so(client, auth, region):
    # 18:41 UTC on a summer evening is 20:41 in Sweden (CEST, UTC+2).
    db.session.add(
        AuditEvent(
            at=datetime(2026, 6, 15, 18, 41, tzinfo=UTC),
            role="prescriber",
            action="read",
            object_type="patient",
            patient_id=region.patient.id,
        )
    )
    db.session.commit()
    auth.login("ella")
    page = client.get("/portal/access-log").text
    assert "2026-06-15 20:41" in page
    assert "18:41" not in page
    assert "svensk tid" in page


def test_english_access_log_writes_the_month_so_no_reader_mistakes_the_day(
    client, auth, region
):
    event = AuditEvent(at=datetime(2026, 6, 3, 18, 41, tzinfo=UTC), role="prescriber",
                       action="read", object_type="patient",
                       patient_id=region.patient.id)  # fmt: skip
    db.session.add(event)
    db.session.commit()
    auth.login("ella")
    client.post("/language", data={"locale": "en", "next": "/"})
    page = client.get("/portal/access-log").text
    assert "3 Jun 2026, 20:41" in page
    assert "03/06/2026" not in page  # 6 March to an American reader


def test_guardians_access_log_names_the_child_it_covers(client, auth, region):
    auth.login("anna")
    client.post("/portal/choose", data={"patient_id": region.child.id})
    page = client.get("/portal/access-log").text
    assert "Vem har tittat på uppgifterna om Olle Ek" in page
    assert "Vem har tittat på mina uppgifter" not in page


def staff_event(patient, action: str, object_type: str = "patient") -> None:
    db.session.add(
        AuditEvent(at=datetime(2026, 6, 15, 18, 41, tzinfo=UTC), role="prescriber",
                   action=action, object_type=object_type, patient_id=patient.id)
    )  # fmt: skip
    db.session.commit()


STAFF_ACTIONS = (
    "search",
    "create",
    "worklist",
    "read_returns",
    "read_devices_on_loan",
    "registration_attempt",
    "login_create",
)


def test_a_guardians_access_log_speaks_of_the_child_not_of_you(client, auth, region):
    """The walkthrough: a nurse's search for the child showed the parent
    "Förskrivare ... Sökte fram dig"; it was the child who was looked up."""
    for action in STAFF_ACTIONS:
        staff_event(region.child, action)
    auth.login("anna")
    client.post("/portal/choose", data={"patient_id": region.child.id})
    page = client.get("/portal/access-log").text
    assert "Sökte fram barnet" in page
    assert "Registrerade barnet" in page
    assert "Såg barnet i en arbetslista" in page
    assert " dig" not in page.split("<tbody>")[1], page
    assert "ditt konto" not in page


def test_a_prescription_in_the_access_log_is_called_a_prescription(
    client, auth, region
):
    """The walkthrough: a nurse's new prescription showed the patient
    "Förskrivare ... Registrerade dig", and a cancelled one just "Makulerade"."""
    staff_event(region.patient, "create", "prescription")
    staff_event(region.patient, "cancel", "prescription")
    staff_event(region.patient, "cancel", "order")
    auth.login("ella")
    page = client.get("/portal/access-log").text
    rows = page.split("<tbody>")[1]
    assert "Förskrev ett hjälpmedel" in rows
    assert "Makulerade en förskrivning" in rows
    assert "Makulerade en beställning" in rows
    assert "Registrerade dig" not in rows
    assert "Makulerade<" not in rows


def test_the_patients_access_log_still_says_you(client, auth, region):
    staff_event(region.patient, "search")
    auth.login("ella")
    page = client.get("/portal/access-log").text
    assert "Sökte fram dig" in page and "barnet" not in page


def test_a_guardian_sent_to_choose_a_child_comes_back_to_the_page_they_asked_for(
    client, auth, region
):
    """The walkthrough: "Vem har tittat" before choosing a child asked which
    child, then showed the child's aids, not who had looked."""
    auth.login("anna")
    response = client.get("/portal/access-log")
    assert response.status_code == 302
    choose_url = response.headers["Location"]
    assert "next=" in choose_url
    page = client.get(choose_url).text
    assert 'name="next" value="/portal/access-log"' in page
    response = client.post(
        "/portal/choose",
        data={"patient_id": region.child.id, "next": "/portal/access-log"},
    )
    assert response.headers["Location"].endswith("/portal/access-log")


@pytest.mark.parametrize(
    "target", ["https://elsewhere.example/", "//elsewhere", "/admin/users"]
)
def test_choosing_a_child_goes_back_to_a_portal_page_only(client, auth, region, target):
    auth.login("anna")
    response = client.post(
        "/portal/choose", data={"patient_id": region.child.id, "next": target}
    )
    assert response.headers["Location"].endswith("/portal/")


@pytest.mark.parametrize("collected_on", [None, TODAY])
def test_a_clinic_delivery_is_told_to_the_patient_not_of_the_patient(
    client, auth, region, collected_on
):
    """The walkthrough: the patient read "Patienten har hämtat varan på
    mottagningen" about herself (and "väntar på patienten" before)."""
    order = make_delivery(region.patient, region.rx_infusion, TODAY)
    order.delivery_mode, order.collected_on = "clinic", collected_on
    db.session.commit()
    auth.login("ella")
    for path in ("/portal/", f"/portal/orders/{order.id}"):
        page = client.get(path).text
        assert "Patienten" not in page and "patienten" not in page, path
        if collected_on:
            assert "Varan är hämtad på mottagningen." in page, path
        else:
            assert "Varan har kommit till mottagningen och kan hämtas där." in page


def test_every_portal_page_names_the_child_once(client, auth, region):
    auth.login("anna")
    response = client.post(
        "/portal/choose", data={"patient_id": region.child.id}, follow_redirects=True
    )
    assert response.text.count("Du gör ärenden för Olle Ek") == 1
    for path in ("/portal/", "/portal/orders", "/portal/order", "/portal/access-log"):
        page = client.get(path).text
        assert page.count("Du gör ärenden för Olle Ek") == 1, path


def test_supplies_that_ran_out_ten_days_ago_are_a_warning(client, auth, region):
    # 3 packs of 10 infusion sets, one every third day: 90 days; delivered 100
    # days ago, so they ran out 10 days ago.
    make_delivery(region.patient, region.rx_infusion, TODAY - timedelta(days=100), 3)
    auth.login("ella")
    page = client.get("/portal/").text
    assert 'role="alert"' in page
    assert "Tog slut för 10 dagar sedan." in page
    assert "runout-out" in page
    assert "Beställ nu" in page


def used_up_with_a_renewal_from(region, days: int):
    """Ella's infusion sets: every withdrawal made, the last delivery out ten
    days ago, and a renewal that starts in `days` days."""
    from tests.factories import make_prescription

    old = region.rx_infusion
    make_delivery(region.patient, old, TODAY - timedelta(days=100), 3)
    old.withdrawals_used = old.withdrawals
    old.status = "used_up"
    db.session.commit()
    return make_prescription(
        region.patient, old.article, packs_per_withdrawal=3, renewed_from_id=old.id,
        valid_from=TODAY + timedelta(days=days), valid_to=TODAY + timedelta(days=380),
    )  # fmt: skip


def test_a_used_up_prescription_with_its_renewal_waiting_is_one_row(
    client, auth, region
):
    """The walkthrough: a child out of pods for three days was told twice about
    the same article, once "every order is made, contact the clinic if a new
    prescription is needed" (there was one) and once "next order from 26
    December", which was the renewal's start, not a time lock. Nothing said
    to call the clinic for the weeks in between."""
    renewal = used_up_with_a_renewal_from(region, 20)
    auth.login("ella")
    page = client.get("/portal/").text
    assert page.count("Quick-set 9 mm: Tog slut för 10 dagar sedan.") == 1
    assert "Du har gjort alla beställningar som förskrivningen räcker till" not in page
    start = f"{renewal.valid_from.day} "
    said = re.sub(r"<[^>]+>", " ", page)
    assert "Den nya förskrivningen börjar gälla " + start in " ".join(said.split())
    assert "Kontakta mottagningen om du behöver hjälpmedel innan dess." in page
    form = client.get("/portal/order").text
    assert "Du har gjort alla beställningar som förskrivningen räcker till" not in form
    assert form.count("Den nya förskrivningen börjar gälla") == 1
    rx_page = client.get(f"/portal/prescriptions/{renewal.id}").text
    assert "Förskrivningen gäller från " + start in " ".join(
        re.sub(r"<[^>]+>", " ", rx_page).split()
    )


def renewed_ahead(region, last_order_days_ago: int):
    """Ella's infusion sets: the last order `last_order_days_ago` days ago, a
    delivery then, and a renewal written ahead from the day after the old one
    ends."""
    from tests.factories import make_prescription

    old = region.rx_infusion
    make_delivery(region.patient, old, TODAY - timedelta(days=last_order_days_ago), 3)
    old.withdrawals_used = 2
    old.last_withdrawal_on = TODAY - timedelta(days=last_order_days_ago)
    db.session.commit()
    return make_prescription(
        region.patient, old.article, packs_per_withdrawal=3, renewed_from_id=old.id,
        valid_from=old.valid_to + timedelta(days=1),
        valid_to=old.valid_to + timedelta(days=365),
    )  # fmt: skip


def words(page: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def prescriptions_of(page: str) -> str:
    """The words of "my aids"'s prescriptions, not its devices or orders."""
    return words(page.split('id="rx-heading"')[1].split('id="devices-heading"')[0])


def test_a_renewal_written_ahead_is_told_on_the_card_still_in_force(
    client, auth, region
):
    """The walkthrough: AA batteries had two cards, the old prescription's
    ("next order from 28 January") and the renewal's, which starts in
    November and told the patient to call the clinic about the months before,
    which the old one covers. Now one card, of the prescription ordered on
    next, naming the renewal."""
    renewal = renewed_ahead(region, 10)
    old = region.rx_infusion
    auth.login("ella")
    page = client.get("/portal/").text
    said = prescriptions_of(page)
    assert said.count("Quick-set 9 mm") == 1, said
    opens = old.last_withdrawal_on + timedelta(days=old.lock_days)
    assert f"Nästa beställning kan göras från {opens.day} " in said
    assert "Den nya förskrivningen börjar gälla" not in said
    starts = renewal.valid_from.day
    assert f"Förnyad Den nya förskrivningen gäller från {starts} " in said
    assert f"/portal/prescriptions/{renewal.id}" in page
    assert "innan dess" not in said
    form = words(client.get("/portal/order").text)
    assert "Den nya förskrivningen börjar gälla" not in form
    assert f"Nästa beställning kan göras från {opens.day} " in form


def test_the_reminders_of_a_renewal_written_ahead_are_the_old_cards(region):
    """The third review: the reminder job left the reminding to the renewal as
    soon as it was written, so the mail said the next order could be made from
    the renewal's start, months on, and linked to a prescription the reorder
    form did not list, while the card said the old one could be ordered on."""
    from sesamlike.common.models import OutgoingMail
    from sesamlike.portal.jobs import queue_reminders

    region.patient.email = "ella@example.se"
    renewal = renewed_ahead(region, 10)
    old = region.rx_infusion
    for day in range(120):
        queue_reminders(TODAY + timedelta(days=day))
    mails = db.session.scalars(sa.select(OutgoingMail)).all()
    assert {mail.kind for mail in mails} >= {"time_lock_open"}
    for mail in mails:
        assert f"rx={renewal.id}" not in mail.body, mail.body
        assert f"rx={old.id}" in mail.body, mail.body


def test_a_renewal_the_prescriber_writes_ahead_is_told_on_the_card_in_force(
    client, auth, region
):
    """The walkthrough again, renewed with "Förnya" (`renewals.renew`), which
    carries the old prescription's last withdrawal on to the renewal: the
    renewal read as time-locked, not waiting to start, and had a card of its
    own that told the patient to call the clinic about the months before."""
    from sesamlike.prescriptions import renewals
    from tests.factories import make_user

    old = region.rx_infusion
    make_delivery(region.patient, old, TODAY - timedelta(days=10), 3)
    old.withdrawals_used = 1
    old.last_withdrawal_on = TODAY - timedelta(days=10)
    db.session.commit()
    renewal = renewals.renew(make_user("prescriber", clinics=[region.clinic]), old.id)
    assert renewal.valid_from > TODAY and renewal.last_withdrawal_on is not None
    auth.login("ella")
    said = prescriptions_of(client.get("/portal/").text)
    assert said.count("Quick-set 9 mm") == 1, said
    assert (
        f"Förnyad Den nya förskrivningen gäller från {renewal.valid_from.day} " in said
    )
    assert "innan dess" not in said
    form = words(client.get("/portal/order").text)
    assert form.count("Quick-set 9 mm") == 1, form


def test_a_renewal_speaks_when_the_old_one_cannot_be_ordered_on_before_it(
    client, auth, region
):
    """The old prescription's time lock opens after the renewal starts: the
    next order is on the renewal, so its card is the one shown."""
    old = region.rx_infusion
    old.valid_to = TODAY + timedelta(days=20)
    db.session.commit()
    renewal = renewed_ahead(region, 10)  # the lock opens in 50 days
    auth.login("ella")
    said = prescriptions_of(client.get("/portal/").text)
    assert said.count("Quick-set 9 mm") == 1, said
    assert f"Den nya förskrivningen börjar gälla {renewal.valid_from.day} " in said
    assert "Förnyad" not in said


def test_a_renewal_in_force_leaves_no_card_asking_for_a_new_prescription(
    client, auth, region
):
    """The third review: the old prescription's time lock opens after it ends,
    and the clinic has renewed it already, from yesterday. The old card asked
    the patient to call for a new prescription, above the renewal's "Kan göras
    nu". One card, the renewal's."""
    old = region.rx_infusion
    old.valid_to = TODAY + timedelta(days=20)
    db.session.commit()
    renewal = renewed_ahead(region, 10)  # the lock opens in 50 days
    renewal.valid_from = TODAY - timedelta(days=1)
    db.session.commit()
    auth.login("ella")
    page = client.get("/portal/").text
    said = prescriptions_of(page)
    assert page.count(">Quick-set 9 mm</a></h3>") == 1, said  # one card
    assert "behöver en ny förskrivning" not in said
    assert f"/portal/prescriptions/{renewal.id}" in page


def test_a_time_lock_outlasting_the_prescription_asks_for_a_new_one(
    client, auth, region
):
    """The lock opens after the prescription ends: the card said "next order
    from" a day the prescription no longer holds."""
    old = region.rx_infusion
    old.valid_to = TODAY + timedelta(days=20)
    old.withdrawals_used = 2
    old.last_withdrawal_on = TODAY - timedelta(days=10)
    db.session.commit()
    auth.login("ella")
    said = prescriptions_of(client.get("/portal/").text)
    ends = f"{old.valid_to.day} "
    assert "Nästa beställning kan göras från" not in said
    assert (
        f"Förskrivningen gäller till och med {ends}" in said
        and "Kontakta mottagningen om du behöver en ny förskrivning." in said
    ), said


@pytest.mark.parametrize(
    "status, collected, said",
    [
        ("shipped", False, "Skickad, inte levererad än."),
        ("delivered", False, "Har kommit till mottagningen och kan hämtas där."),
        ("delivered", True, None),  # collected: lent since it was sent
    ],
)
def test_a_lent_pump_on_its_way_is_not_said_to_be_on_loan_since(
    client, auth, region, status, collected, said
):
    """The walkthrough: a warranty swap's new pump read "Lånad sedan 7
    december" in the portal while it was still on its way to the clinic (the
    prescriber's overview said so)."""
    from tests.factories import make_lent_device

    pump = region.rx_pump.article
    order = make_order_line(
        region.patient, pump, status, delivery_mode="clinic",
        delivered_on=TODAY if status == "delivered" else None,
        collected_on=TODAY if collected else None,
    )  # fmt: skip
    make_lent_device(region.patient, pump, "NG7654321H", lent_on=TODAY,
                     reference=order.lines[0].reference)  # fmt: skip
    auth.login("ella")
    page = client.get("/portal/").text
    card = words(page.split("NG7654321H")[1].split("</li>")[0])
    if said:
        assert said in card and "Lånad sedan" not in card, card
    else:
        assert "Lånad sedan" in card and "inte levererad" not in card, card


def test_supplies_lasting_to_the_next_order_get_no_advice_to_call(client, auth, region):
    make_delivery(region.patient, region.rx_reservoir, TODAY - timedelta(days=5), 2)
    region.rx_reservoir.withdrawals_used = 1
    region.rx_reservoir.last_withdrawal_on = TODAY - timedelta(days=5)
    db.session.commit()
    auth.login("ella")
    page = client.get("/portal/").text
    assert "innan dess" not in page


@pytest.mark.parametrize("status", ["reserved", "sent_to_pharmacy", "shipped"])
def test_supplies_already_reordered_raise_no_alarm(client, auth, region, status):
    """Right after reordering, "my aids" still said they had run out, with a
    warning, though the new packs were on their way (the walkthrough)."""
    make_delivery(region.patient, region.rx_infusion, TODAY - timedelta(days=100), 3)
    make_order_line(
        region.patient, region.rx_infusion.article, status,
        prescription_id=region.rx_infusion.id,
    )  # fmt: skip
    auth.login("ella")
    page = client.get("/portal/").text
    assert 'role="alert"' not in page
    assert "Tog slut" not in page
    assert "Det finns en beställning som inte har levererats än." in page


def test_an_order_on_the_renewed_prescription_raises_no_alarm(client, auth, region):
    """The order on its way was placed on the old prescription, then the
    prescriber renewed it: "my aids" shows the renewal, and said its supplies
    had run out, while the reminder job (which follows the renewal) sent no
    reminder for the same reason. Both now follow the renewal."""
    from sesamlike.portal.jobs import _awaiting_delivery
    from tests.factories import make_prescription

    old = make_prescription(
        region.patient, region.rx_infusion.article,
        valid_from=TODAY - timedelta(days=400), valid_to=TODAY - timedelta(days=2),
    )  # fmt: skip
    make_delivery(region.patient, old, TODAY - timedelta(days=100), 3)
    make_order_line(
        region.patient, old.article, "shipped", prescription_id=old.id
    )  # fmt: skip
    renewal = make_prescription(
        region.patient, old.article, renewed_from_id=old.id, valid_from=TODAY
    )
    region.rx_infusion.status = "cancelled"  # the renewal is the only one shown
    db.session.commit()
    assert renewal.id in _awaiting_delivery()  # the reminder job's view
    auth.login("ella")
    page = client.get("/portal/").text
    assert "Tog slut" not in page
    assert 'role="alert"' not in page
    assert "Det finns en beställning som inte har levererats än." in page


def test_an_order_of_another_article_on_the_renewed_one_leaves_the_alarm(
    client, auth, region
):
    """The renewal follows its own article: an order of something else on the
    old prescription is not more of these supplies."""
    from tests.factories import make_prescription

    old = make_prescription(
        region.patient, region.rx_infusion.article,
        valid_from=TODAY - timedelta(days=400), valid_to=TODAY - timedelta(days=2),
    )  # fmt: skip
    make_delivery(region.patient, old, TODAY - timedelta(days=100), 3)
    other = region.rx_reservoir.article
    make_order_line(region.patient, other, "shipped", prescription_id=old.id)
    make_prescription(
        region.patient, old.article, renewed_from_id=old.id, valid_from=TODAY
    )
    region.rx_infusion.status = "cancelled"
    db.session.commit()
    auth.login("ella")
    page = client.get("/portal/").text
    assert "Tog slut för 10 dagar sedan." in page


def test_a_cancelled_reorder_leaves_the_alarm(client, auth, region):
    make_delivery(region.patient, region.rx_infusion, TODAY - timedelta(days=100), 3)
    make_order_line(
        region.patient, region.rx_infusion.article, "cancelled",
        prescription_id=region.rx_infusion.id,
    )  # fmt: skip
    auth.login("ella")
    page = client.get("/portal/").text
    assert "Tog slut för 10 dagar sedan." in page
    assert "Det finns en beställning som inte har levererats än." not in page


def test_supplies_running_out_within_the_reminder_window_are_flagged(
    client, auth, region
):
    make_delivery(region.patient, region.rx_infusion, TODAY - timedelta(days=85), 3)
    auth.login("ella")
    page = client.get("/portal/").text
    assert "Tar slut om 5 dagar." in page
    assert "runout-soon" in page


def test_supplies_far_from_running_out_raise_no_alarm(client, auth, region):
    make_delivery(region.patient, region.rx_infusion, TODAY - timedelta(days=10), 3)
    auth.login("ella")
    page = client.get("/portal/").text
    assert 'role="alert"' not in page
    assert "Tar slut" not in page and "Tog slut" not in page


def test_favicon_is_served_and_linked(client, auth, region):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/vnd.microsoft.icon"
    assert response.data[:4] == b"\x00\x00\x01\x00"  # an ICO header
    page = client.get("/login").text
    assert 'rel="icon"' in page


def log_rows(page: str) -> list[tuple[str, str]]:
    """(Vem, Vad) of each row of the access log's table."""
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    return [
        (cells[1], cells[2])
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
        if len(cells := re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)) == 3
    ]


def own_clicks(user, patient, n: int) -> None:
    for minute in range(n):
        db.session.add(
            AuditEvent(at=datetime(2026, 6, 16, 9, minute, tzinfo=UTC),
                       user_id=user.id, role=user.role, action="read_my_aids",
                       object_type="patient", patient_id=patient.id)
        )  # fmt: skip
    db.session.commit()


def test_the_access_log_shows_who_else_looked_unless_asked_for_everything(
    client, auth, region
):
    """The walkthrough: the one staff read was buried among ~50 rows of the
    patient's own clicks ("Du – Läste Mina hjälpmedel")."""
    for _ in range(51):
        staff_event(region.patient, "read")
    db.session.add(AuditEvent(at=datetime(2026, 6, 15, 3, 0, tzinfo=UTC),
                              action="worklist", object_type="patient",
                              patient_id=region.patient.id))  # fmt: skip
    own_clicks(region.patient_user, region.patient, 60)
    auth.login("ella")

    page = client.get("/portal/access-log").text
    rows = log_rows(page)
    assert len(rows) == 50 and ("Du", "Läste Mina hjälpmedel") not in rows
    assert set(rows) == {("Förskrivare", "Läste personuppgifterna")}
    assert "Sida 1 av 2" in page  # 52 rows of others, not 112 of everyone
    assert 'href="/portal/access-log?show=all"' in page  # see your own too
    older = client.get("/portal/access-log?page=2").text
    assert log_rows(older) == [
        ("Förskrivare", "Läste personuppgifterna"),
        ("Systemet", "Såg dig i en arbetslista"),
    ]
    assert "Sida 2 av 2" in older and "page=3" not in older
    # A page past the last is the last, not "Sida 6 av 2" and "nobody has
    # looked" (the portal walkthrough).
    past = client.get("/portal/access-log?page=6").text
    assert log_rows(past) == log_rows(older) and "Sida 2 av 2" in past

    everything = client.get("/portal/access-log?show=all").text
    assert ("Du", "Läste Mina hjälpmedel") in log_rows(everything)
    assert "Sida 1 av 3" in everything
    assert 'href="/portal/access-log?show=all&amp;page=2"' in everything
    assert 'href="/portal/access-log"' in everything  # back to others only
    last = client.get("/portal/access-log?show=all&page=3").text
    assert ("Systemet", "Såg dig i en arbetslista") in log_rows(last)
    assert "Sida 3 av 3" in last and 'show=all&amp;page=2"' in last


def test_a_guardians_access_log_shows_the_other_guardian_not_their_own_clicks(
    client, auth, region
):
    from tests.factories import make_user

    other = make_user("guardian", patients=[region.child], username="bertil")
    own_clicks(other, region.child, 1)
    own_clicks(region.guardian, region.child, 5)
    auth.login("anna")
    client.post("/portal/choose", data={"patient_id": region.child.id})
    rows = log_rows(client.get("/portal/access-log").text)
    assert rows == [("Vårdnadshavare", "Läste Mina hjälpmedel")]
    everything = log_rows(client.get("/portal/access-log?show=all").text)
    assert ("Du", "Valde att göra ärenden för barnet") in everything
    assert everything.count(("Du", "Läste Mina hjälpmedel")) == 5


def anna_orders_for_the_child(client, auth, region) -> None:
    """The guardian (with an e-mail address) reorders for the child: the
    order's confirmation mail is queued."""
    from tests.portal_data import reorder_form

    region.child.guardians[0].email = "anna@example.se"
    db.session.commit()
    auth.login("anna")
    client.post("/portal/choose", data={"patient_id": region.child.id})
    form = reorder_form([(region.rx_child.id, 1)], action="send")
    assert client.post("/portal/order", data=form).status_code == 302


def test_the_order_mail_reads_as_sent_by_the_system_to_you(client, auth, region):
    """The walkthrough: the automatic order confirmation read "Du – Skickade
    ett meddelande": the guardian sent nothing, the system mailed them."""
    anna_orders_for_the_child(client, auth, region)
    rows = log_rows(client.get("/portal/access-log?show=all").text)
    assert ("Systemet", "Skickade ett meddelande till dig") in rows
    assert ("Du", "Skickade ett meddelande") not in rows
    assert ("Du", "Beställde hjälpmedel") in rows


def test_the_default_log_keeps_the_systems_mails_and_own_login_elsewhere(
    client, auth, region
):
    """Hiding every row of the viewer's login hid the mail the order set off
    (which the page says it shows: "systemet") and any use of the login
    through the API, the one a patient would most want to spot."""
    from sesamlike.accounts import audit

    anna_orders_for_the_child(client, auth, region)
    guardian = region.child.guardians[0].user
    event = audit.record(
        "read_orders", "patient", patient_id=region.child.id,
        object_id=region.child.id, user=guardian,
    )  # fmt: skip
    event.channel = "api"  # as an API request records it
    db.session.commit()
    rows = log_rows(client.get("/portal/access-log").text)
    assert ("Systemet", "Skickade ett meddelande till dig") in rows
    assert ("Du", "Läste beställningar (API)") in rows  # own login, elsewhere
    assert ("Du", "Beställde hjälpmedel") not in rows  # own click on the page


SENT = "Skickade ett meddelande"


@pytest.mark.parametrize(
    "viewer, recipient, said",
    [
        ("ella", "patient", f"{SENT} till dig"),
        ("ella", "prescriber", f"{SENT} om dig till förskrivaren"),
        ("anna", "other_guardian", f"{SENT} till en annan vårdnadshavare"),
        ("anna", "prescriber", f"{SENT} om barnet till förskrivaren"),
        ("anna", "unknown", SENT),
    ],
)
def test_a_mail_in_the_access_log_says_the_system_sent_it_and_to_whom(
    client, auth, region, viewer, recipient, said
):
    from sesamlike.patients.models import Guardian

    patient = region.patient if viewer == "ella" else region.child
    to = {
        "patient": f"patient:{patient.id}",
        "prescriber": "user:99",
        "other_guardian": "guardian:9999",
    }.get(recipient)
    if recipient == "other_guardian":
        db.session.add(Guardian(id=9999, patient_id=patient.id, name="Bertil Ek"))
    db.session.add(
        AuditEvent(at=datetime(2026, 6, 15, 3, 0, tzinfo=UTC), role="depot",
                   action="mail_queued", object_type="outgoing_mail",
                   patient_id=patient.id,
                   detail=f"order_shipped to {to}" if to else None)
    )  # fmt: skip
    db.session.commit()
    auth.login(viewer)
    if viewer == "anna":
        client.post("/portal/choose", data={"patient_id": patient.id})
    rows = log_rows(client.get("/portal/access-log").text)
    assert rows == [("Systemet", said)]


def test_a_shipment_through_the_api_is_one_row_and_its_mail_the_systems(
    client, auth, region, runner
):
    """The walkthrough: one ship call showed as two rows "Skickade en beställning
    (API)", and the mail it set off as "(API)", which the page says means the
    viewer's own login used outside the e-service."""
    import sqlalchemy as sa

    from sesamlike.orders.models import Order
    from tests.factories import make_user

    anna_orders_for_the_child(client, auth, region)
    order = db.session.scalar(
        sa.select(Order).where(Order.patient_id == region.child.id)
    )
    make_user("depot", username="lager.api")
    token = runner.invoke(args=["users", "token", "lager.api"]).output.split()[-1]
    shipped = client.post(
        f"/api/v1/orders/{order.id}/ship", json={},
        headers={"Authorization": f"Bearer {token}"},
    )  # fmt: skip
    assert shipped.status_code == 200, shipped.get_data(as_text=True)
    rows = log_rows(client.get("/portal/access-log").text)
    shipped = [what for _who, what in rows if "Skickade en beställning" in what]
    assert shipped == ["Skickade en beställning (API)"]
    mails = [what for who, what in rows if who == "Systemet"]
    assert mails and all("(API)" not in what for what in mails)


def test_the_access_log_stacks_its_rows_on_a_phone(client, auth, region):
    """The walkthrough: at 390 px the "Vad" column was cut off ("Skickade er…")
    and the time wrapped onto three lines. Each row is a card there, every
    value under its column's name."""
    anna_orders_for_the_child(client, auth, region)
    page = client.get("/portal/access-log?show=all").text
    table = page.split('<div class="table-wrap">')[1].split("</table>")[0]
    assert '<table class="stack">' in table
    cells = re.findall(r"<td([^>]*)>", table.split("<tbody>")[1])
    assert cells and all("data-label=" in attrs for attrs in cells)


def test_a_patients_access_log_speaks_of_no_other_guardians(client, auth, region):
    """The walkthrough: an adult patient's log said it showed what "andra
    vårdnadshavare" did; a patient has none."""
    auth.login("ella")
    page = client.get("/portal/access-log").text
    assert (
        "vårdnadshavare" not in page.split('class="log-filter"')[1].split("</nav>")[0]
    )
    auth.logout()
    auth.login("anna")
    client.post("/portal/choose", data={"patient_id": region.child.id})
    guardian = client.get("/portal/access-log").text
    assert "andra vårdnadshavare" in guardian


def test_an_order_page_says_delivered_and_its_sentence_once(client, auth, region):
    """The walkthrough: "Levererad · Levererad 2 december 2026", and a
    one-line order's sentence twice (the order's and the line's)."""
    from sesamlike.common.formatting import format_date

    day = TODAY - timedelta(days=3)
    order = make_delivery(region.patient, region.rx_infusion, day)
    auth.login("ella")
    page = client.get(f"/portal/orders/{order.id}").text
    lines = page.split("<h2>Innehåll</h2>")[1]
    assert f"Levererad {format_date(day)}" not in lines
    assert format_date(day) in lines
    sentences = re.findall(r'<p class="meta">([^<]+)</p>', lines)
    status = page.split('class="status">')[1].split("</dd>")[0]
    assert not any(s.strip() and s.strip() in status for s in sentences), sentences


def test_a_prescription_that_ran_out_stays_on_my_aids_saying_whom_to_ask(
    client, auth, region
):
    """The walkthrough: the battery caps' prescription ended yesterday and
    their card vanished from "my aids" without a word (a used-up one keeps its
    card and says to contact the clinic). It stays for 90 days, saying so;
    a new prescription of the article takes its place."""
    from sesamlike.common.formatting import format_date
    from tests.factories import make_prescription

    rx = region.rx_reservoir
    rx.valid_from = TODAY - timedelta(days=400)
    rx.valid_to = TODAY - timedelta(days=1)
    db.session.commit()
    auth.login("ella")
    said = (f"Förskrivningen gick ut {format_date(rx.valid_to)}. Kontakta "
            "mottagningen om du behöver en ny.")  # fmt: skip
    page = html.unescape(client.get("/portal/").text)
    assert rx.article.name in page and said in page

    rx.valid_to = TODAY - timedelta(days=91)
    db.session.commit()
    assert rx.article.name not in client.get("/portal/").text

    rx.valid_to = TODAY - timedelta(days=10)
    make_prescription(region.patient, rx.article, valid_from=TODAY)
    db.session.commit()
    page = html.unescape(client.get("/portal/").text)
    assert page.count(f">{rx.article.name}</a></h3>") == 1
    assert "Förskrivningen gick ut" not in page


def test_the_access_log_says_what_staff_read_not_just_that_they_read(
    client, auth, region
):
    """The portal walkthrough: 135 of 227 rows said only "Läste uppgifter",
    whether a nurse had opened the patient's details, prescriptions or a new
    order. Each page read is now said in its own words, to the patient and,
    of the child, to the guardian."""
    from tests.factories import make_user

    nurse = make_user("prescriber", clinics=[region.clinic])
    auth.login(nurse.username)
    for patient in (region.patient, region.child):
        for page in ("", "/overview", "/prescriptions", "/prescriptions/new",
                     "/orders/new"):  # fmt: skip
            assert client.get(f"/patients/{patient.id}{page}").status_code == 200
    client.post("/logout")

    who = "Förskrivare, Barndiabetesmottagningen"
    expected = {
        (who, "Läste personuppgifterna"),
        (who, "Läste översikten över hjälpmedlen"),
        (who, "Läste förskrivningarna"),
        (who, "Började en ny förskrivning"),
        (who, "Började en ny beställning"),
    }
    auth.login("ella")
    assert set(log_rows(client.get("/portal/access-log").text)) == expected
    client.post("/logout")
    auth.login("anna")
    client.post("/portal/choose", data={"patient_id": region.child.id})
    assert set(log_rows(client.get("/portal/access-log").text)) == expected


def test_an_expired_pump_prescription_says_it_ran_out_not_how_pumps_are_ordered(
    client, auth, region
):
    """The diff review: an ended prescription of the pump said "lånas ut och
    beställs av din förskrivare", as if it could still be ordered that way;
    it ended, and that is what to say."""
    from sesamlike.common.formatting import format_date

    rx = region.rx_pump
    rx.valid_from = TODAY - timedelta(days=400)
    rx.valid_to = TODAY - timedelta(days=3)
    db.session.commit()
    auth.login("ella")
    page = html.unescape(client.get("/portal/").text)
    card = page.split(f">{rx.article.name}</a></h3>")[1].split("</li>")[0]
    assert (f"Förskrivningen gick ut {format_date(rx.valid_to)}. Kontakta "
            "mottagningen om du behöver en ny.") in card  # fmt: skip
    assert "beställs av din förskrivare" not in card


def test_a_prescriptions_page_names_the_category_as_the_catalogue_does(
    client, auth, region
):
    """ "Kategori", the catalogue's word, not "Sort"."""
    auth.login("ella")
    said = words(client.get(f"/portal/prescriptions/{region.rx_infusion.id}").text)
    assert "Kategori Infusionsset" in said, said
    assert "Sort" not in said
