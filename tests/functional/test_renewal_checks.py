"""A renewal passes the checks a new prescription gets: on the page a quantity
above the expected use is confirmed (its start is worked out, not typed, so
it is not), and no page renewal starts more than two years ahead (the API
takes the start as given, as for a new prescription)."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
import sqlalchemy as sa

from sesamlike.accounts.models import AuditEvent
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.prescriptions.models import Prescription
from sesamlike.prescriptions.rules import add_years
from tests.conftest import csrf_token_from
from tests.factories import (
    make_article,
    make_clinic,
    make_patient,
    make_prescription,
    make_pump_user,
    make_system,
    make_user,
)
from tests.functional.test_api_basics import bearer

TODAY = region_today()
TOO_FAR_AHEAD = (
    "Förskrivningen får börja gälla högst två år fram i tiden. Välj ett tidigare "
    "startdatum."
)


@pytest.fixture
def setup():
    clinic = make_clinic("OWN", cost_centre="KS1001")
    nurse = make_user("prescriber", clinics=[clinic], username="nurse")
    patient = make_patient(clinic)
    system = make_system("MiniMed 640G")
    make_pump_user(patient, systems=[system])
    # 10 a pack, one every third day: about 3 packs in 90 days.
    article = make_article("100101", name="Quick-set", systems=[system])
    return {"nurse": nurse, "patient": patient, "article": article}


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def renew_url(rx) -> str:
    return f"/patients/{rx.patient_id}/prescriptions/{rx.id}/renew"


def renewals(rx) -> list[Prescription]:
    return db.session.scalars(
        sa.select(Prescription).where(Prescription.renewed_from_id == rx.id)
    ).all()


def changes() -> int:
    return db.session.scalar(
        sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action != "read")
    )


def test_renewing_a_quantity_above_expected_use_asks_to_confirm_it(client, auth, setup):
    """The renew button wrote 5 packs a withdrawal again (50 sets for 90 days
    of one every third day) with no question, where a new prescription of the
    same asks the prescriber to confirm the quantity."""
    old = make_prescription(
        setup["patient"], setup["article"], packs_per_withdrawal=5, withdrawals_used=4
    )
    before = changes()
    auth.login("nurse")
    response = client.post(renew_url(old))
    assert response.status_code == 422
    page = text_of(response)
    assert "5 per uttag räcker till mer än 1,5 gånger förväntad användning" in page
    assert "Mer än 1,5 gånger förväntad användning." in page
    assert "Mängden är kontrollerad och stämmer" in page
    assert 'name="quantity_confirmed"' in page
    assert renewals(old) == [] and changes() == before
    confirmed = client.post(
        renew_url(old), data={"quantity_confirmed": "y"}, follow_redirects=True
    )
    assert "Förskrivningen av Quick-set är förnyad" in text_of(confirmed)
    [renewal] = renewals(old)
    assert renewal.packs_per_withdrawal == 5


def test_a_renewal_to_confirm_asks_for_nothing_its_page_cannot_change(
    client, auth, setup
):
    """The renew page shows the old terms and cannot change them: its question
    said "Minska mängden" (and "Förläng spärrtiden") as a new prescription's
    page does. It says what this page can do: confirm, or write a new
    prescription."""
    old = make_prescription(
        setup["patient"],
        setup["article"],
        packs_per_withdrawal=5,
        withdrawals_used=4,
    )
    auth.login("nurse")
    page = text_of(client.post(renew_url(old)))
    assert "5 per uttag räcker till mer än 1,5 gånger förväntad användning" in page
    assert "Minska mängden" not in page
    assert (
        "Bekräfta att den stämmer, eller skriv en ny förskrivning med en mindre "
        "mängd." in page
    )


def test_a_renewal_with_a_short_time_lock_asks_for_nothing_its_page_cannot_change(
    client, auth, setup
):
    short_lock = make_prescription(
        setup["patient"], setup["article"], lock_days=10, withdrawals_used=4
    )
    auth.login("nurse")
    page = text_of(client.post(renew_url(short_lock)))
    assert "spärrtid kortare än halva perioden" in page
    assert "Förläng spärrtiden" not in page
    assert (
        "Bekräfta att den stämmer, eller skriv en ny förskrivning med en längre "
        "spärrtid." in page
    )


def test_renewing_early_starts_the_day_after_the_old_one_ends_without_a_question(
    client, auth, setup
):
    """The renewal's start is worked out (the day after the old one ends), not
    typed: a renewal at a visit 200 days before the end is routine, and
    nothing is asked about a date the nurse never wrote."""
    old = make_prescription(
        setup["patient"],
        setup["article"],
        valid_from=TODAY - timedelta(days=164),
        valid_to=TODAY + timedelta(days=200),
    )
    auth.login("nurse")
    response = client.post(renew_url(old))
    assert response.status_code == 302
    [renewal] = renewals(old)
    assert renewal.valid_from == TODAY + timedelta(days=201)


def test_an_early_renewal_above_the_expected_use_asks_about_the_quantity_alone(
    client, auth, setup
):
    old = make_prescription(
        setup["patient"],
        setup["article"],
        packs_per_withdrawal=5,
        valid_from=TODAY - timedelta(days=164),
        valid_to=TODAY + timedelta(days=200),
    )
    auth.login("nurse")
    page = text_of(client.post(renew_url(old)))
    assert 'name="quantity_confirmed"' in page
    assert 'name="start_confirmed"' not in page
    assert "Mer än 90 dagar fram i tiden." not in page
    assert renewals(old) == []
    client.post(renew_url(old), data={"quantity_confirmed": "y"})
    assert len(renewals(old)) == 1


def test_a_renewal_within_the_usual_terms_is_saved_at_once(client, auth, setup):
    old = make_prescription(setup["patient"], setup["article"], withdrawals_used=4)
    auth.login("nurse")
    response = client.post(renew_url(old))
    assert response.status_code == 302
    assert len(renewals(old)) == 1


def test_the_confirmation_page_carries_the_csrf_token(
    app, monkeypatch, client, auth, setup
):
    old = make_prescription(
        setup["patient"], setup["article"], packs_per_withdrawal=5, withdrawals_used=4
    )
    auth.login("nurse")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert client.post(renew_url(old)).status_code == 400
    listing = text_of(client.get(f"/patients/{old.patient_id}/prescriptions"))
    asked = client.post(renew_url(old), data={"csrf_token": csrf_token_from(listing)})
    assert asked.status_code == 422
    token = csrf_token_from(text_of(asked))
    client.post(renew_url(old), data={"csrf_token": token, "quantity_confirmed": "y"})
    assert len(renewals(old)) == 1


def test_a_page_renewal_more_than_two_years_ahead_is_refused(client, auth, setup):
    """A prescription the API wrote to start in three years renewed from the
    day after it ends, four years ahead: no page writes such a start."""
    start = add_years(TODAY, 3)
    old = make_prescription(
        setup["patient"],
        setup["article"],
        valid_from=start,
        valid_to=add_years(start, 1) - timedelta(days=1),
    )
    auth.login("nurse")
    page = text_of(client.post(renew_url(old), follow_redirects=True))
    assert TOO_FAR_AHEAD in page
    assert renewals(old) == []


def test_api_renewal_takes_a_start_years_ahead_as_given(client, setup):
    """interfaces.md sets no limit on valid_from, and POST /prescriptions
    records a start years ahead as given: its renewal does the same."""
    old = make_prescription(setup["patient"], setup["article"])
    response = client.post(
        f"/api/v1/prescriptions/{old.id}/renew",
        json={"valid_from": add_years(TODAY, 3).isoformat()},
        headers=bearer(setup["nurse"]),
    )
    assert response.status_code == 201, response.get_json()
    [renewal] = renewals(old)
    assert renewal.valid_from == add_years(TODAY, 3)


def test_api_renewal_takes_quantities_as_given_and_a_start_within_two_years(
    client, setup
):
    old = make_prescription(setup["patient"], setup["article"], packs_per_withdrawal=5)
    response = client.post(
        f"/api/v1/prescriptions/{old.id}/renew",
        json={"valid_from": add_years(TODAY, 2).isoformat(), "lock_days": 10},
        headers=bearer(setup["nurse"]),
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["packs_per_withdrawal"] == 5
