"""Patient pages: search, register, detail, changes; roles, 404s and CSRF."""

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from sesamlike.accounts.models import AuditEvent
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.patients.models import Address, CareRelationship, Guardian, Patient
from tests.conftest import csrf_token_from
from tests.factories import (
    ADULT_PNR,
    make_clinic,
    make_patient,
    make_user,
    patient_registration,
)

TODAY = region_today()


@pytest.fixture
def own():
    return make_clinic("OWN", name="Diabetesmottagningen Öster")


@pytest.fixture
def prescriber(own, auth):
    user = make_user("prescriber", clinics=[own], username="doktor")
    auth.login("doktor")
    return user


def form_data(**overrides) -> dict:
    contact = {"door_code": "1234", "phone": "0701234567", "email": "anna@example.se"}
    return patient_registration(id_kind="personnummer", **contact) | overrides


def row_counts() -> tuple[int, ...]:
    return tuple(
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Patient, Address, CareRelationship, Guardian, AuditEvent)
    )


# Search ----------------------------------------------------------------------


def test_search_page_has_a_search_box_and_a_register_button(client, prescriber):
    page = client.get("/patients")
    assert page.status_code == 200
    assert 'name="q"' in page.text and 'aria-describedby="q-hint"' in page.text
    assert "Registrera patient" in page.text
    assert 'role="status"' not in page.text


def test_search_shows_patients_of_own_clinic_only(client, prescriber, own):
    make_patient(own, personal_id=ADULT_PNR, first_name="Anna", last_name="Berg")
    make_patient(make_clinic("OTHER"), first_name="Anna", last_name="Främling")
    page = client.post("/patients", data={"q": "anna"})
    assert "19900102-9801" in page.text
    assert "Berg, Anna" in page.text and "Främling" not in page.text
    assert "Vuxen 18–64 år" in page.text
    assert "Diabetesmottagningen Öster" in page.text
    assert "1 träff<" in page.text


def test_search_lists_the_hits_in_swedish_order(client, prescriber, own):
    """Å, Ä, Ö after Z and in that order; "de Vries" under D (code point order
    put Ärlig before Åberg and "de Vries" last)."""
    for last_name in ("Öberg", "Ärlig", "Zetterlund", "de Vries", "Åberg", "Dahl"):
        make_patient(own, first_name="Anna", last_name=last_name)
    page = client.post("/patients", data={"q": "anna"}).text
    listed = ["Dahl", "de Vries", "Zetterlund", "Åberg", "Ärlig", "Öberg"]
    places = [page.index(f"{name}, Anna") for name in listed]
    assert places == sorted(places)


def test_search_by_personnummer_without_century(client, prescriber, own):
    patient = make_patient(own, personal_id=ADULT_PNR)
    page = client.post("/patients", data={"q": "900102-9801"})
    assert f"/patients/{patient.id}" in page.text


@pytest.mark.parametrize("typed", ["2023-07-08", "20230708", "230708"])
def test_search_by_birth_date_finds_a_patient_with_a_reserve_number(
    client, prescriber, own, typed
):
    """A reserve number holds no date: the birth date is what finds the patient."""
    make_patient(
        own,
        personal_id="RN20240176",
        first_name="Nora",
        last_name="Björk",
        birth_date=date(2023, 7, 8),
    )
    make_patient(
        make_clinic("OTHER"), last_name="Främling", birth_date=date(2023, 7, 8)
    )
    page = client.post("/patients", data={"q": typed})
    assert "1 träff<" in page.text
    assert "Björk, Nora" in page.text and "Främling" not in page.text


def test_search_by_birth_date_finds_a_patient_with_a_samordningsnummer(
    client, prescriber, own
):
    """The samordningsnummer carries the day + 60; the birth date is the real day."""
    make_patient(
        own,
        personal_id="201411899808",
        id_kind="samordningsnummer",
        first_name="Alexander",
        last_name="Persson",
        birth_date=date(2014, 11, 29),
    )
    for typed in ("20141129", "2014-11-29", "141129", "20141189"):
        page = client.post("/patients", data={"q": typed})
        assert "Persson, Alexander" in page.text, typed


def test_search_with_a_wrong_control_digit_shows_an_error_by_the_box(
    client, prescriber
):
    page = client.post("/patients", data={"q": "19900102-9802"})
    assert page.status_code == 200
    assert 'id="q-error"' in page.text and 'aria-invalid="true"' in page.text
    assert "inte giltigt" in page.text


