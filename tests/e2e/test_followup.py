"""A clinic manager follows up costs in a real browser: report, year, system
distribution, drill-down to one patient, XLSX export."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from sesamlike.followup.runs import run_year
from tests import factories as f
from tests.e2e.test_login import log_in

pytestmark = pytest.mark.e2e


def seed_two_years():
    clinic = f.make_clinic("E2E", name="Diabetesmottagningen Testby")
    pump = f.make_system("MiniMed 640G")
    p640 = f.make_article(category="pump", systems=[pump], units_per_day=None,
                          amortisation_years=4, pack_size=1,
                          pack_price_sek=Decimal("30000.00"))  # fmt: skip
    sets = f.make_article(category="infusion_set", systems=[pump],
                          pack_price_sek=Decimal("1150.00"))  # fmt: skip
    anna = f.make_patient(clinic, first_name="Anna", last_name="Pumpström")
    f.make_delivered_line(anna, p640, date(2024, 7, 1))
    for month in (1, 4, 7, 10):
        f.make_delivered_line(anna, sets, date(2024, month, 2), packs=3)
        f.make_delivered_line(anna, sets, date(2025, month, 2), packs=3)
    for year in (2024, 2025):
        run_year(year, full=True)
    f.make_user("manager", clinics=[clinic], username="e2e-chef")
    return anna


def test_manager_follows_a_system_down_to_a_patient_and_exports(page):
    anna = seed_two_years()
    log_in(page, "e2e-chef")

    page.get_by_role("link", name="Uppföljning").first.click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Uppföljning")

    page.get_by_label("År", exact=True).select_option("2024")
    page.get_by_role("button", name="Visa").click()
    page.wait_for_load_state()
    assert "Uppföljning 2024" in page.get_by_role("heading", level=1).inner_text()
    assert page.locator("svg.chart").count() >= 1

    page.get_by_role("link", name="Fördelning för MiniMed 640G").first.click()
    page.wait_for_load_state()
    assert "Fördelning för MiniMed 640G" in page.locator("h1").inner_text()
    assert page.locator("svg.chart rect").count() > 0

    page.get_by_role("link", name="Visa patienterna").last.click()
    page.wait_for_load_state()
    page.get_by_role("link", name="Anna Pumpström").click()
    page.wait_for_load_state()
    assert "Anna Pumpström" in page.locator("h1").inner_text()
    # 2024: pump from 1 July (184 days) 3,780.82 + 12 packs of sets 13,800.00
    assert "17\u00a0580,82" in page.locator("main").inner_text()

    page.get_by_role("link", name="Tillbaka till uppföljningen").click()
    page.wait_for_load_state()
    with page.expect_download() as download_info:
        page.locator("a[href*='/followup/export/pump.xlsx']").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    rows = list(load_workbook(io.BytesIO(open(download.path(), "rb").read())).active
                .values)  # fmt: skip
    assert rows[1][0] == "MiniMed 640G" and rows[1][1] == 1
    assert anna.id


# Every element of the report's main part that reaches past the window, outside the
# boxes that scroll sideways on their own (tables, charts).
PAST_THE_EDGE = """() => [...document.querySelectorAll('main *')]
    .filter(e => !e.closest('.table-wrap, .chart-wrap'))
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
    .map(e => e.tagName.toLowerCase() + ': ' + e.textContent.trim().slice(0, 40))"""
CHART_SCALES = """() => [...document.querySelectorAll('svg.chart')].map(svg => [
    svg.getBoundingClientRect().width / svg.viewBox.baseVal.width,
    (svg.closest('.chart-wrap') || svg).getBoundingClientRect().right])"""


@pytest.mark.parametrize("width", [360, 390])
def test_the_managers_report_fits_a_phone_and_its_charts_scroll_in_their_own_box(
    mobile_page, screenshot, width
):
    """At 390 px the page was 958 px wide (tables outside .table-wrap) and the box
    plots were scaled down until their labels were 6 px high (walkthrough)."""
    seed_two_years()
    mobile_page.set_viewport_size({"width": width, "height": 844})
    log_in(mobile_page, "e2e-chef")
    mobile_page.goto("/followup/?year=2025")
    assert mobile_page.locator("#without-cgm").count() == 1
    assert mobile_page.locator("#cost-centres").count() == 1
    widths = mobile_page.evaluate(
        "() => [document.documentElement.scrollWidth,"
        " document.documentElement.clientWidth]"
    )
    assert widths[0] <= width, f"the page scrolls sideways: {widths}"
    assert mobile_page.evaluate(PAST_THE_EDGE) == []
    scales = mobile_page.evaluate(CHART_SCALES)
    assert len(scales) >= 3  # the pump, CGM, age and trend charts
    for scale, right in scales:
        assert scale >= 1, "a chart's 12 px labels are drawn smaller than 12 px"
        assert right <= width, "a chart's box reaches past the window"
    screenshot(mobile_page, str(width))


# The element's text takes one line (its height below one and a half lines).
ONE_LINE = """e => { const r = document.createRange(); r.selectNodeContents(e);
    const line = parseFloat(getComputedStyle(e).lineHeight)
        || 1.2 * parseFloat(getComputedStyle(e).fontSize);
    return r.getBoundingClientRect().height < 1.5 * line }"""


def test_on_a_phone_the_manager_sorts_the_patients_and_reads_why_one_costs(
    mobile_page, screenshot
):
    """The walkthrough at 390 px: the list could only be read costliest first
    (then not the other way round either), and the patient page's dates broke
    over two lines ("2025-01-" / "20")."""
    anna = seed_two_years()
    clinic = anna.care_relationships[0].clinic
    libre = f.make_article(category="cgm_sensor", pack_size=1, channel="central",
                           systems=[f.make_system("FreeStyle Libre 2", "cgm")],
                           pack_price_sek=Decimal("30000.00"))  # fmt: skip
    bo = f.make_patient(
        clinic, first_name="Bo", last_name="Sensorsson", personal_id="198401029817"
    )
    f.make_delivered_line(bo, libre, date(2025, 2, 2))
    run_year(2025, full=True)
    mobile_page.set_viewport_size({"width": 390, "height": 844})
    log_in(mobile_page, "e2e-chef")
    mobile_page.goto("/followup/patients?year=2025")
    names = mobile_page.locator("tbody th a")
    assert names.all_inner_texts() == ["Bo Sensorsson", "Anna Pumpström"]
    number = mobile_page.locator("tbody th small").first  # ÅÅÅÅMMDD-NNNN
    assert number.evaluate(ONE_LINE), "a personnummer breaks over two lines"

    mobile_page.get_by_role("link", name="Utlånade hjälpmedel (kr)").click()
    mobile_page.wait_for_load_state()
    assert names.all_inner_texts() == ["Anna Pumpström", "Bo Sensorsson"]
    caption = mobile_page.locator("caption").inner_text()
    assert "högst kostnad för utlånade hjälpmedel först" in caption
    sorted_by = mobile_page.locator("th[aria-sort]")
    assert sorted_by.inner_text() == "Utlånade hjälpmedel (kr) ↓"
    assert mobile_page.evaluate(PAST_THE_EDGE) == []
    # The sorted column tapped again: the lowest first, and its arrow turned.
    mobile_page.get_by_role("link", name="Utlånade hjälpmedel (kr)").click()
    mobile_page.wait_for_load_state()
    assert names.all_inner_texts() == ["Bo Sensorsson", "Anna Pumpström"]
    caption = mobile_page.locator("caption").inner_text()
    assert "lägst kostnad för utlånade hjälpmedel först" in caption
    assert sorted_by.inner_text() == "Utlånade hjälpmedel (kr) ↑"
    assert sorted_by.get_attribute("aria-sort") == "ascending"

    names.first.click()
    mobile_page.wait_for_load_state()
    date_cell = mobile_page.locator("#cost-lines tbody td").first
    assert date_cell.evaluate(ONE_LINE), "a date breaks over two lines"
    assert mobile_page.locator("#article-use").count() == 1
    screenshot(mobile_page, "patient")
