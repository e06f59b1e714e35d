"""The region's follow-up pages name a patient by pseudonym in the URL too
(privacy review: the row id in /followup/patients/<id> is the id of the admin's
pages, the API and FHIR, so the pseudonym did not separate)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from sesamlike.extensions import db
from sesamlike.followup.runs import run_year
from sesamlike.patients import pseudonym as pseudonyms
from sesamlike.patients.models import PatientPseudonym
from tests import factories as f

YEAR = 2025


@pytest.fixture
def world():
    north = f.make_clinic("NORR")
    sensor = f.make_article(
        category="cgm_sensor", systems=[f.make_system("FreeStyle Libre 2", "cgm")],
        pack_size=1, channel="pharmacy", pack_price_sek=Decimal("550.00"),
    )  # fmt: skip
    anna = f.make_patient(north, first_name="Anna", last_name="Norrman")
    f.make_delivered_line(anna, sensor, date(YEAR, 3, 1), packs=4)
    f.make_delivered_line(anna, sensor, date(YEAR - 1, 3, 1), packs=2)
    run_year(YEAR, full=True)
    run_year(YEAR - 1, full=True)
    return dict(
        anna=anna,
        analyst=f.make_user("region", username="analytiker"),
        chef=f.make_user("manager", username="chef", clinics=[north]),
    )


def test_the_regions_links_carry_the_pseudonym_and_never_the_id(client, auth, world):
    anna = world["anna"]
    key = pseudonyms.pseudonym(anna.id)
    auth.login("analytiker")
    listing = client.get(f"/followup/patients?year={YEAR}").text
    links = re.findall(r'href="(/followup/patients/[^"?]+)', listing)
    assert links == [f"/followup/patients/{key}"]
    page = client.get(f"/followup/patients/{key}?year={YEAR}")
    assert page.status_code == 200 and key in page.text
    drill = re.findall(r'href="(/followup/patients/[^"?]+)', page.text)
    assert drill and set(drill) == {f"/followup/patients/{key}"}  # the years
    assert f"/followup/patients/{anna.id}" not in page.text


def test_an_id_url_answers_the_region_404(client, auth, world):
    auth.login("analytiker")
    assert (
        client.get(f"/followup/patients/{world['anna'].id}?year={YEAR}").status_code
        == 404
    )


@pytest.mark.parametrize("key", ["P-000000000000", "P-abc", "anna", "P-"])
def test_an_unknown_or_malformed_pseudonym_answers_404(client, auth, world, key):
    auth.login("analytiker")
    assert client.get(f"/followup/patients/{key}?year={YEAR}").status_code == 404


def test_a_manager_keeps_the_id_and_cannot_use_a_pseudonym(client, auth, world):
    anna = world["anna"]
    auth.login("chef")
    assert client.get(f"/followup/patients/{anna.id}?year={YEAR}").status_code == 200
    key = pseudonyms.pseudonym(anna.id)
    assert client.get(f"/followup/patients/{key}?year={YEAR}").status_code == 404


def test_a_new_patient_is_found_by_the_pseudonym_through_the_index(app, world):
    patient = f.make_patient(first_name="Ny")
    key = pseudonyms.pseudonym(patient.id)
    assert pseudonyms.patient_id_of(key) == patient.id  # stored when not found
    stored = db.session.scalar(
        sa.select(PatientPseudonym.pseudonym).where(
            PatientPseudonym.patient_id == patient.id
        )
    )
    assert stored == key
    assert pseudonyms.store_missing(db.session.connection()) == 0


def test_a_pseudonym_stored_under_an_old_key_finds_no_one(app, world):
    anna = world["anna"]
    key = pseudonyms.pseudonym(anna.id)
    kept = app.config.get("PSEUDONYM_KEY")
    app.config["PSEUDONYM_KEY"] = "a new key"
    try:
        assert pseudonyms.patient_id_of(key) is None
        pseudonyms.store_all(db.session.connection())
        assert pseudonyms.patient_id_of(pseudonyms.pseudonym(anna.id)) == anna.id
    finally:
        app.config["PSEUDONYM_KEY"] = kept
        db.session.rollback()


def test_the_command_stores_the_pseudonyms_under_a_new_key(app, runner, world):
    """After PSEUDONYM_KEY changed, `followup pseudonyms` makes the region's
    links find the patients again (until then they answer 404)."""
    anna = world["anna"]
    kept = app.config.get("PSEUDONYM_KEY")
    app.config["PSEUDONYM_KEY"] = "a new key"
    try:
        new_key = pseudonyms.pseudonym(anna.id)
        stored = db.session.scalar(
            sa.select(PatientPseudonym.pseudonym).where(
                PatientPseudonym.patient_id == anna.id
            )
        )
        assert stored != new_key
        result = runner.invoke(args=["followup", "pseudonyms"])
        assert result.exit_code == 0, result.output
        assert "Pseudonyms of 1 patients stored." in result.output
        db.session.expire_all()
        assert pseudonyms.patient_id_of(new_key) == anna.id
    finally:
        app.config["PSEUDONYM_KEY"] = kept
