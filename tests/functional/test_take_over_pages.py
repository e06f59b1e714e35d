"""The prescriptions page of a patient who moved here offers to take over the
old clinic's prescriptions, one or all at once."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest

from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.prescriptions.models import Prescription
from tests.factories import (
    make_article,
    make_clinic,
    make_depot,
    make_patient,
    make_prescription,
    make_stock_lot,
    make_user,
)
from tests.integration.test_followup_truth import move_clinic


def text_of(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.text)).split())


@pytest.fixture
def moved():
    today = region_today()
    old = make_clinic("NORR", name="Diabetesmottagningen Norr")
    new = make_clinic("SODR", name="Diabetesmottagningen Syd")
    patient = make_patient(old)
    begun = today - timedelta(days=30)
    sets = make_prescription(patient, make_article(name="Quick-set 6 mm"),
                             clinic=old, valid_from=begun)  # fmt: skip
    reservoirs = make_prescription(patient, make_article(name="Reservoar 3 ml"),
                                   clinic=old, valid_from=begun)  # fmt: skip
    move_clinic(patient, new, today)
    make_user("prescriber", clinics=[new], username="syd")
    return patient, sets, reservoirs, new


def test_the_page_offers_the_old_clinics_prescriptions_to_take_over(
    client, auth, moved
):
    patient, sets, _reservoirs, _new = moved
    auth.login("syd")

    page = text_of(client.get(f"/patients/{patient.id}/prescriptions"))

    assert (
        "2 förskrivningar är utfärdade av en annan mottagning, som betalar det som "
        "levereras på dem. Ta över dem så står Diabetesmottagningen Syd för det som "
        "beställs från i dag"
    ) in page
    assert "Ta över alla 2" in page
    assert (
        "Diabetesmottagningen Syd står för det som beställs på förskrivningen från i "
        "dag. Uttagen som är kvar, spärrtiden och giltigheten följer med. Det som "
        "redan är beställt betalas av Diabetesmottagningen Norr."
    ) in page


def test_taking_over_one_says_so_and_the_offer_shrinks(client, auth, moved):
    patient, sets, _reservoirs, _new = moved
    auth.login("syd")

    response = client.post(
        f"/patients/{patient.id}/prescriptions/{sets.id}/take-over",
        follow_redirects=True,
    )

    page = text_of(response)
    assert (
        "Diabetesmottagningen Syd har tagit över förskrivningen av Quick-set 6 mm"
    ) in page
    assert "1 förskrivning är utfärdad av en annan mottagning" in page
    assert "Ta över förskrivningen" in page
    db.session.expire_all()
    assert db.session.get(Prescription, sets.id).valid_to < region_today()


def test_taking_over_all_leaves_nothing_to_offer(client, auth, moved):
    patient, sets, reservoirs, new = moved
    auth.login("syd")

    response = client.post(
        f"/patients/{patient.id}/prescriptions/take-over", follow_redirects=True
    )

    page = text_of(response)
    assert "2 förskrivningar är er mottagnings från i dag." in page
    assert "annan mottagning" not in page and "Ta över" not in page
    current = db.session.query(Prescription).filter(
        Prescription.valid_to >= region_today()
    )
    assert {rx.clinic_id for rx in current} == {new.id}


def test_the_old_clinics_nurse_is_not_offered_to_take_over_its_own(client, auth, moved):
    """A prescriber of both clinics (or of the old one, still caring) has
    nothing to take over."""
    patient, _sets, _reservoirs, new = moved
    old = db.session.get(type(new), moved[1].clinic_id)
    make_user("prescriber", clinics=[old, new], username="both")
    auth.login("both")

    page = text_of(client.get(f"/patients/{patient.id}/prescriptions"))

    assert "Ta över" not in page


def test_the_api_takes_over_and_answers_with_the_new_prescription(client, moved):
    from sesamlike.accounts.models import User
    from tests.functional.test_api_prescriptions import assert_error, bearer

    patient, sets, _reservoirs, new = moved
    headers = bearer(db.session.query(User).filter_by(username="syd").one())

    response = client.post(
        f"/api/v1/prescriptions/{sets.id}/take-over", headers=headers
    )

    assert response.status_code == 201
    data = response.get_json()
    assert data["renewed_from_id"] == sets.id
    assert data["valid_from"] == region_today().isoformat()
    again = client.post(f"/api/v1/prescriptions/{sets.id}/take-over", headers=headers)
    assert_error(again, 409, "prescription_not_active")
    taken = client.post(
        f"/api/v1/prescriptions/{data['id']}/take-over", headers=headers
    )
    assert_error(taken, 409, "prescription_already_own_clinic")


def ordered_before(patient, rx) -> int:
    """The patient's order of `rx` (one withdrawal), placed before the take-over."""
    from sesamlike.orders import services as ordering

    make_stock_lot(rx.article, make_depot(), on_hand=10)
    own = make_user("patient", patients=[patient])
    return ordering.place_order(own, patient.id, [(rx.id, 1)], "home").order.id