def test_a_search_too_short_to_run_says_so_by_the_box(client, prescriber, own):
    """One letter searches nothing: the page says how much to type, in the
    reader's language (it answered nothing at all: no hits, no word)."""
    make_patient(own, first_name="Anna", last_name="Berg")
    for typed in ("a", "é", " b "):
        page = client.post("/patients", data={"q": typed}).text
        assert "Skriv minst 2 tecken." in page, typed
        assert 'aria-invalid="true"' in page and 'id="q-error"' in page
        assert "Berg, Anna" not in page and "träff" not in page
    assert "Skriv minst" not in client.post("/patients", data={"q": "  "}).text
    assert "Berg, Anna" in client.post("/patients", data={"q": "an"}).text
    client.post("/language", data={"locale": "en"})
    english = client.post("/patients", data={"q": "a"}).text
    assert "Type at least 2 characters." in english


def test_aids_centre_may_not_search_patients(client, auth, own):
    """Need to know (issue 15): the depot reaches patients through orders only."""
    make_patient(own, first_name="Anna")
    make_user("depot", username="lager")
    auth.login("lager")
    assert client.get("/patients").status_code == 403
    page = client.post("/patients", data={"q": "anna"})
    assert page.status_code == 403 and "Anna" not in page.text
    assert client.get("/patients/new").status_code == 403


# Register --------------------------------------------------------------------


def test_register_form_lists_only_own_clinics(client, prescriber):
    make_clinic("OTHER", name="Annan mottagning")
    page = client.get("/patients/new")
    assert page.status_code == 200
    assert "Diabetesmottagningen Öster" in page.text
    assert "Annan mottagning" not in page.text
    assert 'aria-describedby="personal_id-hint"' in page.text


def test_register_happy_path_leads_to_the_patient(client, prescriber):
    response = client.post("/patients/new", data=form_data())
    assert response.status_code == 302
    patient = db.session.scalar(sa.select(Patient))
    assert response.headers["Location"].endswith(f"/patients/{patient.id}")
    page = client.get(response.headers["Location"])
    assert "Patienten är registrerad." in page.text
    assert "19900102-9801" in page.text and "Storgatan 1" in page.text
    assert "Portkod: 1234" in page.text


def test_register_with_reserve_number(client, prescriber):
    response = client.post(
        "/patients/new",
        data=form_data(
            id_kind="reserve",
            personal_id="R-4711",
            lma_number="12-345678",
            lma_valid_to=(TODAY + timedelta(days=90)).isoformat(),
            birth_date="2001-05-06",
        ),
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert "Reservnummer" in page.text and "R-4711" in page.text
    assert "12-345678" in page.text


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"personal_id": "19900102-9802"},
            "personal_id",
            "Ogiltig kontrollsiffra eller datum.",
        ),
        ({"personal_id": ""}, "personal_id", "Obligatoriskt."),
        ({"first_name": ""}, "first_name", "Obligatoriskt."),
        ({"diabetes_type": ""}, "diabetes_type", "Välj diabetestyp."),
        ({"clinic_code": "OTHER"}, "clinic_code", "Välj en av dina vårdenheter."),
        ({"street": "Box 12"}, "street", "Hjälpmedel levereras inte till boxadress."),
        ({"postal_code": "4110"}, "postal_code", "Postnumret ska ha fem siffror."),
        ({"email": "anna@"}, "email", "Ange en e-postadress som namn@exempel.se."),
        # An empty part of the domain names no mail server (as for staff).
        (
            {"email": "anna@exempel..se"},
            "email",
            "Ange en e-postadress som namn@exempel.se.",
        ),
        ({"email": "anna@.se"}, "email", "Ange en e-postadress som namn@exempel.se."),
        ({"phone": "12"}, "phone", "Telefonnumret ska ha minst 6 siffror."),
        # Garbage a parcel would carry and never arrive with (portal walkthrough).
        ({"phone": "------"}, "phone", "Telefonnumret ska ha minst 6 siffror."),
        ({"street": "😀😀"}, "street", "Skriv gatuadressen med bokstäver och siffror."),
        ({"city": "<i>x</i>"}, "city", "Skriv orten med bokstäver."),
        (
            {"door_code": "<b>"},
            "door_code",
            "Skriv portkoden med siffror och bokstäver.",
        ),
        (
            {"id_kind": "reserve", "personal_id": "R-4711"},
            "lma_number",
            "Obligatoriskt.",
        ),
        (
            {
                "id_kind": "reserve",
                "personal_id": "R-4711",
                "lma_number": "12-3456",
                "lma_valid_to": "2001-01-01",
                "birth_date": "2001-05-06",
            },
            "lma_valid_to",
            "LMA-kortets giltighetstid har gått ut.",
        ),
        ({"birth_date": "2001-13-45"}, "birth_date", "Ange ett datum som ÅÅÅÅ-MM-DD."),
    ],
)
def test_register_error_is_shown_next_to_its_field_and_nothing_is_written(
    client, prescriber, overrides, field, message
):
    make_clinic("OTHER")
    before = row_counts()
    page = client.post("/patients/new", data=form_data(**overrides))
    assert page.status_code == 422
    assert f'<p class="error" id="{field}-error">{message}' in page.text
    assert f'aria-describedby="{field}-error"' in page.text or (
        f'aria-describedby="{field}-hint {field}-error"' in page.text
    )
    assert row_counts() == before


