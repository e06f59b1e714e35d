"""The pages, API and FHIR after a patient died or moved out of the region:
the staff's registration with its confirmation step, what the patient's page
says after it, and the refusals where ordering would start."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sesamlike.common.formatting import format_short_date
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.orders import services as ordering
from sesamlike.patients import care_end
from tests import factories as f
from tests.conftest import csrf_token_from
from tests.fhir_world import bearer, validate_r5

YESTERDAY = region_today() - timedelta(days=1)


@pytest.fixture
def world():
    """Patient with an order not shipped and a pump on loan, at doktor's clinic."""
    clinic = f.make_clinic()
    prescriber = f.make_user("prescriber", clinics=[clinic], username="doktor")
    patient = f.make_patient(
        clinic, first_name="Lisa", last_name="Lindgren", email="lisa@example.se"
    )
    prescribed = f.make_prescribed(clinic, prescriber=prescriber, patient=patient)
    ordering.place_order(prescriber, patient.id, [(prescribed.rx.id, 1)], "home")
    pump = f.make_pump(name="Omnipod DASH PDM")
    f.make_lent_device(patient, pump, "PDM-4711")
    return prescribed


def _page(response) -> str:
    return response.get_data(as_text=True)


def test_the_confirmation_names_what_stops_and_what_comes_back_before_saving(
    client, auth, world
):
    auth.login("doktor")
    url = f"/patients/{world.patient.id}/care-end"

    asked = client.post(url, data={"reason": "deceased", "day": YESTERDAY})

    page = _page(asked)
    assert asked.status_code == 200
    assert "1 beställning som inte har skickats makuleras" in page
    assert "1 förskrivning som gäller avslutas" in page
    assert "Omnipod DASH PDM" in page and "PDM-4711" in page
    assert "förblir då makulerade" in page
    db.session.expire_all()
    assert world.patient.care_ended_reason is None  # nothing saved yet

    done = client.post(url, data={"reason": "deceased", "day": YESTERDAY,
                                  "confirmed": "y"})  # fmt: skip

    assert done.status_code == 302
    patient_page = _page(client.get(f"/patients/{world.patient.id}"))
    assert f"Avliden {format_short_date(YESTERDAY)}" in patient_page
    assert "PDM-4711" in patient_page  # expected back
    assert "Ångra registreringen" in patient_page
    assert "1 beställning makulerades" in patient_page  # the flash


def test_the_prescriber_is_told_the_aids_centre_collects_the_lent_devices(
    client, auth, world
):
    """The done page and the patient page said "registrerar återlämningen
    (Enheter)", a menu of the aids centre's the prescriber has not got. The
    return page stays the aids centre's: no link to it, it says who collects."""
    auth.login("doktor")
    url = f"/patients/{world.patient.id}/care-end"

    client.post(url, data={"reason": "moved_out", "day": YESTERDAY,
                           "confirmed": "y"})  # fmt: skip
    page = _page(client.get(f"/patients/{world.patient.id}"))

    done = "1 lånat hjälpmedel ska lämnas tillbaka. Hjälpmedelscentralen samlar in"
    assert done in page  # the flash
    assert "Hjälpmedelscentralen samlar in de lånade hjälpmedlen" in page
    assert "PDM-4711" in page and "(Enheter)" not in page
    assert "/stock/devices" not in page
    assert client.get("/stock/devices").status_code == 403


def test_a_day_ahead_is_said_beside_the_field_and_nothing_is_asked(client, auth, world):
    auth.login("doktor")
    ahead = region_today() + timedelta(days=3)

    answer = client.post(f"/patients/{world.patient.id}/care-end",
                         data={"reason": "moved_out", "day": ahead})  # fmt: skip

    assert answer.status_code == 422
    assert "Datumet kan inte vara senare än i dag." in _page(answer)
    assert "Det här händer" not in _page(answer)


def test_the_registration_needs_the_forms_csrf_token(
    app, client, auth, world, monkeypatch
):
    auth.login("doktor")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    url = f"/patients/{world.patient.id}/care-end"

    forged = client.post(url, data={"reason": "deceased", "day": YESTERDAY,
                                    "confirmed": "y"})  # fmt: skip

    assert forged.status_code in (400, 422)
    db.session.expire_all()
    assert world.patient.care_ended_reason is None
    token = csrf_token_from(_page(client.get(url)))
    sent = client.post(url, data={"reason": "deceased", "day": YESTERDAY,
                                  "confirmed": "y", "csrf_token": token})  # fmt: skip
    assert sent.status_code == 302