def row_of(response, rx_id: int) -> str:
    row = re.search(rf'<tr id="rx-{rx_id}">(.*?)</tr>', response.text, re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", row.group(1))).split())


def test_an_order_cancelled_on_the_page_after_the_take_over_is_the_takers_again(
    client, auth, moved
):
    """Ordered on the old clinic's prescription, taken over, then cancelled:
    the withdrawal is the new prescription's, open today, not the old one's,
    which has ended."""
    patient, sets, _reservoirs, _new = moved
    order_id = ordered_before(patient, sets)
    auth.login("syd")
    client.post(f"/patients/{patient.id}/prescriptions/{sets.id}/take-over")
    new = db.session.scalars(
        db.select(Prescription).filter_by(renewed_from_id=sets.id)
    ).one()
    assert (new.withdrawals, new.next_withdrawal_on) == (
        3,
        region_today() + timedelta(days=60),
    )

    done = client.post(f"/orders/{order_id}/cancel", follow_redirects=True)

    assert "Beställningen är makulerad." in text_of(done)
    db.session.expire_all()
    new, old = (
        db.session.get(Prescription, new.id),
        db.session.get(Prescription, sets.id),
    )
    assert (new.withdrawals, new.withdrawals_used, new.last_withdrawal_on) == (
        4,
        0,
        None,
    )
    assert (old.withdrawals_used, old.taken_over_by_id) == (0, new.id)
    page = client.get(f"/patients/{patient.id}/prescriptions")
    row = row_of(page, new.id)
    assert "4 av 4" in row and "uttag kan göras nu" in row


def test_the_api_gives_the_withdrawal_of_an_order_cancelled_after_to_the_taker(
    client, moved
):
    from sesamlike.accounts.models import User
    from tests.functional.test_api_prescriptions import bearer

    patient, sets, _reservoirs, _new = moved
    order_id = ordered_before(patient, sets)
    headers = bearer(db.session.query(User).filter_by(username="syd").one())
    taken = client.post(f"/api/v1/prescriptions/{sets.id}/take-over", headers=headers)
    new = taken.get_json()
    assert (new["withdrawals"], new["taken_over_by_id"]) == (3, None)

    cancelled = client.post(f"/api/v1/orders/{order_id}/cancel", headers=headers)

    assert cancelled.status_code == 200, cancelled.get_json()
    now = client.get(f"/api/v1/prescriptions/{new['id']}", headers=headers).get_json()
    today = region_today().isoformat()
    assert (now["withdrawals"], now["remaining_withdrawals"]) == (4, 4)
    assert (now["last_withdrawal_on"], now["next_withdrawal_on"]) == (None, today)
    old = client.get(f"/api/v1/prescriptions/{sets.id}", headers=headers).get_json()
    assert (old["taken_over_by_id"], old["withdrawals_used"]) == (new["id"], 0)
    assert old["status"] == "expired"


def test_the_old_and_the_new_prescription_name_each_other_not_as_a_renewal(
    client, auth, moved
):
    patient, sets, _reservoirs, _new = moved
    auth.login("syd")
    client.post(f"/patients/{patient.id}/prescriptions/{sets.id}/take-over")
    new = db.session.scalars(
        db.select(Prescription).filter_by(renewed_from_id=sets.id)
    ).one()

    page = client.get(f"/patients/{patient.id}/prescriptions?show=all")

    assert "Övertagen från Diabetesmottagningen Norr" in row_of(page, new.id)
    assert "Förnyelse av" not in row_of(page, new.id)
    assert "Övertagen av Diabetesmottagningen Syd" in row_of(page, sets.id)
    assert f'href="#rx-{new.id}"' in page.text and f'href="#rx-{sets.id}"' in page.text
