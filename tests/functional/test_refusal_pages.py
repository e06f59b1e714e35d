"""One handler for refusals no form shows: an error page that says why, or the API's
JSON error; either way with the refusal's own status and nothing written."""

from __future__ import annotations

import html

import pytest
import sqlalchemy as sa

from sesamlike import config, create_app
from sesamlike.accounts.models import Clinic
from sesamlike.common.errors import NotVisible
from sesamlike.extensions import db
from sesamlike.stock.errors import ProposalAlreadyDecided
from tests.factories import make_clinic, make_patient, make_user


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def refusing_app(database_url):
    """An app with routes that write a row and are then refused."""
    settings = config.TestConfig(database_url)
    settings.WTF_CSRF_ENABLED = False
    app = create_app(settings)

    def write_then_refuse(error):
        db.session.add(Clinic(code="HALF", name="Halvskriven", cost_centre="X1"))
        db.session.flush()
        raise error

    @app.route("/refused-page")
    def refused_page():
        write_then_refuse(ProposalAlreadyDecided())

    @app.route("/api/v1/refused")
    def refused_api():
        write_then_refuse(ProposalAlreadyDecided())

    @app.route("/hidden-page")
    def hidden_page():
        write_then_refuse(NotVisible())

    yield app
    with app.app_context():
        db.engine.dispose()


def clinics() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Clinic))


def test_a_refused_page_says_why_with_the_refusals_status(refusing_app):
    client = refusing_app.test_client()
    response = client.get("/refused-page")
    assert response.status_code == 409
    page = text_of(response)
    assert "Det går inte just nu" in page
    assert "Förslaget är redan hanterat." in page
    assert clinics() == 0


def test_the_refusal_is_in_the_language_the_user_chose(refusing_app):
    client = refusing_app.test_client()
    client.post("/language", data={"locale": "en", "next": "/"})
    page = text_of(client.get("/refused-page"))
    assert "The proposal has already been handled." in page
    assert "Not possible now" in page


def test_something_not_visible_gets_the_plain_404_page(refusing_app):
    response = refusing_app.test_client().get("/hidden-page")
    assert response.status_code == 404
    assert "Det du letar efter finns inte" in text_of(response)
    assert "Hittades inte." not in text_of(response)
    assert clinics() == 0


def test_a_refused_api_request_answers_the_error_format_with_its_own_code(
    refusing_app,
):
    response = refusing_app.test_client().get("/api/v1/refused")
    assert response.status_code == 409
    assert response.get_json() == {
        "error": {
            "code": "proposal_already_decided",
            "message": "Förslaget är redan hanterat.",
            "fields": {},
        }
    }
    assert clinics() == 0


def test_a_manager_opening_the_prescription_form_is_told_who_may_prescribe(
    client, auth
):
    clinic = make_clinic("OWN")
    patient = make_patient(clinic)
    make_user("manager", clinics=[clinic], username="boss")
    auth.login("boss")
    response = client.get(f"/patients/{patient.id}/prescriptions/new")
    assert response.status_code == 403
    assert "Bara förskrivare kan förskriva, förnya och makulera förskrivningar." in (
        text_of(response)
    )
