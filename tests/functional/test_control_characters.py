"""No control character (NUL and the other C0 characters but tab, line feed and
carriage return) gets into the app's text: pages, API and CSV files alike.

first_name "a\\u0000b" was registered through the API on SQLite (201), and
PostgreSQL refuses NUL in text (500). The rule is common.text's; each way in
says it beside the field: the API's loader, every page's form (PageForm) and
the CSV reader. Runs on SQLite and on PostgreSQL (TEST_DATABASE_URL).
"""

from __future__ import annotations

import html
import json

import pytest
import sqlalchemy as sa
from flask_wtf import FlaskForm

from sesamlike.accounts.models import User
from sesamlike.common.forms import PageForm
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.prescriptions.models import Prescription
from tests.factories import (
    make_article,
    make_clinic,
    make_patient,
    make_pump_user,
    make_system,
    make_user,
)
from tests.functional.test_api_basics import assert_error_format, bearer

CONTROL = "Får inte innehålla styrtecken (osynliga tecken som NUL)."


def subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from subclasses(sub)


def test_every_form_of_the_app_is_a_page_form(app):
    forms = [c for c in subclasses(FlaskForm) if c.__module__.startswith("sesamlike.")]
    assert len(forms) > 20
    assert [c for c in forms if not issubclass(c, PageForm)] == []


@pytest.fixture
def setup():
    clinic = make_clinic("OWN")
    nurse = make_user("prescriber", clinics=[clinic], username="nurse")
    patient = make_patient(clinic)
    system = make_system("MiniMed 640G")
    make_pump_user(patient, systems=[system])
    make_article("NP1", systems=[system], procured=False, first_choice_rank=None)
    make_user("admin", username="admin")
    return {"nurse": nurse, "patient": patient}


def prescribed() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Prescription))


def test_a_reason_with_a_nul_is_refused_on_the_page_beside_its_field(
    client, auth, setup
):
    auth.login("nurse")
    data = {
        "article_no": "NP1", "packs_per_withdrawal": "1", "withdrawals": "4",
        "period_days": "90", "valid_from": region_today().isoformat(),
        "reason_code": "medical", "reason_text": "Hudproblem\x00", "clinic_code": "OWN",
    }  # fmt: skip
    url = f"/patients/{setup['patient'].id}/prescriptions/new"
    page = client.post(url, data=data)
    assert page.status_code == 422
    text = html.unescape(page.text)
    assert f'<p class="error" id="reason_text-error">{CONTROL}' in text
    assert prescribed() == 0
    several_lines = client.post(url, data=data | {"reason_text": "Hud-\r\nproblem"})
    assert several_lines.status_code == 302 and prescribed() == 1


def test_a_reason_with_a_nul_is_refused_by_the_api_on_its_field(client, setup):
    body = {
        "patient_id": setup["patient"].id, "article_no": "NP1",
        "packs_per_withdrawal": 1, "withdrawals": 4, "period_days": 90,
        "valid_from": region_today().isoformat(), "reason_code": "medical",
        "reason_text": "Hud\x00problem",
    }  # fmt: skip
    response = client.post(
        "/api/v1/prescriptions", json=body, headers=bearer(setup["nurse"])
    )
    assert_error_format(response, 422, "invalid")
    assert response.get_json()["error"]["fields"] == {"reason_text": [CONTROL]}
    assert prescribed() == 0


def test_a_staff_name_with_a_control_character_is_refused_beside_it(
    client, auth, setup
):
    auth.login("admin")
    data = {"username": "ny.person", "display_name": "Ny\x1bPerson",
            "email": "ny@example.se", "role": "region"}  # fmt: skip
    page = client.post("/admin/users/new", data=data)
    assert f'<p class="error" id="display_name-error">{CONTROL}' in html.unescape(
        page.text
    )
    assert (
        db.session.scalar(sa.select(User).where(User.username == "ny.person")) is None
    )


SEARCH = "Sökningen får inte innehålla styrtecken (osynliga tecken som NUL)."


def test_searches_with_a_nul_say_so_instead_of_failing(client, auth, setup):
    """PostgreSQL refuses NUL in a query's text as well: these answered 500."""
    auth.login("nurse")
    found = client.post("/patients", data={"q": "An\x00na"})
    assert SEARCH in html.unescape(found.text)
    auth.logout()
    auth.login("admin")
    users = client.get("/admin/users", query_string={"q": "a\x00b"})
    assert users.status_code == 422 and SEARCH in html.unescape(users.text)
    logged = client.post("/admin/audit", data={"user": "a\x00b"})
    assert logged.status_code == 200 and SEARCH in html.unescape(logged.text)
    api = client.get(
        "/api/v1/stock", query_string={"article_no": "1\x00"},
        headers=bearer(make_user("depot")),
    )  # fmt: skip
    assert_error_format(api, 422, "invalid")
    assert api.get_json()["error"]["fields"] == {"article_no": [CONTROL]}


def test_a_lone_surrogate_in_a_json_text_is_refused_on_its_field(client, setup):
    """JSON may escape half a UTF-16 pair ("\\ud800"), which no database can
    store: it answered 500 on every text field of the API."""
    body = {
        "patient_id": setup["patient"].id, "article_no": "NP1",
        "packs_per_withdrawal": 1, "withdrawals": 4, "period_days": 90,
        "valid_from": region_today().isoformat(), "reason_code": "medical",
        "reason_text": "Hud\ud800problem",
    }  # fmt: skip
    response = client.post(
        "/api/v1/prescriptions",
        data=json.dumps(body),  # ensure_ascii: sent as the escape "\ud800"
        content_type="application/json",
        headers=bearer(setup["nurse"]),
    )
    assert_error_format(response, 422, "invalid")
    assert response.get_json()["error"]["fields"] == {"reason_text": [CONTROL]}
    assert prescribed() == 0