def test_staff_order_and_prescription_pages_say_the_patient_died(client, auth, world):
    care_end.end_care(world.prescriber, world.patient.id, "deceased", YESTERDAY)
    auth.login("doktor")

    for url in (f"/patients/{world.patient.id}/orders/new",
                f"/patients/{world.patient.id}/prescriptions/new"):  # fmt: skip
        answer = client.get(url)
        assert answer.status_code == 409
        assert "Patienten avled" in _page(answer)


def test_the_search_list_shows_who_moved_out(client, auth, world):
    care_end.end_care(world.prescriber, world.patient.id, "moved_out", YESTERDAY)
    auth.login("doktor")

    page = _page(client.post("/patients", data={"q": "Lindgren"}))

    assert f"Flyttat från regionen {format_short_date(YESTERDAY)}" in page


def test_a_patient_who_moved_out_reads_their_aids_but_reordering_says_why(
    client, auth, world
):
    f.make_user("patient", patients=[world.patient], username="lisa")
    care_end.end_care(world.prescriber, world.patient.id, "moved_out", YESTERDAY)
    auth.login("lisa")

    assert client.get("/portal/").status_code == 200
    refused = client.get("/portal/order")

    assert refused.status_code == 409
    assert "Vården har flyttat från regionen" in _page(refused)


def test_the_api_and_fhir_say_when_a_patient_died(client, world):
    care_end.end_care(world.prescriber, world.patient.id, "deceased", YESTERDAY)
    headers = bearer(world.prescriber)

    patient = client.get(f"/api/v1/patients/{world.patient.id}", headers=headers)
    fhir = client.get(f"/fhir/r5/Patient/{world.patient.id}", headers=headers)

    assert patient.get_json()["care_ended_reason"] == "deceased"
    assert patient.get_json()["care_ended_on"] == YESTERDAY.isoformat()
    resource = fhir.get_json()
    validate_r5(resource)
    assert resource["deceasedDateTime"] == YESTERDAY.isoformat()
    assert resource["active"] is False


@pytest.mark.parametrize("reason", [None, "moved_out"])
def test_fhir_patient_is_active_only_while_the_region_cares_for_them(
    client, world, reason
):
    """Patient.active (R5: the record is in active use) stayed true after
    the patient moved out or died."""
    if reason:
        care_end.end_care(world.prescriber, world.patient.id, reason, YESTERDAY)

    fhir = client.get(f"/fhir/r5/Patient/{world.patient.id}",
                      headers=bearer(world.prescriber))  # fmt: skip

    resource = fhir.get_json()
    validate_r5(resource)
    assert resource["active"] is (reason is None)
    assert "deceasedDateTime" not in resource


def test_the_api_refuses_an_order_for_a_patient_who_moved_out(client, world):
    care_end.end_care(world.prescriber, world.patient.id, "moved_out", YESTERDAY)
    rx = f.make_prescription(world.patient, f.make_article())

    answer = client.post(
        "/api/v1/orders",
        json={"patient_id": world.patient.id, "lines": [{"prescription_id": rx.id,
              "packs": 1}], "delivery_mode": "home"},
        headers=bearer(world.prescriber),
    )  # fmt: skip

    assert answer.status_code == 409
    assert answer.get_json()["error"]["code"] == "care_ended"


def test_nothing_open_is_said_in_words_not_as_zero(client, auth):
    """A patient with no open order and no prescription in force: the
    confirmation said "0 beställningar som inte har skickats makuleras" and the
    done message "0 beställningar makulerades. 0 förskrivningar avslutades."."""
    clinic = f.make_clinic()
    f.make_user("prescriber", clinics=[clinic], username="doktor")
    patient = f.make_patient(clinic)
    auth.login("doktor")
    url = f"/patients/{patient.id}/care-end"

    asked = _page(client.post(url, data={"reason": "moved_out", "day": YESTERDAY}))

    assert "0 beställningar" not in asked and "0 förskrivningar" not in asked
    assert "Inga beställningar väntar på att skickas." in asked
    assert "Inga förskrivningar gäller." in asked
    client.post(url, data={"reason": "moved_out", "day": YESTERDAY, "confirmed": "y"})
    done = _page(client.get(f"/patients/{patient.id}"))
    assert "Patienten är registrerad som flyttad från regionen." in done
    assert "0 beställningar" not in done and "0 förskrivningar" not in done


