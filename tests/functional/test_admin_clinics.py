"""The region's clinics, kept by the admin: list, add, change.

Patients read a clinic's name, address and phone wherever the portal asks them
to contact it; orders to the clinic go to its address. Before this page a
clinic could only be made on the command line, with no address or phone, and
nothing could change it.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from sesamlike.accounts.models import AuditEvent, Clinic
from sesamlike.extensions import db
from tests.factories import make_clinic, make_user
from tests.portal_data import make_region

DETAILS = {
    "name": "Diabetesmottagningen Öster",
    "cost_centre": "71050",
    "street": "Östra vägen 3",
    "postal_code": "871 45",
    "city": "Härnösand",
    "phone": "0611-123 45",
}


def words(page: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def clinic_audit() -> list[tuple[str, str | None]]:
    return list(
        db.session.execute(
            sa.select(AuditEvent.action, AuditEvent.detail)
            .where(AuditEvent.object_type == "clinic")
            .order_by(AuditEvent.id)
        ).all()
    )


@pytest.fixture
def admin(client, auth):
    make_user("admin", username="admin")
    auth.login("admin")
    return client


def test_the_admin_lists_the_clinics_and_marks_what_is_missing(admin):
    make_clinic("NORR", name="Norrstad", street="Sjukhusv. 1", postal_code="87140",
                city="Norrstad", phone="031-390 06 10")  # fmt: skip
    make_clinic("BDM", name="Barndiabetes")
    page = admin.get("/admin/clinics")
    assert page.status_code == 200
    text = words(page.text)
    assert "NORR Norrstad" in text and "Sjukhusv. 1, 871 40 Norrstad" in text
    assert "031-390 06 10" in text
    assert "BDM Barndiabetes" in text and text.count("Saknas") == 2


def test_the_admin_adds_a_clinic_with_its_address_and_phone(admin):
    answer = admin.post("/admin/clinics/new", data={"code": "OST", **DETAILS})
    assert answer.status_code == 302
    clinic = db.session.scalar(sa.select(Clinic).where(Clinic.code == "OST"))
    assert (clinic.name, clinic.cost_centre, clinic.street, clinic.postal_code,
            clinic.city, clinic.phone) == (
        "Diabetesmottagningen Öster", "71050", "Östra vägen 3", "87145",
        "Härnösand", "0611-123 45",
    )  # fmt: skip
    assert clinic_audit() == [("clinic_create", "OST")]
    assert "Vårdenheten OST är tillagd." in admin.get(answer.location).text


def test_bad_details_are_each_named_and_nothing_is_written(admin):
    answer = admin.post(
        "/admin/clinics/new",
        data={"code": "OST", **DETAILS, "name": " ", "postal_code": "8714",
              "city": "", "phone": "ring växeln"},
    )  # fmt: skip
    assert answer.status_code == 422
    text = words(answer.text)
    assert "Obligatoriskt." in text  # the name
    assert "Postnumret ska ha fem siffror." in text
    assert "Fyll i gatuadress, postnummer och ort, eller lämna alla tre tomma." in text
    assert "Skriv telefonnumret med siffror, till exempel 070-123 45 67." in text
    assert db.session.scalar(sa.select(sa.func.count(Clinic.id))) == 0
    assert clinic_audit() == []


def test_a_code_in_use_is_refused_beside_the_code(admin):
    make_clinic("OST", name="Östra")
    answer = admin.post("/admin/clinics/new", data={"code": "OST", **DETAILS})
    assert answer.status_code == 422
    assert "Koden används redan av en annan vårdenhet." in answer.text
    assert db.session.scalar(sa.select(Clinic.name).where(Clinic.code == "OST")) == (
        "Östra"
    )


def test_the_admin_changes_a_clinic_and_the_change_is_logged(admin):
    clinic = make_clinic("OST", name="Östra", cost_centre="71050")
    page = admin.get(f"/admin/clinics/{clinic.id}")
    assert page.status_code == 200 and 'name="code"' not in page.text
    answer = admin.post(f"/admin/clinics/{clinic.id}", data=DETAILS)
    assert answer.status_code == 302
    db.session.refresh(clinic)
    assert (clinic.code, clinic.name, clinic.phone) == (
        "OST",
        "Diabetesmottagningen Öster",
        "0611-123 45",
    )
    assert clinic_audit() == [
        ("clinic_update", "OST: name, street, postal_code, city, phone")
    ]
    again = admin.post(f"/admin/clinics/{clinic.id}", data=DETAILS)
    assert "Inget ändrades." in admin.get(again.location).text
    assert len(clinic_audit()) == 1


def test_a_clinic_without_an_address_keeps_none(admin):
    """An address is whole or absent: orders to the clinic go to it."""
    clinic = make_clinic("OST", name="Östra", cost_centre="71050")
    answer = admin.post(
        f"/admin/clinics/{clinic.id}",
        data={"name": "Östra", "cost_centre": "71050", "street": "Östra vägen 3"},
    )
    assert answer.status_code == 422
    db.session.refresh(clinic)
    assert clinic.street is None


@pytest.mark.parametrize("role", ["prescriber", "manager", "depot", "region"])
def test_only_the_admin_keeps_clinics(client, auth, role):
    clinic = make_clinic("OST", name="Östra")
    make_user(role, username="staff", clinics=[clinic] if role != "depot" else [])
    auth.login("staff")
    assert client.get("/admin/clinics").status_code == 403
    assert client.post(f"/admin/clinics/{clinic.id}", data=DETAILS).status_code == 403
    db.session.refresh(clinic)
    assert clinic.name == "Östra"


def test_an_unknown_clinic_is_not_found(admin):
    assert admin.get("/admin/clinics/999").status_code == 404


def test_the_patient_reads_the_clinics_phone_as_soon_as_it_is_saved(client, auth):
    """The parent at night: "Kontakta mottagningen", and a number to call
    (the kept "my aids" page must not go on without it)."""
    region = make_region()
    make_user("admin", username="admin")
    auth.login("ella")
    assert "Telefon" not in words(client.get("/portal/").text)
    auth.logout()
    auth.login("admin")
    clinic = region.clinic
    data = {"name": clinic.name, "cost_centre": clinic.cost_centre,
            "street": clinic.street, "postal_code": clinic.postal_code,
            "city": clinic.city, "phone": "031-390 06 10"}  # fmt: skip
    assert client.post(f"/admin/clinics/{clinic.id}", data=data).status_code == 302
    auth.logout()
    auth.login("ella")
    page = client.get("/portal/").text
    assert "Telefon 031-390 06 10" in words(page)
    assert 'href="tel:0313900610"' in page