@pytest.mark.parametrize(
    "field", ["first_name", "last_name", "street", "city", "care_of", "phone"]
)
def test_register_with_a_control_character_is_refused_next_to_the_field(
    client, prescriber, field
):
    """A NUL in a name was saved on SQLite; PostgreSQL refuses it: 500."""
    before = row_counts()
    page = client.post("/patients/new", data=form_data(**{field: "a\x00b"}))
    assert page.status_code == 422
    assert (
        f'<p class="error" id="{field}-error">'
        "Får inte innehålla styrtecken (osynliga tecken som NUL)."
    ) in page.text
    assert row_counts() == before


def test_register_shows_every_error_at_once(client, prescriber):
    page = client.post(
        "/patients/new",
        data=form_data(personal_id="19900102-9802", street="", email="x"),
    )
    assert page.status_code == 422
    for field in ("personal_id", "street", "email"):
        assert f'id="{field}-error"' in page.text
    assert "Kontrollera de markerade fälten." in page.text


def test_register_duplicate_links_to_the_visible_patient(client, prescriber, own):
    patient = make_patient(own, personal_id=ADULT_PNR)
    page = client.post("/patients/new", data=form_data())
    assert page.status_code == 409
    assert "redan registrerad hos din vårdenhet" in page.text
    assert f'href="/patients/{patient.id}"' in page.text
    # The page tells which patient has the number: the patient sees who tried.
    attempt = db.session.scalar(sa.select(AuditEvent).order_by(AuditEvent.id.desc()))
    assert (attempt.action, attempt.patient_id) == ("registration_attempt", patient.id)


def test_register_duplicate_of_a_hidden_patient_reveals_nothing(client, prescriber):
    hidden = make_patient(
        make_clinic("OTHER"), personal_id=ADULT_PNR, last_name="Hemligsson"
    )
    before = row_counts()
    page = client.post("/patients/new", data=form_data(last_name="Svensson"))
    assert "redan registrerad i regionen" in page.text
    assert "Hemligsson" not in page.text
    assert f"/patients/{hidden.id}" not in page.text
    # Nothing is registered; the attempt is in the patient's access log (issue 15).
    assert row_counts()[:-1] == before[:-1]
    attempt = db.session.scalar(sa.select(AuditEvent).order_by(AuditEvent.id.desc()))
    assert (attempt.action, attempt.patient_id) == ("registration_attempt", hidden.id)


# Detail ----------------------------------------------------------------------


def test_detail_shows_identity_contact_address_and_care(client, prescriber, own):
    patient = make_patient(
        own, personal_id=ADULT_PNR, phone="0701234567", email="a@b.se"
    )
    page = client.get(f"/patients/{patient.id}")
    assert page.status_code == 200
    for text in (
        "19900102-9801",
        "Typ 1-diabetes",
        "Vuxen 18–64 år",
        "0701234567",
        "a@b.se",
        patient.home_address().street,
        "Portkod: 1234",
        "Diabetesmottagningen Öster (OWN)",
    ):
        assert text in page.text
    assert "Skyddade personuppgifter" not in page.text


