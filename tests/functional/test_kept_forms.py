"""A new-prescription or order form sent after the login ran out is filled in
again after the next login: for the same user in the same browser, once, and
within minutes; never for anyone else."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from sesamlike.accounts.models import UserSession
from sesamlike.common.time import region_today, utcnow
from sesamlike.extensions import db
from sesamlike.orders.models import Order
from sesamlike.prescriptions.models import Prescription
from tests.conftest import PASSWORD, csrf_token_from
from tests.factories import (
    make_article,
    make_clinic,
    make_patient,
    make_prescribed,
    make_prescription,
    make_user,
)

TODAY = region_today()
KEPT_ON_LOGIN = "formuläret fylls i med det du skrev"
FILLED_IN = "Det du fyllde i innan inloggningen gick ut är ifyllt igen."


@pytest.fixture
def world(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    clinic = make_clinic("OWN", cost_centre="KS1001")
    nurse = make_user("prescriber", clinics=[clinic], username="nurse")
    other = make_user("prescriber", clinics=[clinic], username="other")
    patient = make_patient(clinic)
    make_article("100101", name="Quick-set", procured=False)
    return {"nurse": nurse, "other": other, "patient": patient, "clinic": clinic}


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def log_in(client, username: str, next_url: str | None = None):
    token = csrf_token_from(client.get("/login").text)
    url = "/login" + (f"?next={next_url}" if next_url else "")
    return client.post(
        url, data={"username": username, "password": PASSWORD, "csrf_token": token}
    )


def run_out_the_login() -> None:
    idle = timedelta(minutes=31)
    db.session.execute(sa.update(UserSession).values(last_seen_at=utcnow() - idle))
    db.session.commit()


def new_url(patient) -> str:
    return f"/patients/{patient.id}/prescriptions/new"


def typed(token: str, **kw) -> dict:
    return {
        "csrf_token": token,
        "article_no": "100101",
        "packs_per_withdrawal": "7",
        "withdrawals": "4",
        "period_days": "90",
        "valid_from": TODAY.isoformat(),
        "valid_to": "",
        "lock_days": "",
        "reason_code": "medical",
        "reason_text": "Hudproblem av plåstret på den upphandlade",
        "clinic_code": "OWN",
        "cost_centre": "",
        "quantity_confirmed": "y",
        **kw,
    }


def send_after_run_out(client, world) -> str:
    """Log in, open the form, let the login run out and send the form."""
    log_in(client, "nurse")
    form = client.get(new_url(world["patient"]))
    run_out_the_login()
    sent = client.post(
        new_url(world["patient"]), data=typed(csrf_token_from(form.text))
    )
    assert sent.status_code == 302
    return sent.headers["Location"]


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def kept() -> int:
    from sesamlike.accounts.models import KeptForm

    return count(KeptForm)


def test_a_prescription_sent_after_the_login_ran_out_is_filled_in_again(client, world):
    """The nurse typed the prescription, the reason and the motivation, and
    after logging in again found an empty form: all of it to type again."""
    login_page = client.get(send_after_run_out(client, world))
    assert KEPT_ON_LOGIN in text_of(login_page)
    assert count(Prescription) == 0
    back = log_in(client, "nurse", next_url=new_url(world["patient"]))
    page = text_of(client.get(back.headers["Location"]))
    assert FILLED_IN in page
    assert 'value="7"' in page
    assert "Hudproblem av plåstret på den upphandlade" in page
    assert '<option selected value="medical">' in page
    # A tick confirming what a rule asked is asked again, not carried over.
    assert 'name="quantity_confirmed"' not in page
    assert count(Prescription) == 0
    # Once: dropped as it is used.
    again = text_of(client.get(new_url(world["patient"])))
    assert FILLED_IN not in again and "Hudproblem av plåstret" not in again
    assert kept() == 0


def test_another_user_logging_in_in_the_same_browser_does_not_get_it(client, world):
    send_after_run_out(client, world)
    log_in(client, "other")
    page = text_of(client.get(new_url(world["patient"])))
    assert FILLED_IN not in page and "Hudproblem av plåstret" not in page
    # Nor does the nurse, logging in after the other user's session there.
    client.post("/logout", data={"csrf_token": csrf_token_from(page)})
    log_in(client, "nurse")
    page = text_of(client.get(new_url(world["patient"])))
    assert "Hudproblem av plåstret" not in page


def test_the_same_user_in_another_browser_does_not_get_it(app, client, world):
    send_after_run_out(client, world)
    elsewhere = app.test_client()
    log_in(elsewhere, "nurse")
    page = text_of(elsewhere.get(new_url(world["patient"])))
    assert "Hudproblem av plåstret" not in page


def test_a_form_kept_longer_than_a_few_minutes_is_not_filled_in(client, world):
    send_after_run_out(client, world)
    db.session.execute(
        sa.text("UPDATE kept_forms SET kept_at = :at"),
        {"at": utcnow() - timedelta(minutes=16)},
    )
    db.session.commit()
    log_in(client, "nurse")
    page = text_of(client.get(new_url(world["patient"])))
    assert "Hudproblem av plåstret" not in page


def test_a_form_whose_token_did_not_match_is_not_kept(client, world):
    log_in(client, "nurse")
    client.get(new_url(world["patient"]))
    run_out_the_login()
    sent = client.post(new_url(world["patient"]), data=typed("forged"))
    assert sent.status_code == 302
    assert kept() == 0


def test_a_form_sent_to_another_page_stays_unkept(client, world):
    """Only the pages that ask for it keep their forms (the register form does
    not: its identity numbers are not kept)."""
    log_in(client, "nurse")
    form = client.get("/patients/new")
    run_out_the_login()
    client.post(
        "/patients/new",
        data={"csrf_token": csrf_token_from(form.text), "first_name": "Anna"},
    )
    assert kept() == 0


def test_an_order_sent_after_the_login_ran_out_is_filled_in_again(client, world):
    made = make_prescribed(
        world["clinic"],
        make_article("INF-9"),
        prescriber=world["nurse"],
        patient=world["patient"],
        packs_per_withdrawal=3,
    )
    second = make_prescription(world["patient"], make_article("RES-1"))
    url = f"/patients/{world['patient'].id}/orders/new"
    log_in(client, "nurse")
    form = client.get(url)
    run_out_the_login()
    rows = {
        made.rx.id: ("y", "2"),  # ticked, 2 of 3 packs
        second.id: (None, "1"),  # left out
    }
    data = {"csrf_token": csrf_token_from(form.text), "delivery_mode": "clinic",
            "idempotency_key": "k"}  # fmt: skip
    for index, (pid, (selected, packs)) in enumerate(rows.items()):
        data[f"lines-{index}-prescription_id"] = str(pid)
        data[f"lines-{index}-packs"] = packs
        if selected:
            data[f"lines-{index}-selected"] = selected
    sent = client.post(url, data=data)
    assert sent.status_code == 302 and count(Order) == 0
    log_in(client, "nurse")
    page = text_of(client.get(url))
    assert FILLED_IN in page
    assert 'value="2"' in page
    assert re.search(
        r'<input checked id="delivery_mode-\d+" [^>]*value="clinic">', page
    )
    assert 'checked id="lines-0-selected"' in page
    assert 'checked id="lines-1-selected"' not in page


def test_a_form_sent_after_the_cookie_aged_past_the_timeout_is_kept(
    client, world, monkeypatch
):
    """The walkthrough: a guardian and a prescriber sent their forms after 31
    idle minutes in a real browser and logged in again to empty forms, told
    nothing was kept. The cookie lived exactly the 30 minutes: the browser
    had dropped it (and Flask refused one that old), so the server never saw
    which session ran out. The cookie now lives the idle minutes and the
    minutes a form is kept."""
    from itsdangerous.timed import TimestampSigner

    log_in(client, "nurse")
    form = client.get(new_url(world["patient"]))
    expires = client.get_cookie("session").expires
    assert expires - utcnow().astimezone(expires.tzinfo) >= timedelta(minutes=30 + 14)
    run_out_the_login()
    # The browser sends the cookie 31 minutes after it was signed (and signs
    # and reads cookies on that clock from then on).
    now = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp",
                        lambda self: now(self) + 31 * 60)  # fmt: skip
    data = typed(csrf_token_from(form.text))
    sent = client.post(new_url(world["patient"]), data=data)
    assert KEPT_ON_LOGIN in text_of(client.get(sent.headers["Location"]))
    back = log_in(client, "nurse", next_url=new_url(world["patient"]))
    page = text_of(client.get(back.headers["Location"]))
    assert FILLED_IN in page and "Hudproblem av plåstret på den upphandlade" in page


# The portal's reorder form: a parent at night on a phone -------------------------


@pytest.fixture
def family(app, monkeypatch):
    from tests.portal_data import make_region

    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    region = make_region()
    region.sibling = make_patient(region.clinic, first_name="Lisa", last_name="Ek",
                                  birth_date=region.child.birth_date)  # fmt: skip
    make_prescription(region.sibling, region.infusion)
    from sesamlike.patients.models import Guardian

    db.session.add(Guardian(patient=region.sibling, user=region.guardian,
                            name="Anna Ek"))  # fmt: skip
    db.session.commit()
    return region


def any_csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def reorder_sent_after_run_out(client, username, rx, **contact) -> str:
    from tests.portal_data import reorder_form

    form = client.get("/portal/order")
    assert form.status_code == 200
    run_out_the_login()
    data = reorder_form([(rx.id, 2)], action="send", **contact)
    sent = client.post("/portal/order", data=data | {
        "csrf_token": csrf_token_from(form.text)})  # fmt: skip
    assert sent.status_code == 302 and count(Order) == 0
    return sent.headers["Location"]


def test_a_reorder_sent_after_the_login_ran_out_is_filled_in_again(client, family):
    """The portal walkthrough: a parent who fills in the reorder, puts the
    child to bed and sends it 31 minutes later found an empty form after
    logging in: the new address, the door code and the packs all gone."""
    log_in(client, "ella")
    login_page = client.get(reorder_sent_after_run_out(
        client, "ella", family.rx_infusion, street="Nya vägen 7", door_code="9911",
    ))  # fmt: skip
    assert KEPT_ON_LOGIN in text_of(login_page)
    back = log_in(client, "ella", next_url="/portal/order")
    page = text_of(client.get(back.headers["Location"]))
    assert FILLED_IN in page
    assert 'value="Nya vägen 7"' in page and 'value="9911"' in page
    index = re.search(
        rf'name="lines-(\d+)-prescription_id" type="hidden" '
        rf'value="{family.rx_infusion.id}"', page,
    ).group(1)  # fmt: skip
    packs = re.search(rf'<input [^>]*name="lines-{index}-packs"[^>]*>', page)
    assert 'value="2"' in packs.group(0)  # 2 of 3, as typed
    assert count(Order) == 0  # asked again: nothing sent behind the parent's back
    again = text_of(client.get("/portal/order"))
    assert FILLED_IN not in again and "Nya vägen 7" not in again


def test_a_childs_kept_reorder_does_not_fill_in_another_childs_form(client, family):
    """A guardian who chooses the other child after logging in again does not
    get the first child's packs and address in that child's form."""
    log_in(client, "anna")
    client.post("/portal/choose", data={
        "patient_id": family.child.id,
        "csrf_token": any_csrf_token(client.get("/portal/choose").text)})  # fmt: skip
    reorder_sent_after_run_out(client, "anna", family.rx_child, street="Nya vägen 7")
    log_in(client, "anna")
    client.post("/portal/choose", data={
        "patient_id": family.sibling.id,
        "csrf_token": any_csrf_token(client.get("/portal/choose").text)})  # fmt: skip
    page = text_of(client.get("/portal/order"))
    assert FILLED_IN not in page and "Nya vägen 7" not in page
