"""POST /api/v1/patients as in interfaces.md, and GET after POST."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from sesamlike.accounts.models import AuditEvent
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.patients.models import Address, CareRelationship, Patient
from tests.factories import (
    ADULT_PNR,
    make_clinic,
    make_patient,
    make_user,
    patient_registration,
)
from tests.functional.test_api_basics import assert_error_format, bearer


@pytest.fixture
def own():
    return make_clinic("OWN")


@pytest.fixture
def headers(own):
    return bearer(make_user("prescriber", clinics=[own]))


def body(**overrides) -> dict:
    data = patient_registration(**overrides)
    return {key: value for key, value in data.items() if value is not None}


def row_counts() -> tuple[int, ...]:
    return tuple(
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Patient, Address, CareRelationship, AuditEvent)
    )


def test_prescriber_registers_a_patient_and_reads_it_back(client, headers):
    response = client.post(
        "/api/v1/patients",
        json=body(
            door_code="1234",
            phone="0701234567",
            email="anna@example.se",
        ),
        headers=headers,
    )
    assert response.status_code == 201
    created = response.get_json()
    assert isinstance(created["id"], int)
    assert created["personal_id"] == ADULT_PNR
    assert created["id_kind"] == "personnummer"
    assert created["birth_date"] == "1990-01-02"
    assert created["clinic_codes"] == ["OWN"]
    assert created["address"] == {
        "street": "Storgatan 1",
        "postal_code": "41101",
        "city": "Göteborg",
        "door_code": "1234",
    }
    assert created["protected_identity"] is False
    read = client.get(f"/api/v1/patients/{created['id']}", headers=headers)
    assert read.status_code == 200 and read.get_json() == created
    assert [
        (e.action, e.channel)
        for e in db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id))
    ] == [("create", "api"), ("read", "api")]


def test_protected_identity_is_registered_and_its_address_not_echoed(client, headers):
    response = client.post(
        "/api/v1/patients", json=body(protected_identity=True), headers=headers
    )
    assert response.status_code == 201
    assert response.get_json()["address"] is None
    assert db.session.scalar(sa.select(Address.street)) == "Storgatan 1"


def test_reserve_number_with_lma_card(client, headers):
    valid_to = (region_today() + timedelta(days=100)).isoformat()
    response = client.post(
        "/api/v1/patients",
        json=body(
            id_kind="reserve",
            personal_id="R-4711",
            lma_number="12-345678",
            lma_valid_to=valid_to,
            birth_date="2001-05-06",
            diabetes_type="other",
        ),
        headers=headers,
    )
    assert response.status_code == 201
    created = response.get_json()
    assert (created["id_kind"], created["lma_valid_to"]) == ("reserve", valid_to)


def test_without_token_is_401_and_writes_nothing(client, own):
    response = client.post("/api/v1/patients", json=body())
    assert_error_format(response, 401, "unauthorized")
    assert row_counts() == (0, 0, 0, 0)


@pytest.mark.parametrize("role", ["depot", "manager", "region", "admin", "patient"])
def test_other_roles_are_403(client, own, role):
    patient = make_patient(own) if role == "patient" else None
    user = make_user(
        role,
        clinics=[own] if role == "manager" else [],
        patients=[patient] if patient else [],
    )
    before = row_counts()
    response = client.post("/api/v1/patients", json=body(), headers=bearer(user))
    assert_error_format(response, 403, "forbidden")
    assert row_counts() == before


def test_invalid_personnummer_is_422_under_its_field(client, headers):
    response = client.post(
        "/api/v1/patients", json=body(personal_id="19900102-9802"), headers=headers
    )
    assert_error_format(response, 422, "invalid")
    assert response.get_json()["error"]["fields"] == {
        "personal_id": ["Ogiltig kontrollsiffra eller datum."]
    }
    assert row_counts() == (0, 0, 0, 0)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"nickname": "Annie"}, "nickname"),
        ({"first_name": None}, "first_name"),
        ({"diabetes_type": "type3"}, "diabetes_type"),
        ({"postal_code": 41101}, "postal_code"),
        ({"protected_identity": "maybe"}, "protected_identity"),
        ({"clinic_code": "OTHER"}, "clinic_code"),
        ({"clinic_code": "NOSUCH"}, "clinic_code"),
        ({"street": "Box 7"}, "street"),
        ({"email": "anna@"}, "email"),
        ({"lma_valid_to": "soon"}, "lma_valid_to"),
    ],
)
def test_invalid_input_is_422_with_fields_and_writes_nothing(
    client, headers, change, field
):
    make_clinic("OTHER")
    data = body()
    for key, value in change.items():
        if value is None:
            data.pop(key)
        else:
            data[key] = value
    before = row_counts()
    response = client.post("/api/v1/patients", json=data, headers=headers)
    assert_error_format(response, 422, "invalid")
    assert field in response.get_json()["error"]["fields"]
    assert row_counts() == before


def test_every_bad_field_is_answered_at_once_schema_and_rules_alike(client, headers):
    """The walkthrough: eight bad fields, and the answer named diabetes_type
    alone (the schema's fault); the rest came one request after another."""
    data = body(
        personal_id="19900102-9802",  # check digit
        first_name=" ",
        diabetes_type="type3",  # the schema's
        clinic_code="NOSUCH",
        street="Box 7",
        postal_code="411",
        phone="tel",
        email="anna@",
    )
    response = client.post("/api/v1/patients", json=data, headers=headers)
    assert_error_format(response, 422, "invalid")
    fields = response.get_json()["error"]["fields"]
    assert fields == {
        "personal_id": ["Ogiltig kontrollsiffra eller datum."],
        "first_name": ["Obligatoriskt."],
        "diabetes_type": ["Välj type1, type2 eller other."],
        "clinic_code": ["Välj en av dina vårdenheter."],
        "street": ["Hjälpmedel levereras inte till boxadress."],
        "postal_code": ["Postnumret ska ha fem siffror."],
        "phone": ["Skriv telefonnumret med siffror, till exempel 070-123 45 67."],
        "email": ["Ange en e-postadress som namn@exempel.se."],
    }
    assert row_counts() == (0, 0, 0, 0)


def test_body_that_is_not_a_json_object_is_422(client, headers):
    response = client.post("/api/v1/patients", json=["x"], headers=headers)
    assert_error_format(response, 422, "invalid")


def test_duplicate_is_409_and_writes_nothing_but_the_attempt(client, headers, own):
    existing = make_patient(own, personal_id=ADULT_PNR)
    before = row_counts()
    response = client.post(
        "/api/v1/patients", json=body(personal_id="900102-9801"), headers=headers
    )
    assert_error_format(response, 409, "patient_exists")
    assert str(existing.id) in response.get_json()["error"]["message"]
    # The answer names the patient: the attempt is in the patient's access log.
    assert row_counts() == (*before[:-1], before[-1] + 1)
    attempt = db.session.scalar(sa.select(AuditEvent).order_by(AuditEvent.id.desc()))
    assert (attempt.action, attempt.patient_id) == ("registration_attempt", existing.id)


def test_duplicate_of_a_patient_you_cannot_see_reveals_nothing(client, headers):
    hidden = make_patient(
        make_clinic("OTHER"), personal_id=ADULT_PNR, last_name="Hemligsson"
    )
    response = client.post("/api/v1/patients", json=body(), headers=headers)
    assert_error_format(response, 409, "patient_exists")
    text = response.get_data(as_text=True)
    assert "Hemligsson" not in text and f"patient {hidden.id}" not in text


def test_messages_follow_accept_language(client, headers):
    response = client.post(
        "/api/v1/patients",
        json=body(personal_id="19900102-9802", nickname="x"),
        headers={**headers, "Accept-Language": "en"},
    )
    # The schema's fault and the rules' of the fields that passed it, at once.
    assert response.get_json()["error"]["fields"] == {
        "nickname": ["Unknown field."],
        "personal_id": ["Invalid check digit or date."],
    }


def test_openapi_documents_the_post_with_its_body_and_errors(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    post = spec["paths"]["/patients"]["post"]
    assert set(post["responses"]) >= {"201", "401", "403", "409", "422"}
    schema = post["requestBody"]["content"]["application/json"]["schema"]
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    assert set(schema["required"]) == {
        "personal_id",
        "first_name",
        "last_name",
        "diabetes_type",
        "clinic_code",
        "street",
        "postal_code",
        "city",
    }
    assert "clinic_code" in schema["description"]


CONTROL = "Får inte innehålla styrtecken (osynliga tecken som NUL)."
CONTROL_EN = "May not contain control characters (invisible characters such as NUL)."


@pytest.mark.parametrize(
    ("field", "value"),
    [("first_name", "a\u0000b"), ("last_name", "Svens\u0007son"),
     ("street", "Storgatan\u001b 1"), ("care_of", "Bo\u000bBerg"),
     ("email", "anna\u0000@example.se")],
)  # fmt: skip
def test_text_with_a_control_character_is_422_on_its_field(
    client, headers, field, value
):
    """first_name "a\\u0000b" was registered (201) on SQLite; PostgreSQL refuses
    NUL in text, and the request answered 500."""
    before = row_counts()
    response = client.post(
        "/api/v1/patients", json=body(**{field: value}), headers=headers
    )
    assert_error_format(response, 422, "invalid")
    assert response.get_json()["error"]["fields"] == {field: [CONTROL]}
    assert row_counts() == before
    english = client.post(
        "/api/v1/patients",
        json=body(**{field: value}),
        headers=headers | {"Accept-Language": "en"},
    ).get_json()["error"]["fields"]
    assert english == {
        field: [
            "May not contain control characters (invisible characters such as NUL)."
        ]
    }


def test_ordinary_whitespace_is_no_control_character(client, headers):
    response = client.post(
        "/api/v1/patients", json=body(care_of="Bo\tBerg"), headers=headers
    )
    assert response.status_code == 201