def test_protected_address_is_hidden_from_the_prescriber(client, prescriber, own):
    patient = make_patient(own, protected_identity=True)
    page = client.get(f"/patients/{patient.id}")
    assert (
        "Skyddade personuppgifter: adressen visas inte; leverans sker till vårdenheten"
    ) in page.text
    assert patient.home_address().street not in page.text
    assert "1234" not in page.text


def test_protected_address_is_never_shown_to_the_aids_centre(client, auth, own):
    """Need to know (issue 15): the depot ships a protected patient's aids to the
    clinic, so it never reads the patient's page or address."""
    patient = make_patient(own, protected_identity=True)
    make_user("depot", username="lager")
    auth.login("lager")
    page = client.get(f"/patients/{patient.id}")
    assert page.status_code == 403
    assert patient.home_address().street not in page.text


def test_protected_home_address_form_is_never_prefilled(client, prescriber, own):
    patient = make_patient(own, protected_identity=True)
    page = client.get(f"/patients/{patient.id}/address")
    assert page.status_code == 200
    assert patient.home_address().street not in page.text
    assert "den nuvarande adressen visas inte" in page.text


def same_page(html: str, path: str) -> str:
    html = html.replace(path, "/patients/N")
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token"', html)


def test_patient_of_another_clinic_is_404_like_a_missing_one(client, prescriber):
    stranger = make_patient(make_clinic("OTHER"))
    hidden = client.get(f"/patients/{stranger.id}")
    missing = client.get("/patients/999999")
    assert hidden.status_code == missing.status_code == 404
    # Only the page's own path (in the language switch) differs, and the CSRF
    # token, which is signed with the second it was made in.
    assert same_page(hidden.text, f"/patients/{stranger.id}") == (
        same_page(missing.text, "/patients/999999")
    )
    for path in ("contact", "address", "guardians/new", "temporary-addresses/new"):
        assert client.get(f"/patients/{stranger.id}/{path}").status_code == 404
    assert (
        client.post(
            f"/patients/{stranger.id}/contact", data={"phone": "0701234567"}
        ).status_code
        == 404
    )
    assert stranger.phone is None


def test_order_links_appear_only_for_pages_that_exist(client, app, prescriber, own):
    patient = make_patient(own)
    page = client.get(f"/patients/{patient.id}")
    for endpoint, path in (
        ("prescriptions.prescriptions", "prescriptions"),
        ("orders.patient_orders", "orders"),
    ):
        shown = f"/patients/{patient.id}/{path}" in page.text
        assert shown == (endpoint in app.view_functions)


ROLES_WITHOUT_PAGES = ["patient", "guardian", "manager", "admin", "region"]


@pytest.mark.parametrize("role", ROLES_WITHOUT_PAGES)
@pytest.mark.parametrize(
    "path", ["/patients", "/patients/new", "/patients/{id}", "/patients/{id}/contact"]
)
def test_other_roles_are_refused_with_403(client, auth, own, role, path):
    patient = make_patient(own)
    make_user(
        role,
        clinics=[own] if role == "manager" else [],
        patients=[patient] if role in ("patient", "guardian") else [],
        username="someone",
    )
    auth.login("someone")
    assert client.get(path.format(id=patient.id)).status_code == 403


