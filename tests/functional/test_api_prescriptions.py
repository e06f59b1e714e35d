"""POST /prescriptions, GET /patients/{id}/prescriptions, cancel and renew."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from sesamlike.accounts.models import AuditEvent
from sesamlike.accounts.services import issue_token
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.prescriptions.models import Prescription
from tests.factories import (
    make_article,
    make_clinic,
    make_lent_device,
    make_patient,
    make_prescription,
    make_pump_user,
    make_system,
    make_user,
)

TODAY = region_today()


def bearer(user, language: str | None = None) -> dict:
    headers = {"Authorization": f"Bearer {issue_token(user.username)}"}
    if language:
        headers["Accept-Language"] = language
    return headers


def assert_error(response, status, code):
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


def written() -> tuple[int, int]:
    """Prescriptions and audit rows of changes (a refusal logs only its read)."""
    return (
        db.session.scalar(sa.select(sa.func.count()).select_from(Prescription)),
        db.session.scalar(
            sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action != "read")
        ),
    )


@pytest.fixture
def setup():
    clinic = make_clinic("OWN", cost_centre="KS1001")
    other = make_clinic("OTHER")
    nurse = make_user("prescriber", clinics=[clinic])
    patient = make_patient(clinic)
    stranger = make_patient(other)
    system = make_system("MiniMed 640G")
    # A MiniMed 640G and CGM user: pump consumables fit, CGM has started.
    make_pump_user(patient, systems=[system])
    make_lent_device(patient, make_article(category="cgm_reader", units_per_day=None))
    article = make_article("100101", systems=[system], channel="central")
    return {
        "nurse": nurse,
        "patient": patient,
        "stranger": stranger,
        "article": article,
        "clinic": clinic,
    }


def body(patient, article_no="100101", **kw):
    data = {
        "patient_id": patient.id,
        "article_no": article_no,
        "packs_per_withdrawal": 2,
        "withdrawals": 4,
        "period_days": 90,
        "valid_from": TODAY.isoformat(),
    }
    data.update(kw)
    return data


def test_prescribing_answers_201_with_the_contract_fields(client, setup):
    response = client.post(
        "/api/v1/prescriptions",
        json=body(setup["patient"]),
        headers=bearer(setup["nurse"]),
    )
    assert response.status_code == 201
    data = response.get_json()
    assert isinstance(data["id"], int)
    assert data["status"] == "active"
    assert data["remaining_withdrawals"] == 4
    assert data["next_withdrawal_on"] == TODAY.isoformat()
    assert data["article_no"] == "100101" and data["systems"] == ["MiniMed 640G"]
    assert data["channel"] == "central"
    assert data["lock_days"] == 60
    assert data["cost_centre"] == "KS1001" and data["clinic_code"] == "OWN"
    assert date.fromisoformat(data["valid_to"]) > TODAY + timedelta(days=363)
    assert data["reason_code"] is None


def test_list_answers_the_patients_prescriptions(client, setup):
    headers = bearer(setup["nurse"])
    client.post("/api/v1/prescriptions", json=body(setup["patient"]), headers=headers)
    make_prescription(setup["patient"], make_article(), status="cancelled")
    response = client.get(
        f"/api/v1/patients/{setup['patient'].id}/prescriptions", headers=headers
    )
    assert response.status_code == 200
    listed = response.get_json()
    assert [p["status"] for p in listed] == ["active", "cancelled"]
    assert listed[0]["remaining_withdrawals"] == 4


def test_first_choice_is_ranked_inside_each_system_as_on_the_pages(client, setup):
    """The walkthrough: a G7 sensor and reader the kit page marked
    "★ förstahandsval" answered "first_choice": false, their rank in the
    category being 2 (another system's is cheaper). First choice is ranked
    inside a category for each system (domain.md)."""
    g6, g7 = make_system("Dexcom G6", "cgm"), make_system("Dexcom G7", "cgm")
    make_article("G6-S", category="cgm_sensor", systems=[g6], first_choice_rank=1)
    g7_sensor = make_article(
        "G7-S", category="cgm_sensor", systems=[g7], first_choice_rank=2
    )
    second = make_article(
        "G7-S2", category="cgm_sensor", systems=[g7], first_choice_rank=3
    )
    first = make_prescription(setup["patient"], g7_sensor)
    not_first = make_prescription(setup["patient"], second)
    headers = bearer(setup["nurse"])
    one = client.get(f"/api/v1/prescriptions/{first.id}", headers=headers)
    assert one.get_json()["first_choice"] is True
    other = client.get(f"/api/v1/prescriptions/{not_first.id}", headers=headers)
    assert other.get_json()["first_choice"] is False
    listed = client.get(
        f"/api/v1/patients/{setup['patient'].id}/prescriptions", headers=headers
    ).get_json()
    assert {p["article_no"]: p["first_choice"] for p in listed} == {
        "G7-S": True,
        "G7-S2": False,
    }


def test_patient_reads_own_prescriptions_but_may_not_prescribe(client, setup):
    own = make_user("patient", patients=[setup["patient"]])
    response = client.get(
        f"/api/v1/patients/{setup['patient'].id}/prescriptions", headers=bearer(own)
    )
    assert response.status_code == 200
    assert_error(
        client.post(
            "/api/v1/prescriptions", json=body(setup["patient"]), headers=bearer(own)
        ),
        403,
        "forbidden",
    )


def test_patient_of_another_clinic_is_404_like_a_missing_one(client, setup):
    headers = bearer(setup["nurse"])
    hidden = client.get(
        f"/api/v1/patients/{setup['stranger'].id}/prescriptions", headers=headers
    )
    missing = client.get("/api/v1/patients/999999/prescriptions", headers=headers)
    assert_error(hidden, 404, "not_found")
    assert hidden.get_json() == missing.get_json()
    posted = client.post(
        "/api/v1/prescriptions", json=body(setup["stranger"]), headers=headers
    )
    assert_error(posted, 404, "not_found")
    assert written() == (0, 0)


@pytest.mark.parametrize("role", ["manager", "depot", "region", "admin", "guardian"])
def test_roles_that_may_not_prescribe_get_403_and_nothing_is_written(
    client, setup, role
):
    user = make_user(
        role,
        clinics=[setup["clinic"]] if role == "manager" else [],
        patients=[setup["patient"]] if role == "guardian" else [],
    )
    existing = make_prescription(setup["patient"], setup["article"])
    headers = bearer(user)
    assert_error(
        client.post(
            "/api/v1/prescriptions", json=body(setup["patient"]), headers=headers
        ),
        403,
        "forbidden",
    )
    assert_error(
        client.post(f"/api/v1/prescriptions/{existing.id}/cancel", headers=headers),
        403,
        "forbidden",
    )
    assert_error(
        client.post(
            f"/api/v1/prescriptions/{existing.id}/renew", json={}, headers=headers
        ),
        403,
        "forbidden",
    )
    assert written() == (1, 0)


def test_first_pump_without_the_first_time_right_is_403(client, setup):
    make_article("P1", category="pump", units_per_day=None)
    newcomer = make_patient(setup["clinic"])  # never had a pump
    error = assert_error(
        client.post(
            "/api/v1/prescriptions",
            json=body(newcomer, "P1", packs_per_withdrawal=1, withdrawals=1),
            headers=bearer(setup["nurse"]),
        ),
        403,
        "first_prescription_right_required",
    )
    assert "nyförskrivning" in error["message"]
    assert error["fields"]["article_no"]
    assert written() == (0, 0)
    doctor = make_user(
        "prescriber", clinics=[setup["clinic"]], first_time_prescriber=True
    )
    response = client.post(
        "/api/v1/prescriptions",
        json=body(newcomer, "P1", packs_per_withdrawal=1, withdrawals=1),
        headers=bearer(doctor),
    )
    assert response.status_code == 201


def test_non_procured_article_without_reason_is_422_with_fields(client, setup):
    make_article("NP1", procured=False, first_choice_rank=None)
    headers = bearer(setup["nurse"])
    error = assert_error(
        client.post(
            "/api/v1/prescriptions", json=body(setup["patient"], "NP1"), headers=headers
        ),
        422,
        "reason_required",
    )
    assert "(NP1) är inte upphandlad" in error["message"]
    assert error["fields"] == {
        "reason_code": ["Välj en orsakskod."],
        "reason_text": ["Skriv en motivering."],
    }
    assert written() == (0, 0)
    response = client.post(
        "/api/v1/prescriptions",
        json=body(
            setup["patient"],
            "NP1",
            reason_code="patient_wish",
            reason_text="Har provat alla upphandlade",
        ),
        headers=headers,
    )
    assert response.status_code == 201
    assert response.get_json()["reason_code"] == "patient_wish"


def test_second_choice_without_reason_is_422(client, setup):
    make_article("R2", first_choice_rank=2)
    error = assert_error(
        client.post(
            "/api/v1/prescriptions",
            json=body(setup["patient"], "R2"),
            headers=bearer(setup["nurse"]),
        ),
        422,
        "reason_required",
    )
    assert "förstahandsval" in error["message"]


@pytest.mark.parametrize(
    ("kw", "phrase"),
    [
        ({"valid_to": TODAY - timedelta(days=1)}, "utgången"),
        ({"valid_from": TODAY + timedelta(days=3)}, "först från"),
    ],
)
def test_article_outside_its_contract_is_422(client, setup, kw, phrase):
    make_article("OLD", **kw)
    error = assert_error(
        client.post(
            "/api/v1/prescriptions",
            json=body(setup["patient"], "OLD"),
            headers=bearer(setup["nurse"]),
        ),
        422,
        "article_not_prescribable",
    )
    assert phrase in error["message"]
    assert list(error["fields"]) == ["article_no"]


def refused_as_invalid(client, setup, payload: dict) -> dict:
    """The nurse's POST /prescriptions of `payload`: a 422 "invalid", its error."""
    response = client.post(
        "/api/v1/prescriptions", json=payload, headers=bearer(setup["nurse"])
    )
    return assert_error(response, 422, "invalid")


def test_wrong_types_and_missing_fields_are_422_next_to_the_field(client, setup):
    payload = body(setup["patient"], packs_per_withdrawal="två", valid_from="1/2")
    del payload["withdrawals"]
    error = refused_as_invalid(client, setup, payload)
    assert error["fields"] == {
        "packs_per_withdrawal": ["Ange ett heltal."],
        "valid_from": ["Ange ett datum som ÅÅÅÅ-MM-DD."],
        "withdrawals": ["Obligatoriskt."],
    }


def test_every_bad_field_is_answered_at_once_schema_and_rules_alike(client, setup):
    """The walkthrough: a bad date and packs as words were answered, and the
    fields only the rules refuse (too many withdrawals, no period, a lock
    below 0, an unknown reason code, a cost centre with spaces) were not."""
    payload = body(
        setup["patient"],
        packs_per_withdrawal="två",
        valid_from="1/2",
        withdrawals=500,
        period_days=0,
        lock_days=-5,
        reason_code="whim",
        cost_centre="KS 1",
    )
    error = refused_as_invalid(client, setup, payload)
    assert error["fields"] == {
        "packs_per_withdrawal": ["Ange ett heltal."],
        "valid_from": ["Ange ett datum som ÅÅÅÅ-MM-DD."],
        "withdrawals": ["Ange 1–99 uttag."],
        "period_days": ["Ange en period på 1–730 dagar."],
        "lock_days": ["Spärrtiden ska vara 0 dagar till hela perioden."],
        "reason_code": [
            "Okänd orsakskod. Välj medicinska skäl, fungerar inte för patienten, "
            "patientens önskemål eller annat."
        ],
        "cost_centre": [
            "Kostnadsstället ska vara högst 20 tecken: bokstäver, siffror, bindestreck."
        ],
    }
    assert written() == (0, 0)


def test_a_control_character_beside_a_bad_field_is_422_and_never_looked_up(
    client, setup
):
    """The stateful fuzz test's find: with packs as a list, the article number
    "\u0000" passed the schema and the rules looked it up (500 on PostgreSQL,
    which refuses NUL in text). Now it is refused like every control character,
    beside the schema's faults, and the rules do not see it."""
    payload = body(setup["patient"], article_no="\u0000", packs_per_withdrawal=[])
    error = refused_as_invalid(client, setup, payload)
    assert error["fields"] == {
        "packs_per_withdrawal": ["Ange ett heltal."],
        "article_no": ["Får inte innehålla styrtecken (osynliga tecken som NUL)."],
    }
    assert written() == (0, 0)


def test_an_article_out_of_contract_is_answered_with_the_terms_faults(client, setup):
    make_article("OLD", valid_to=TODAY - timedelta(days=1))
    error = assert_error(
        client.post(
            "/api/v1/prescriptions",
            json=body(setup["patient"], "OLD", withdrawals=500),
            headers=bearer(setup["nurse"]),
        ),
        422,
        "article_not_prescribable",
    )
    assert error["fields"] == {
        "article_no": ["Välj en artikel som ingår i gällande avtal."],
        "withdrawals": ["Ange 1–99 uttag."],
    }


def test_validity_over_one_year_is_422_but_two_years_is_fine_for_sensors(client, setup):
    make_article("S1", category="cgm_sensor")
    two_years = (TODAY.replace(day=1) + timedelta(days=700)).isoformat()
    start = TODAY.replace(day=1).isoformat()
    headers = bearer(setup["nurse"])
    error = assert_error(
        client.post(
            "/api/v1/prescriptions",
            json=body(setup["patient"], valid_from=start, valid_to=two_years),
            headers=headers,
        ),
        422,
        "invalid",
    )
    assert error["fields"]["valid_to"] == [
        "Giltigheten får vara högst ett år. Välj ett tidigare slutdatum."
    ]
    response = client.post(
        "/api/v1/prescriptions",
        json=body(
            setup["patient"], "S1", valid_from=start, valid_to=two_years, withdrawals=8
        ),
        headers=headers,
    )
    assert response.status_code == 201
    assert response.get_json()["valid_to"] == two_years


def test_messages_are_english_with_accept_language_en(client, setup):
    make_article("NP1", name="Mio Advance", procured=False, first_choice_rank=None)
    error = assert_error(
        client.post(
            "/api/v1/prescriptions",
            json=body(setup["patient"], "NP1"),
            headers=bearer(setup["nurse"], "en"),
        ),
        422,
        "reason_required",
    )
    assert error["message"] == (
        "Mio Advance (NP1) is not procured. Choose a procured article, or give "
        "a reason code and a justification for the deviation."
    )
    assert error["fields"]["reason_code"] == ["Choose a reason code."]
    error = assert_error(
        client.post(
            "/api/v1/prescriptions",
            json=body(setup["patient"], withdrawals="x"),
            headers=bearer(setup["nurse"], "en"),
        ),
        422,
        "invalid",
    )
    assert error["fields"]["withdrawals"] == ["Enter a whole number."]


def test_cancel_then_cancel_again_is_409(client, setup):
    existing = make_prescription(setup["patient"], setup["article"])
    headers = bearer(setup["nurse"])
    response = client.post(
        f"/api/v1/prescriptions/{existing.id}/cancel", headers=headers
    )
    assert response.status_code == 200
    assert response.get_json()["status"] == "cancelled"
    error = assert_error(
        client.post(f"/api/v1/prescriptions/{existing.id}/cancel", headers=headers),
        409,
        "prescription_already_cancelled",
    )
    assert "redan makulerad" in error["message"]
    assert written() == (1, 1)


def test_cancel_of_another_clinics_prescription_is_404(client, setup):
    existing = make_prescription(setup["stranger"], setup["article"])
    assert_error(
        client.post(
            f"/api/v1/prescriptions/{existing.id}/cancel",
            headers=bearer(setup["nurse"]),
        ),
        404,
        "not_found",
    )
    assert_error(
        client.get(
            f"/api/v1/prescriptions/{existing.id}", headers=bearer(setup["nurse"])
        ),
        404,
        "not_found",
    )


def test_renew_answers_201_with_the_new_prescription(client, setup):
    old = make_prescription(setup["patient"], setup["article"], withdrawals_used=4)
    headers = bearer(setup["nurse"])
    response = client.post(
        f"/api/v1/prescriptions/{old.id}/renew", json={}, headers=headers
    )
    assert response.status_code == 201
    data = response.get_json()
    assert data["renewed_from_id"] == old.id and data["id"] != old.id
    assert data["status"] == "active" and data["valid_from"] == TODAY.isoformat()
    again = client.post(
        f"/api/v1/prescriptions/{old.id}/renew",
        json={"withdrawals": 2},
        headers=headers,
    )
    assert_error(again, 409, "prescription_already_renewed")
    fetched = client.get(f"/api/v1/prescriptions/{old.id}", headers=headers)
    assert fetched.get_json()["status"] == "used_up"


def test_writes_and_reads_are_audited_on_the_api_channel(client, setup):
    headers = bearer(setup["nurse"])
    created = client.post(
        "/api/v1/prescriptions", json=body(setup["patient"]), headers=headers
    ).get_json()
    client.get(f"/api/v1/patients/{setup['patient'].id}/prescriptions", headers=headers)
    rows = db.session.execute(
        sa.select(
            AuditEvent.action,
            AuditEvent.object_type,
            AuditEvent.object_id,
            AuditEvent.patient_id,
            AuditEvent.channel,
        ).order_by(AuditEvent.id)
    ).all()
    pid = setup["patient"].id
    assert rows == [
        ("create", "prescription", str(created["id"]), pid, "api"),
        ("read", "patient", str(pid), pid, "api"),
    ]


def test_openapi_documents_the_prescription_operations(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "post" in paths["/prescriptions"]
    assert "get" in paths["/patients/{patient_id}/prescriptions"]
    assert (
        "409" in paths["/prescriptions/{prescription_id}/cancel"]["post"]["responses"]
    )


TOO_FAR = "Datumet ligger för långt fram i tiden."


@pytest.mark.parametrize(
    "dates",
    [{"valid_from": "9999-12-31"},
     {"valid_from": "9999-12-31", "valid_to": "9999-12-31"},
     {"valid_from": "9999-01-01", "valid_to": "9999-06-30"}],
)  # fmt: skip
def test_a_start_at_the_end_of_the_calendar_is_422_on_its_field(client, setup, dates):
    """valid_from 9999-12-31 answered 500 internal_error: the year of validity
    added to it fell after year 9999."""
    before = written()
    error = assert_error(
        client.post(
            "/api/v1/prescriptions",
            json=body(setup["patient"], **dates),
            headers=bearer(setup["nurse"]),
        ),
        422,
        "invalid",
    )
    assert error["fields"]["valid_from"] == [TOO_FAR]
    assert written() == before
    english = client.post(
        "/api/v1/prescriptions",
        json=body(setup["patient"], **dates),
        headers=bearer(setup["nurse"], "en"),
    ).get_json()["error"]
    assert english["fields"]["valid_from"] == ["The date is too far in the future."]


def test_a_renewal_starting_at_the_end_of_the_calendar_is_422(client, setup):
    old = make_prescription(setup["patient"], setup["article"])
    before = written()
    error = assert_error(
        client.post(
            f"/api/v1/prescriptions/{old.id}/renew",
            json={"valid_from": "9999-12-31"},
            headers=bearer(setup["nurse"]),
        ),
        422,
        "invalid",
    )
    assert error["fields"]["valid_from"] == [TOO_FAR]
    assert written() == before
