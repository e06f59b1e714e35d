"""A prescriber's first pump system, end to end in a real browser.

Register a patient, prescribe a pump with its consumables, order the first
delivery to the clinic and read the confirmation.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from sesamlike.common.time import region_today
from tests.e2e.test_login import log_in
from tests.factories import (
    ADULT_PNR,
    make_article,
    make_clinic,
    make_depot,
    make_patient,
    make_prescription,
    make_pump_system,
    make_user,
)

pytestmark = pytest.mark.e2e


def prescribe(page, article_no: str, packs: int, withdrawals: int, days: int) -> None:
    page.get_by_role("link", name="Ny förskrivning").click()
    page.get_by_label("Artikel", exact=True).select_option(article_no)
    page.get_by_label("Förpackningar per uttag").fill(str(packs))
    page.get_by_label("Antal uttag").fill(str(withdrawals))
    page.get_by_label("Dagar per uttag").fill(str(days))
    page.get_by_role("button", name="Spara förskrivningen").click()
    page.wait_for_load_state()
    assert "är sparad" in page.locator(".flashes").inner_text(), page.content()


def test_prescriber_registers_prescribes_and_orders_the_first_pump_to_the_clinic(
    page, screenshot
):
    clinic = make_clinic(
        "DMS",
        name="Diabetesmottagningen Sahlgrenska",
        street="Blå stråket 5",
        postal_code="41345",
        city="Göteborg",
    )
    make_user(
        "prescriber",
        clinics=[clinic],
        username="e2e-doktor",
        first_time_prescriber=True,
    )
    make_pump_system(make_depot("HMC", name="Hjälpmedelscentralen"), benefit=False)
    log_in(page, "e2e-doktor")

    # Register the patient.
    page.goto("/patients/new")
    page.get_by_label("Nummer", exact=True).fill(ADULT_PNR)
    page.get_by_label("Förnamn", exact=True).fill("Ella")
    page.get_by_label("Efternamn", exact=True).fill("Ek")
    page.get_by_label("Diabetestyp").select_option("type1")
    page.get_by_label("Gatuadress", exact=True).fill("Storgatan 12")
    page.get_by_label("Postnummer", exact=True).fill("41101")
    page.get_by_label("Ort", exact=True).fill("Göteborg")
    page.get_by_role("button", name="Registrera").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Ella Ek"

    # Prescribe the pump and its consumables.
    page.get_by_role("link", name="Förskrivningar").click()
    prescribe(page, "MM780", packs=1, withdrawals=1, days=365)
    prescribe(page, "QS9", packs=3, withdrawals=4, days=90)
    prescribe(page, "RES3", packs=2, withdrawals=4, days=90)

    # Order the first delivery.
    page.get_by_role("navigation", name="Patientens sidor").get_by_role(
        "link", name="Beställningar"
    ).click()
    page.get_by_role("link", name="Ny beställning").click()
    assert page.get_by_label("Till mottagningen").is_checked(), "first pump: clinic"
    for name in ("MiniMed 780G insulinpump", "Quick-set 9 mm", "Reservoar 3 ml"):
        page.get_by_label(name).check()
    assert page.get_by_label("Antal förpackningar (högst 3)").input_value() == "3"
    page.get_by_role("button", name="Skicka beställningen").click()
    page.wait_for_load_state()

    # The confirmation.
    main = page.locator("main")
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Beställningen är mottagen"
    )
    text = main.inner_text()
    assert "Beställningsnummer" in text and "Till mottagningen" in text
    assert "Diabetesmottagningen Sahlgrenska" in text and "Blå stråket 5" in text
    rows = {
        row.locator("td").nth(0).inner_text().split("\n")[0]: (
            row.locator("td").nth(2).inner_text(),
            row.locator("td").nth(3).inner_text(),
        )
        for row in main.locator("tbody tr").all()
    }
    # One wording per status: an order at the supplier is not "sent" yet.
    assert rows == {
        "MiniMed 780G insulinpump": ("Leverantör", "Beställd hos leverantören"),
        "Quick-set 9 mm": ("Hjälpmedelscentral", "Beställd, packas"),
        "Reservoar 3 ml": ("Hjälpmedelscentral", "Beställd, packas"),
    }
    screenshot(page)


def test_time_locked_prescription_shows_when_it_opens(page):
    clinic = make_clinic()
    make_user("prescriber", clinics=[clinic], username="e2e-doktor")
    patient = make_patient(clinic)
    infusion = make_article(name="Quick-set 6 mm")
    make_prescription(
        patient, infusion, withdrawals_used=1, last_withdrawal_on=region_today()
    )
    log_in(page, "e2e-doktor")
    page.goto(f"/patients/{patient.id}/orders/new")
    checkbox = page.get_by_label("Quick-set 6 mm")
    assert checkbox.is_disabled()
    opens = region_today() + timedelta(days=60)
    assert (
        f"Nästa uttag är möjligt från {opens.day} " in page.locator("main").inner_text()
    )


def test_new_order_page_fits_a_360_px_screen(mobile_page, screenshot):
    clinic = make_clinic()
    make_user("prescriber", clinics=[clinic], username="e2e-doktor")
    patient = make_patient(clinic)
    for name in ("Quick-set 9 mm med lång slang 110 cm", "Reservoar 3 ml"):
        make_prescription(patient, make_article(name=name), packs_per_withdrawal=3)
    log_in(mobile_page, "e2e-doktor")
    mobile_page.goto(f"/patients/{patient.id}/orders/new")
    widths = mobile_page.evaluate(
        "() => [document.documentElement.scrollWidth,"
        " document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"horizontal scroll: {widths}"
    assert mobile_page.get_by_role("button", name="Skicka beställningen").is_visible()
    screenshot(mobile_page)