def test_anonymous_user_is_sent_to_login(client, own):
    patient = make_patient(own)
    response = client.get(f"/patients/{patient.id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# Changes ---------------------------------------------------------------------


def test_contact_details_are_changed(client, prescriber, own):
    patient = make_patient(own)
    form = client.get(f"/patients/{patient.id}/contact")
    assert 'name="phone"' in form.text
    response = client.post(
        f"/patients/{patient.id}/contact",
        data={"phone": "070-111 22 33", "email": "ny@example.se"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert (patient.phone, patient.email) == ("070-111 22 33", "ny@example.se")


def test_bad_contact_details_are_shown_and_not_saved(client, prescriber, own):
    patient = make_patient(own, phone="0701234567")
    page = client.post(
        f"/patients/{patient.id}/contact", data={"phone": "x", "email": ""}
    )
    assert page.status_code == 422
    assert 'id="phone-error"' in page.text
    db.session.expire_all()
    assert patient.phone == "0701234567"


def test_temporary_address_is_added_and_removed(client, prescriber, own):
    patient = make_patient(own)
    response = client.post(
        f"/patients/{patient.id}/temporary-addresses/new",
        data={
            "street": "Sommarvägen 1",
            "postal_code": "45196",
            "city": "Uddevalla",
            "valid_from": TODAY.isoformat(),
            "valid_to": (TODAY + timedelta(days=14)).isoformat(),
        },
    )
    assert response.status_code == 302
    page = client.get(f"/patients/{patient.id}")
    assert "Sommarvägen 1" in page.text
    address = db.session.scalar(sa.select(Address).where(Address.kind == "temporary"))
    client.post(f"/patients/{patient.id}/temporary-addresses/{address.id}/remove")
    assert "Sommarvägen 1" not in client.get(f"/patients/{patient.id}").text


def test_temporary_address_ending_before_it_starts_is_refused(client, prescriber, own):
    patient = make_patient(own)
    page = client.post(
        f"/patients/{patient.id}/temporary-addresses/new",
        data={
            "street": "Sommarvägen 1",
            "postal_code": "45196",
            "city": "Uddevalla",
            "valid_from": (TODAY + timedelta(days=5)).isoformat(),
            "valid_to": TODAY.isoformat(),
        },
    )
    assert page.status_code == 422
    assert "Till-datum får inte vara före från-datum." in page.text


def test_guardian_is_added_for_a_child_only(client, prescriber, own):
    child = make_patient(own, birth_date=date(TODAY.year - 6, 1, 1))
    adult = make_patient(own)
    assert "Lägg till vårdnadshavare" in client.get(f"/patients/{child.id}").text
    assert "Lägg till vårdnadshavare" not in client.get(f"/patients/{adult.id}").text
    client.post(f"/patients/{child.id}/guardians/new", data={"name": "Karin Berg"})
    assert "Karin Berg" in client.get(f"/patients/{child.id}").text
    page = client.post(f"/patients/{adult.id}/guardians/new", data={"name": "X Y"})
    assert page.status_code == 409 and "bara läggas till för barn" in page.text


def test_another_own_clinic_gets_a_care_relationship(client, prescriber, own):
    second = make_clinic("SECOND", name="Barndiabetes Väster")
    prescriber.clinics.append(second)
    db.session.commit()
    patient = make_patient(own)
    page = client.get(f"/patients/{patient.id}")
    assert "Barndiabetes Väster" in page.text  # offered in the select
    client.post(
        f"/patients/{patient.id}/care-relationships", data={"clinic_code": "SECOND"}
    )
    assert "Barndiabetes Väster (SECOND)" in client.get(f"/patients/{patient.id}").text


def test_a_clinic_taking_a_patient_back_keeps_the_earlier_episode(
    client, prescriber, own
):
    second = make_clinic("SECOND", name="Barndiabetes Väster")
    prescriber.clinics.append(second)
    patient = make_patient(own)
    patient.care_relationships.append(
        CareRelationship(clinic_id=second.id, started_on=date(2024, 1, 15),
                         ended_on=date(2025, 6, 1))
    )  # fmt: skip
    db.session.commit()
    client.post(
        f"/patients/{patient.id}/care-relationships", data={"clinic_code": "SECOND"}
    )
    page = client.get(f"/patients/{patient.id}").text
    episodes = re.findall(r"<li>Barndiabetes Väster \(SECOND\)[^<]*</li>", page)
    assert len(episodes) == 2, episodes
    assert "2024-01-15" in episodes[0] and "2025-06-01" in episodes[0]
    assert TODAY.isoformat() in episodes[1] and "avslutad" not in episodes[1]


# CSRF ------------------------------------------------------------------------


def test_forms_without_csrf_token_are_refused(client, prescriber, own, csrf_on):
    patient = make_patient(own)
    before = row_counts()
    assert client.post("/patients/new", data=form_data()).status_code == 400
    assert (
        client.post(
            f"/patients/{patient.id}/contact", data={"phone": "0701234567"}
        ).status_code
        == 400
    )
    assert row_counts() == before


def test_register_form_with_csrf_token_is_accepted(client, prescriber, csrf_on):
    token = csrf_token_from(client.get("/patients/new").text)
    response = client.post("/patients/new", data={**form_data(), "csrf_token": token})
    assert response.status_code == 302
