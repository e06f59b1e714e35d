"""The current year is counted up to today, and says so wherever a year names a
figure's period.

The walkthrough: "Uppföljning 2026" and the trend table (and its CSV) put 2026,
mean 26 629,72, next to 2025, mean 28 541,82, with nothing to say 2026 ran only
to 5 December (pumps written off for 339 days): a manager read it as costs going
down. The cost rules count the current year up to today on purpose; the label
makes it impossible to misread.
"""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from babel.dates import format_date
from openpyxl import load_workbook

from sesamlike.common.time import region_today
from sesamlike.followup.runs import run_year
from tests import factories as f

TODAY = region_today()
THIS_YEAR, LAST_YEAR = TODAY.year, TODAY.year - 1
SV_LABEL = f"{THIS_YEAR} (t.o.m. {format_date(TODAY, 'd MMMM', locale='sv_SE')})"
EN_LABEL = f"{THIS_YEAR} (up to {format_date(TODAY, 'd MMMM', locale='en_GB')})"


@pytest.fixture
def two_years():
    """A pump patient with costs last year and this year, both computed."""
    clinic = f.make_clinic("NORR")
    pump = f.make_system("MiniMed 640G")
    p640 = f.make_article(category="pump", systems=[pump], units_per_day=None,
                          amortisation_years=4, pack_size=1,
                          pack_price_sek=Decimal("30000.00"))  # fmt: skip
    sets = f.make_article(category="infusion_set", systems=[pump],
                          pack_price_sek=Decimal("1150.00"))  # fmt: skip
    patient = f.make_patient(clinic)
    f.make_delivered_line(patient, p640, date(LAST_YEAR, 7, 1))
    f.make_delivered_line(patient, sets, date(LAST_YEAR, 9, 1), packs=3)
    f.make_delivered_line(patient, sets, TODAY, packs=3)
    for year in (LAST_YEAR, THIS_YEAR):
        run_year(year, full=True)
    return {"manager": f.make_user("manager", clinics=[clinic]), "patient": patient}


