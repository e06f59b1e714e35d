"""What staff pages say after a patient's life events (the 18th birthday)."""

from __future__ import annotations

from datetime import date, timedelta

from sesamlike.extensions import db
from sesamlike.patients import access
from sesamlike.patients.models import Guardian
from tests.factories import make_clinic, make_patient, make_user


def _patient_with_guardian(born):
    clinic = make_clinic()
    make_user("prescriber", clinics=[clinic], username="doktor")
    patient = make_patient(clinic, birth_date=born)
    make_user("guardian", patients=[patient], username="mamma",
              display_name="Mamma Svensson", email="mamma@example.se")  # fmt: skip
    guardian = db.session.query(Guardian).filter_by(patient_id=patient.id).one()
    guardian.phone = "0701112233"
    db.session.commit()
    return patient


def test_on_the_18th_birthday_the_patient_page_names_no_guardian_any_more(client, auth):
    """The page listed the parents under "Vårdnadshavare", with their phone,
    e-mail and "har inloggning", for a patient of 18 (or 40): the link ends
    on the 18th birthday, and the adult clinic has no need of them."""
    patient = _patient_with_guardian(access.adult_born_before())
    auth.login("doktor")

    page = client.get(f"/patients/{patient.id}").get_data(as_text=True)

    assert "Mamma Svensson" not in page and "mamma@example.se" not in page
    assert "0701112233" not in page and "har inloggning" not in page
    assert "upphörde när patienten fyllde 18 år" in page


def test_the_day_before_the_18th_birthday_the_guardian_is_still_listed(client, auth):
    patient = _patient_with_guardian(access.adult_born_before() + timedelta(days=1))
    auth.login("doktor")

    page = client.get(f"/patients/{patient.id}").get_data(as_text=True)

    assert "Mamma Svensson" in page and "har inloggning" in page


def test_a_guardian_whose_child_turned_18_is_told_so_not_sent_to_the_clinic(
    client, auth
):
    """The morning after the birthday the parent's login found "Ditt konto är
    inte kopplat till något barn. Kontakta barnets mottagning.": it was, and
    the clinic can do nothing about a link that ends at 18 by law."""
    _patient_with_guardian(access.adult_born_before())
    auth.login("mamma")

    page = client.get("/portal/choose").get_data(as_text=True)

    assert "Kontakta barnets mottagning" not in page
    assert "har fyllt 18 år" in page


def test_a_guardian_of_a_child_and_of_one_who_turned_18_is_told_of_both(client, auth):
    patient = _patient_with_guardian(access.adult_born_before())
    guardian = db.session.query(Guardian).filter_by(patient_id=patient.id).one()
    for name in ("Lilla", "Lillebror"):
        clinic = patient.care_relationships[0].clinic
        younger = make_patient(clinic, first_name=name, birth_date=date(2020, 5, 1))
        younger.guardians.append(Guardian(name="Mamma", user_id=guardian.user_id))
    db.session.commit()
    auth.login("mamma")

    page = client.get("/portal/choose").get_data(as_text=True)

    assert "Lilla" in page and "Lillebror" in page and "har fyllt 18 år" in page
    assert patient.last_name not in page