def test_my_aids_after_a_move_out_says_where_to_turn_and_offers_no_order(
    client, auth, world
):
    """«Mina hjälpmedel» still had its "Beställ förbrukningsartiklar" button,
    which led only to a refusal, and said nothing of the move; and once the
    move was undone the page kept saying it."""
    f.make_user("patient", patients=[world.patient], username="lisa")
    auth.login("lisa")
    client.get("/portal/")  # built and kept for the session before the move
    care_end.end_care(world.prescriber, world.patient.id, "moved_out", YESTERDAY)

    page = _page(client.get("/portal/"))

    assert "Vården har flyttat från regionen" in page
    assert "Kontakta diabetesmottagningen i den nya regionen." in page
    assert "Beställ förbrukningsartiklar" not in page
    care_end.undo(world.prescriber, world.patient.id)
    again = _page(client.get("/portal/"))
    assert "Vården har flyttat från regionen" not in again


def test_the_reasons_are_in_english_for_an_english_reader(client, auth, world):
    auth.login("doktor")
    client.post("/language", data={"locale": "en"})

    page = _page(client.get(f"/patients/{world.patient.id}/care-end"))

    assert "The patient has died" in page
    assert "The patient has moved to another region" in page
    assert "Patienten har avlidit" not in page


def test_a_patient_who_moved_back_is_taken_into_care_again_on_the_patient_page(
    client, auth, world
):
    """Only the undo, meant for the wrong patient, opened the care again."""
    care_end.end_care(world.prescriber, world.patient.id, "moved_out", YESTERDAY)
    auth.login("doktor")
    url = f"/patients/{world.patient.id}"
    assert "Ta in patienten i vård igen" in _page(client.get(url))

    taken = client.post(f"{url}/care-end/resume",
                        data={"clinic_code": world.clinic.code})  # fmt: skip

    assert taken.status_code == 302
    page = _page(client.get(url))
    assert "Patienten är i vård i regionen igen" in page  # the flash
    assert "Flyttat från regionen" not in page and "Ta in patienten" not in page
    assert client.get(f"{url}/orders/new").status_code == 200


def test_a_patient_who_died_is_offered_no_return_to_care(client, auth, world):
    care_end.end_care(world.prescriber, world.patient.id, "deceased", YESTERDAY)
    auth.login("doktor")
    url = f"/patients/{world.patient.id}"

    assert "Ta in patienten i vård igen" not in _page(client.get(url))
    refused = client.post(f"{url}/care-end/resume",
                          data={"clinic_code": world.clinic.code},
                          follow_redirects=True)  # fmt: skip

    assert "kan inte tas in i vård igen" in _page(refused)
    db.session.expire_all()
    assert world.patient.care_ended_reason == "deceased"


def test_taking_back_into_care_needs_the_forms_csrf_token(
    app, client, auth, world, monkeypatch
):
    care_end.end_care(world.prescriber, world.patient.id, "moved_out", YESTERDAY)
    auth.login("doktor")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    url = f"/patients/{world.patient.id}"

    forged = client.post(f"{url}/care-end/resume",
                         data={"clinic_code": world.clinic.code})  # fmt: skip

    assert forged.status_code in (400, 422)
    db.session.expire_all()
    assert world.patient.care_ended_reason == "moved_out"
    token = csrf_token_from(_page(client.get(url)))
    data = {"clinic_code": world.clinic.code, "csrf_token": token}
    sent = client.post(f"{url}/care-end/resume", data=data)
    assert sent.status_code == 302
    db.session.expire_all()
    assert world.patient.care_ended_reason is None


def test_the_api_starts_care_for_a_patient_who_moved_back_but_not_one_who_died(
    client, world
):
    care_end.end_care(world.prescriber, world.patient.id, "moved_out", YESTERDAY)
    elsewhere = f.make_clinic()
    prescriber = f.make_user("prescriber", clinics=[elsewhere])
    body = {"personal_id": world.patient.personal_id, "clinic_code": elsewhere.code}

    started = client.post("/api/v1/care-relationships", json=body,
                          headers=bearer(prescriber))  # fmt: skip

    assert started.status_code == 201, started.get_json()
    assert started.get_json()["clinic_code"] == elsewhere.code
    died = f.make_patient(world.clinic)
    care_end.end_care(world.prescriber, died.id, "deceased", YESTERDAY)
    refused = client.post(
        "/api/v1/care-relationships", headers=bearer(prescriber),
        json={"personal_id": died.personal_id, "clinic_code": elsewhere.code},
    )  # fmt: skip
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "care_already_ended"
