"""The API's authentication, error format, OpenAPI document and GET /patients/{id}."""

import pytest
import sqlalchemy as sa

from sesamlike.accounts.models import AuditEvent
from sesamlike.accounts.services import issue_token
from sesamlike.extensions import db
from tests.factories import make_clinic, make_patient, make_user


def bearer(user) -> dict:
    return {"Authorization": f"Bearer {issue_token(user.username)}"}


def assert_error_format(response, status, code):
    assert response.status_code == status
    body = response.get_json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["fields"], dict)


@pytest.fixture
def clinic_setup():
    own, other = make_clinic("OWN"), make_clinic("OTHER")
    prescriber = make_user("prescriber", clinics=[own])
    patient = make_patient(own)
    stranger = make_patient(other)
    return prescriber, patient, stranger


@pytest.mark.parametrize(
    "header",
    [None, "Bearer not-a-token", "Basic dXNlcjpwYXNz", "Bearer "],
)
def test_request_without_valid_token_is_401_in_error_format(
    client, clinic_setup, header
):
    _, patient, _ = clinic_setup
    headers = {"Authorization": header} if header else {}
    response = client.get(f"/api/v1/patients/{patient.id}", headers=headers)
    assert_error_format(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_token_of_deactivated_user_is_refused(client, clinic_setup):
    prescriber, patient, _ = clinic_setup
    headers = bearer(prescriber)
    prescriber.active = False
    db.session.commit()
    assert (
        client.get(f"/api/v1/patients/{patient.id}", headers=headers).status_code == 401
    )


def test_prescriber_reads_patient_of_own_clinic(client, clinic_setup):
    prescriber, patient, _ = clinic_setup
    response = client.get(f"/api/v1/patients/{patient.id}", headers=bearer(prescriber))
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == patient.id
    assert body["personal_id"] == patient.personal_id
    assert body["clinic_codes"] == ["OWN"]
    assert body["address"]["door_code"] == "1234"
    assert "set-cookie" not in {k.lower() for k in response.headers.keys()}


def test_patient_of_another_clinic_is_404_like_a_missing_one(client, clinic_setup):
    prescriber, _, stranger = clinic_setup
    headers = bearer(prescriber)
    hidden = client.get(f"/api/v1/patients/{stranger.id}", headers=headers)
    missing = client.get("/api/v1/patients/999999", headers=headers)
    assert_error_format(hidden, 404, "not_found")
    assert hidden.get_json() == missing.get_json()


def test_reading_a_patient_writes_an_audit_row(client, clinic_setup):
    prescriber, patient, stranger = clinic_setup
    headers = bearer(prescriber)
    client.get(f"/api/v1/patients/{patient.id}", headers=headers)
    client.get(f"/api/v1/patients/{stranger.id}", headers=headers)
    events = db.session.scalars(sa.select(AuditEvent)).all()
    assert [(e.user_id, e.patient_id, e.action, e.channel) for e in events] == [
        (prescriber.id, patient.id, "read", "api")
    ]


def test_protected_identity_hides_address_and_phone_except_from_the_patient(client):
    """Need to know (issue 15): the aids centre reads no patient record; a
    protected patient's address and phone are in no answer but the patient's."""
    clinic = make_clinic()
    prescriber = make_user("prescriber", clinics=[clinic])
    depot = make_user("depot")
    patient = make_patient(clinic, protected_identity=True, phone="0701234567")
    self_user = make_user("patient", patients=[patient])
    as_prescriber = client.get(
        f"/api/v1/patients/{patient.id}", headers=bearer(prescriber)
    )
    as_depot = client.get(f"/api/v1/patients/{patient.id}", headers=bearer(depot))
    as_self = client.get(f"/api/v1/patients/{patient.id}", headers=bearer(self_user))
    assert as_prescriber.get_json()["address"] is None
    assert as_prescriber.get_json()["phone"] is None
    assert_error_format(as_depot, 403, "forbidden")
    assert as_self.get_json()["address"]["street"] == patient.home_address().street
    assert as_self.get_json()["phone"] == "0701234567"


@pytest.mark.parametrize("role", ["patient", "guardian"])
def test_roles_without_care_relationship_get_404(client, clinic_setup, role):
    _, patient, stranger = clinic_setup
    user = make_user(role, patients=[stranger])
    response = client.get(f"/api/v1/patients/{patient.id}", headers=bearer(user))
    assert_error_format(response, 404, "not_found")


@pytest.mark.parametrize("role", ["admin", "depot", "region"])
def test_roles_that_read_no_patient_record_get_403(client, clinic_setup, role):
    _, patient, _ = clinic_setup
    user = make_user(role)
    response = client.get(f"/api/v1/patients/{patient.id}", headers=bearer(user))
    assert_error_format(response, 403, "forbidden")


def test_patient_reads_own_record(client, clinic_setup):
    _, patient, _ = clinic_setup
    user = make_user("patient", patients=[patient])
    assert (
        client.get(f"/api/v1/patients/{patient.id}", headers=bearer(user)).status_code
        == 200
    )


def test_unknown_api_path_and_wrong_method_answer_in_error_format(client, clinic_setup):
    prescriber, patient, _ = clinic_setup
    headers = bearer(prescriber)
    assert_error_format(
        client.get("/api/v1/nothing-here", headers=headers), 404, "not_found"
    )
    wrong_method = client.delete(f"/api/v1/patients/{patient.id}", headers=headers)
    assert_error_format(wrong_method, 405, "method_not_allowed")
    # RFC 9110: a 405 says which methods the address takes.
    assert set(wrong_method.headers["Allow"].split(", ")) >= {"GET"}


def test_error_messages_follow_accept_language(client):
    response = client.get("/api/v1/patients/1", headers={"Accept-Language": "en"})
    assert (
        response.get_json()["error"]["message"]
        == "A valid API token (Bearer) is missing."
    )


def test_openapi_document_describes_every_api_route(app, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    documented = {
        (path, method.upper()) for path, ops in spec["paths"].items() for method in ops
    }
    routed = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api.") and rule.endpoint != "api.openapi_document":
            path = rule.rule.removeprefix("/api/v1")
            for arg in rule.arguments:
                path = path.replace(f"<int:{arg}>", f"{{{arg}}}").replace(
                    f"<{arg}>", f"{{{arg}}}"
                )
            routed |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert routed and routed == documented
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_guardian_loses_access_when_the_child_turns_eighteen(client):
    from datetime import date, timedelta

    from sesamlike.patients.access import adult_born_before

    clinic = make_clinic()
    child = make_patient(clinic, birth_date=adult_born_before() + timedelta(days=1))
    adult = make_patient(clinic, birth_date=adult_born_before())
    guardian = make_user("guardian", patients=[child, adult])
    headers = bearer(guardian)
    assert (
        client.get(f"/api/v1/patients/{child.id}", headers=headers).status_code == 200
    )
    assert (
        client.get(f"/api/v1/patients/{adult.id}", headers=headers).status_code == 404
    )
    assert adult_born_before(date(2028, 2, 29)) == date(2010, 2, 28)