def text_of(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


def trend_rows(page: str) -> list[str]:
    table = page.split('id="trend"')[1].split("</table>")[0]
    return [text_of(cell) for cell in re.findall(r'<th scope="row">(.*?)</th>', table)]


def test_the_report_labels_the_current_year_as_counted_up_to_today(
    client, auth, two_years
):
    auth.login(two_years["manager"].username)
    page = client.get(f"/followup/?year={THIS_YEAR}").text

    assert text_of(page.split("<h1>")[1].split("</h1>")[0]).startswith(
        f"Uppföljning {SV_LABEL}"
    )
    options = re.findall(r'<option[^>]*value="(\d+)"[^>]*>([^<]*)</option>', page)
    assert (str(THIS_YEAR), SV_LABEL) in options
    assert (str(LAST_YEAR), str(LAST_YEAR)) in options  # a whole year as it was
    assert 'id="part-year"' in page  # and the first screen says why
    # The trend: the part year beside the whole one, and a word under the heading.
    assert trend_rows(page) == [str(LAST_YEAR), SV_LABEL]
    assert f"{THIS_YEAR} räknas bara till och med" in page
    assert f">{SV_LABEL}</text>" in page  # the trend chart's bar

    # A whole year's report names its year alone, but its trend still tells.
    page = client.get(f"/followup/?year={LAST_YEAR}").text
    assert text_of(page.split("<h1>")[1].split("</h1>")[0]).startswith(
        f"Uppföljning {LAST_YEAR}"
    )
    assert 'id="part-year"' not in page
    assert trend_rows(page) == [str(LAST_YEAR), SV_LABEL]


def test_the_other_follow_up_pages_label_the_current_year_too(client, auth, two_years):
    auth.login(two_years["manager"].username)
    patient = two_years["patient"]
    for path in ("articles", "channels", "patients", "system/pump?name=MiniMed+640G&",
                 f"patients/{patient.id}"):  # fmt: skip
        join = "" if path.endswith("&") else "?"
        page = client.get(f"/followup/{path}{join}year={THIS_YEAR}").text
        assert SV_LABEL in page, path


def test_the_trend_export_says_up_to_which_day_each_year_is_counted(
    client, auth, two_years
):
    auth.login(two_years["manager"].username)
    response = client.get(f"/followup/export/trend.csv?year={THIS_YEAR}")
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff")), delimiter=";"))
    # A clinic's file adds what its cost centre paid, after these.
    assert rows[0][:5] == ["År", "Patienter", "Medel (kr)", "Summa (kr)",
                           "Räknat t.o.m."]  # fmt: skip
    assert [(row[0], row[4]) for row in rows[1:]] == [
        (str(LAST_YEAR), f"{LAST_YEAR}-12-31"), (str(THIS_YEAR), TODAY.isoformat())
    ]  # fmt: skip
    response = client.get(f"/followup/export/trend.xlsx?year={THIS_YEAR}")
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = [[cell.value for cell in row] for row in sheet.rows]
    assert values[0][4] == "Räknat t.o.m."
    assert [row[4].date() for row in values[1:]] == [date(LAST_YEAR, 12, 31), TODAY]


def test_the_current_year_is_labelled_in_english(client, auth, two_years):
    auth.login(two_years["manager"].username)
    client.post("/language", data={"locale": "en"})
    page = client.get(f"/followup/?year={THIS_YEAR}").text
    assert EN_LABEL in text_of(page.split("<h1>")[1].split("</h1>")[0])
    assert trend_rows(page) == [str(LAST_YEAR), EN_LABEL]
    assert "The year is not over: costs are counted up to and including" in page
    response = client.get(f"/followup/export/trend.csv?year={THIS_YEAR}")
    assert "Counted up to" in response.text.splitlines()[0]


@pytest.mark.parametrize("path", ["patient-costs", "system-costs", "cost-centres"])
def test_the_api_says_up_to_which_day_a_year_is_counted(client, two_years, path):
    """An added field beside the contract's: `counted_to`; the figures' meaning
    is unchanged."""
    from sesamlike.accounts.services import issue_token

    headers = {"Authorization": f"Bearer {issue_token(two_years['manager'].username)}"}
    for year, counted_to in ((THIS_YEAR, TODAY.isoformat()),
                             (LAST_YEAR, f"{LAST_YEAR}-12-31")):  # fmt: skip
        body = client.get(f"/api/v1/followup/{path}?year={year}", headers=headers).json
        assert body["year"] == year and body["counted_to"] == counted_to
    body = client.get(f"/api/v1/followup/{path}?year=2100", headers=headers).json
    assert body["counted_to"] is None


def test_the_label_says_the_day_of_the_last_run_not_today(client, auth):
    """Between midnight and the nightly run (or with the scheduler stopped)
    the stored figures still end on the day of the last run: the label and
    the API's counted_to say that day, not today."""
    from datetime import UTC, datetime, time, timedelta

    if TODAY.timetuple().tm_yday == 1:
        pytest.skip("the day before today is in another year")
    clinic = f.make_clinic("NORR")
    pump = f.make_system("MiniMed 640G")
    p640 = f.make_article(category="pump", systems=[pump], units_per_day=None,
                          amortisation_years=4, pack_size=1,
                          pack_price_sek=Decimal("30000.00"))  # fmt: skip
    f.make_delivered_line(f.make_patient(clinic), p640, date(THIS_YEAR, 1, 1))
    yesterday = TODAY - timedelta(days=1)
    run_year(THIS_YEAR, full=True, now=datetime.combine(yesterday, time(12), UTC))
    manager = f.make_user("manager", clinics=[clinic])
    auth.login(manager.username)
    page = client.get(f"/followup/?year={THIS_YEAR}").get_data(as_text=True)
    label = f"{THIS_YEAR} (t.o.m. {format_date(yesterday, 'd MMMM', locale='sv_SE')})"
    assert label in html.unescape(page)
    assert SV_LABEL not in html.unescape(page)
