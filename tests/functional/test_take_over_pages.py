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
    make_patient,
    make_prescription,
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
