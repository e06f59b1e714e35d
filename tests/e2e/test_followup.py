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
