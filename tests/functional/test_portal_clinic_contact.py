"""Whom "Kontakta mottagningen" means: the portal names the caring clinic."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from sesamlike.extensions import db
from sesamlike.patients.care import begin_episode
from tests.factories import make_clinic, make_delivery
from tests.portal_data import TODAY, make_region, reorder_form

# The postal code as every page writes it ("416 85").
CLINIC = "Barndiabetesmottagningen Rondvägen 10 416 85 Göteborg"


@pytest.fixture
def region():
    return make_region()


def words(page: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def test_the_patients_pages_name_the_clinic_to_contact(client, auth, region):
    """The walkthrough: "Kontakta mottagningen" on "my aids", a prescription
    page and an order page, and nowhere which clinic or how to reach it."""
    region.rx_infusion.withdrawals_used = region.rx_infusion.withdrawals
    order = make_delivery(region.patient, region.rx_reservoir, TODAY)
    db.session.commit()
    auth.login("ella")
    aids = words(client.get("/portal/").text)
    assert "Kontakta mottagningen" in aids
    assert f"Din mottagning {CLINIC}" in aids
    for path in (
        f"/portal/prescriptions/{region.rx_infusion.id}",
        f"/portal/orders/{order.id}",
    ):
        assert f"Din mottagning {CLINIC}" in words(client.get(path).text), path


def test_a_guardian_is_given_the_childs_clinic(client, auth, region):
    auth.login("anna")
    client.post("/portal/choose", data={"patient_id": region.child.id})
    for path in ("/portal/", f"/portal/prescriptions/{region.rx_child.id}"):
        assert f"Barnets mottagning {CLINIC}" in words(client.get(path).text), path


def test_my_aids_names_the_new_clinic_once_the_patient_moves(client, auth, region):
    """The page is kept until the patient's data changes: a care relationship
    begun or ended is such a change."""
    auth.login("ella")
    assert CLINIC in words(client.get("/portal/").text)
    new = make_clinic("NDM", name="Norra diabetesmottagningen", street="Byv. 2")
    begin_episode(region.patient, new)
    [old] = [c for c in region.patient.care_relationships if c.clinic_id != new.id]
    old.ended_on = TODAY - timedelta(days=1)
    db.session.commit()
    aids = words(client.get("/portal/").text)
    assert "Din mottagning Norra diabetesmottagningen Byv. 2" in aids
    assert "Barndiabetesmottagningen" not in aids


def test_the_reorder_forms_refused_lines_name_the_clinic_to_contact(
    client, auth, region
):
    """A line used up says "Kontakta mottagningen", and the form says which."""
    region.rx_infusion.withdrawals_used = region.rx_infusion.withdrawals
    db.session.commit()
    auth.login("ella")
    form = words(client.get("/portal/order").text)
    assert "Kontakta mottagningen om du behöver en ny förskrivning" in form
    assert f"Din mottagning {CLINIC}" in form


def test_the_reorder_form_sent_with_a_line_refused_meanwhile_names_the_clinic(
    client, auth, region
):
    """The form made earlier, the line used up in another window since."""
    rx = region.rx_infusion
    auth.login("ella")
    client.get("/portal/order")
    rx.withdrawals_used = rx.withdrawals
    db.session.commit()
    sent = client.post("/portal/order", data=reorder_form([(rx.id, 1)]))
    page = words(sent.text)
    assert "Det här kan inte beställas nu" in page
    assert f"Din mottagning {CLINIC}" in page


def test_a_guardians_reorder_form_names_the_childs_clinic(client, auth, region):
    region.rx_child.withdrawals_used = region.rx_child.withdrawals
    db.session.commit()
    auth.login("anna")
    client.post("/portal/choose", data={"patient_id": region.child.id})
    form = words(client.get("/portal/order").text)
    assert "Kontakta barnets mottagning" in form
    assert f"Barnets mottagning {CLINIC}" in form


def test_my_aids_names_the_clinics_new_name_and_address_on_the_next_view(
    client, auth, region
):
    """The admin edits the clinic: the page kept for the session names it as
    it is now, not as it was until the patient's data next moves."""
    auth.login("ella")
    assert CLINIC in words(client.get("/portal/").text)
    region.clinic.name = "Barn- och ungdomsdiabetes"
    region.clinic.street = "Nya vägen 1"
    db.session.commit()
    aids = words(client.get("/portal/").text)
    assert "Din mottagning Barn- och ungdomsdiabetes Nya vägen 1 416 85" in aids
    assert "Barndiabetesmottagningen" not in aids
