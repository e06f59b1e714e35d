"""After the end of a patient's care, in a real browser: a prescriber takes a
patient who moved back into care again, and a guardian whose only child died
reads where to turn (on a phone)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from sesamlike.common.time import region_today
from sesamlike.patients import care_end
from tests.e2e.test_login import log_in
from tests.factories import (
    make_clinic,
    make_lent_device,
    make_patient,
    make_pump,
    make_user,
)

pytestmark = pytest.mark.e2e

YESTERDAY = region_today() - timedelta(days=1)


def test_a_prescriber_takes_a_patient_who_moved_back_into_care(page, screenshot):
    clinic = make_clinic("NORR", name="Diabetesmottagningen Norr")
    prescriber = make_user("prescriber", clinics=[clinic], username="e2e-doktor")
    patient = make_patient(clinic, first_name="Lisa", last_name="Lindgren")
    make_lent_device(patient, make_pump(name="Omnipod DASH PDM"), "PDM-4711")
    care_end.end_care(prescriber, patient.id, "moved_out", YESTERDAY)
    log_in(page, "e2e-doktor")

    page.goto(f"/patients/{patient.id}")
    note = page.locator("section[aria-labelledby=care-ended]")
    assert "Hjälpmedelscentralen samlar in" in note.inner_text()
    assert "PDM-4711" in note.inner_text()
    screenshot(page, "moved-out")
    page.get_by_role("button", name="Ta in patienten i vård igen").click()
    page.wait_for_load_state()

    assert "Patienten är i vård i regionen igen" in page.locator("main").inner_text()
    assert page.locator("section[aria-labelledby=care-ended]").count() == 0
    screenshot(page, "taken-back")


def test_a_guardian_whose_only_child_died_reads_where_to_turn(mobile_page, screenshot):
    clinic = make_clinic()
    prescriber = make_user("prescriber", clinics=[clinic])
    child = make_patient(clinic, first_name="Olle", birth_date=date(2015, 12, 24))
    make_user("guardian", patients=[child], username="e2e-anna")
    care_end.end_care(prescriber, child.id, "deceased", YESTERDAY)
    page = mobile_page
    log_in(page, "e2e-anna")

    page.goto("/portal/")

    text = page.locator("main").inner_text()
    assert "Ditt barns uppgifter finns inte längre i e-tjänsten" in text
    assert "Olle" not in text and "inte kopplat" not in text
    assert "Välj vilket barn" not in text  # nobody to choose
    screenshot(page, "guardian")
