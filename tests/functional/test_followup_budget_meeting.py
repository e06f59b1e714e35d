"""A clinic manager the evening before the budget meeting, and the region's
analyst answering the national review: the figures of one year agree on every
page, file and answer, and each says what it is."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from babel.dates import format_date
from openpyxl import load_workbook

from sesamlike.accounts.models import Clinic
from sesamlike.accounts.services import issue_token
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.followup.runs import run_year
from tests import factories as f
from tests.integration.test_followup_truth import june_mover, move_clinic

TODAY = region_today()
THIS_YEAR, LAST_YEAR = TODAY.year, TODAY.year - 1


def swedish_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.text.lstrip("\ufeff")), delimiter=";"))


def amount(cell: str) -> Decimal:
    return Decimal(cell.replace(",", "."))


@pytest.fixture
def pump_since_last_year():
    """A pump lent last summer and still in use, consumables this year, the
    year computed today."""
    clinic = f.make_clinic("NORR")
    pump = f.make_system("MiniMed 640G")
    p640 = f.make_article(category="pump", systems=[pump], units_per_day=None,
                          amortisation_years=4, pack_size=1,
                          pack_price_sek=Decimal("30000.00"))  # fmt: skip
    sets = f.make_article(category="infusion_set", systems=[pump],
                          pack_price_sek=Decimal("1150.00"))  # fmt: skip
    patient = f.make_patient(clinic)
    f.make_delivered_line(patient, p640, date(LAST_YEAR, 7, 1))
    f.make_delivered_line(patient, sets, TODAY - timedelta(days=1), packs=3)
    run_year(THIS_YEAR, full=True)
    return {"manager": f.make_user("manager", clinics=[clinic]), "patient": patient}


def test_the_article_page_counts_the_current_year_up_to_today_as_the_report(
    client, auth, pump_since_last_year
):
    """The pump's days this year run to today, on the articles as in the
    report: the whole year's 7,500 kr made the articles' sum differ from the
    report's total by the rest of the year, called "rounding"."""
    auth.login(pump_since_last_year["manager"].username)
    rows = swedish_csv(client.get(f"/followup/articles.csv?year={THIS_YEAR}"))
    by_no = {row[0]: row for row in rows[1:] if row and row[0]}
    total = amount(by_no["Summa"][-1])
    cost_centres = swedish_csv(
        client.get(f"/followup/export/cost_centres.csv?year={THIS_YEAR}")
    )
    assert total == amount(cost_centres[1][-1])
    days = (TODAY - date(THIS_YEAR, 1, 1)).days + 1
    pump = (Decimal("30000.00") * days / (4 * 365)).quantize(Decimal("0.01"))
    assert total == pump + 3 * Decimal("1150.00")
    assert not any("avrundas" in row[0] for row in rows if row)  # no rounding note


@pytest.mark.parametrize("path", [
    "export/pump.csv", "export/prescribers.csv", "export/cost_centres.csv",
    "export/system_parts.csv", "export/channels.csv", "articles.csv",
    "patients.csv",
])  # fmt: skip
def test_a_current_year_file_says_it_is_counted_only_up_to_today(
    client, auth, pump_since_last_year, path
):
    """A file saved for the meeting carries its period: "uppfoljning-pump-
    2026.csv" held part of a year's costs with nothing in it to say so, and
    read beside last year's file as costs going down."""
    auth.login(pump_since_last_year["manager"].username)
    rows = swedish_csv(client.get(f"/followup/{path}?year={THIS_YEAR}"))
    day = format_date(TODAY, "d MMMM y", locale="sv_SE")
    assert f"räknas till och med {day}" in rows[-1][0]
    assert rows[-2] == [""] * len(rows[0])  # after an empty row, under the table
    machine = client.get(f"/followup/{path}?year={THIS_YEAR}&format=csv-comma")
    assert "räknas till och med" not in machine.text  # rows only for a machine


def test_a_current_year_workbook_says_it_is_counted_only_up_to_today(
    client, auth, pump_since_last_year
):
    auth.login(pump_since_last_year["manager"].username)
    response = client.get(f"/followup/export/pump.xlsx?year={THIS_YEAR}")
    sheet = load_workbook(io.BytesIO(response.data)).active
    last = [cell.value for cell in list(sheet.rows)[-1]]
    assert "räknas till och med" in last[0]


@pytest.fixture
def one_far_above_its_system():
    """Six patients on FreeStyle Libre 2 last year, sensors of 1,000 kr a
    pack: 10, 11, 12, 12, 13 and 60 packs; one of the twelves also uses
    infusion sets for 50,000 kr. The CGM parts' quartiles are 11,250 and
    12,750 kr: far above the system's typical cost is over 12,750 + 1.5 ×
    1,500 = 15,000 kr of its own part."""
    clinic = f.make_clinic("NORR")
    libre = f.make_system("FreeStyle Libre 2", kind="cgm")
    sensor = f.make_article(category="cgm_sensor", systems=[libre],
                            channel="central", pack_size=1,
                            pack_price_sek=Decimal("1000.00"))  # fmt: skip
    sets = f.make_article(category="infusion_set", pack_size=1,
                          pack_price_sek=Decimal("1000.00"))  # fmt: skip
    patients = {}
    for name, packs in (("A", 10), ("B", 11), ("C", 12), ("Pumping", 12),
                        ("D", 13), ("Outlier", 60)):  # fmt: skip
        patient = f.make_patient(clinic, last_name=f"Sensors{name}")
        f.make_delivered_line(patient, sensor, date(LAST_YEAR, 3, 1), packs=packs)
        patients[name] = patient
    f.make_delivered_line(patients["Pumping"], sets, date(LAST_YEAR, 3, 1), packs=50)
    run_year(LAST_YEAR, full=True)
    return {"manager": f.make_user("manager", clinics=[clinic]), "patients": patients}


def test_the_system_page_names_the_patients_far_above_the_systems_typical_cost(
    client, auth, one_far_above_its_system
):
    """domain.md asks for "the patients far above their system's typical
    cost"; the report flagged only the region's fixed 50,000 kr line, which
    a cheap system's outlier never reaches. Judged by the system's own part:
    by the total, every pump user among a CGM system's patients stood out."""
    auth.login(one_far_above_its_system["manager"].username)
    page = client.get(
        f"/followup/system/cgm?year={LAST_YEAR}&name=FreeStyle+Libre+2"
    ).text
    assert "1 patient långt över systemets typiska kostnad" in page
    # The quartiles the line is drawn from stand beside it.
    own = page.split('id="own-part"')[1].split("</dl>")[0]
    assert "11\xa0250,00\xa0kr" in own and "12\xa0750,00\xa0kr" in own
    link = "min_part=15000.00"
    assert link in page and "cgm_system=FreeStyle+Libre+2" in page
    listed = client.get(
        f"/followup/patients?year={LAST_YEAR}&cgm_system=FreeStyle+Libre+2&{link}"
    ).text
    patients = one_far_above_its_system["patients"]
    assert patients["Outlier"].last_name in listed
    assert "1 patient." in listed
    assert patients["Pumping"].last_name not in listed  # 62,000 kr, CGM 12,000
    assert "Systemets egen kostnad över 15\xa0000,00\xa0kr" in listed


def test_patient_costs_says_how_many_paid_patients_it_leaves_out(client):
    """NORR paid for a patient who moved to SODR in June. NORR's manager's
    patient-costs leaves the patient out (no longer in NORR's care), so its
    rows summed came 2,000 kr short of system-costs and cost-centres with
    nothing in the answer to say why; the pages and files say it."""
    june_mover()
    north = db.session.scalar(sa.select(Clinic).where(Clinic.code == "NORR"))
    manager = f.make_user("manager", clinics=[north])
    headers = {"Authorization": f"Bearer {issue_token(manager.username)}"}
    answer = client.get("/api/v1/followup/patient-costs?year=2025",
                        headers=headers).get_json()  # fmt: skip
    assert answer["patients"] == []
    assert answer["patients_not_listed"] == 1
    centres = client.get("/api/v1/followup/cost-centres?year=2025",
                         headers=headers).get_json()  # fmt: skip
    assert centres["cost_centres"][0]["patients"] == 1

    region = f.make_user("region")
    headers = {"Authorization": f"Bearer {issue_token(region.username)}"}
    answer = client.get("/api/v1/followup/patient-costs?year=2025",
                        headers=headers).get_json()  # fmt: skip
    assert len(answer["patients"]) == 1 and answer["patients_not_listed"] == 0


def test_the_device_cost_has_one_name_and_units_another(
    client, auth, pump_since_last_year
):
    """The word "Enheter" was the articles' count of units and, as "Enheter (kr)", the
    device cost beside "Volym (st)" in the cost centres, the drill-down and
    the patient page, while the channels called the same amount "Hjälpmedel
    (kr)": the device cost is "Utlånade hjälpmedel (kr)" everywhere."""
    auth.login(pump_since_last_year["manager"].username)
    patient = pump_since_last_year["patient"]
    for path in ("", "patients", f"patients/{patient.id}"):
        page = client.get(f"/followup/{path}?year={THIS_YEAR}").text
        assert not re.search(r"\b[Ee]nheter\b", page), path
        assert "Utlånade hjälpmedel (kr)" in page, path
    for path in ("export/cost_centres.csv", "patients.csv"):
        headers = swedish_csv(client.get(f"/followup/{path}?year={THIS_YEAR}"))[0]
        assert "Utlånade hjälpmedel (kr)" in headers and "Enheter (kr)" not in headers


def test_the_trend_sets_the_clinics_own_cost_beside_its_patients_total(client, auth):
    """The year on year table summed the patients' whole cost: NORR's 2025
    read 3,000 kr, of which SODR paid 1,000 kr after the patient moved. The
    budget's figure, what the clinic's cost centre paid, stands beside it."""
    june_mover()
    north = db.session.scalar(sa.select(Clinic).where(Clinic.code == "NORR"))
    auth.login(f.make_user("manager", clinics=[north]).username)
    page = client.get("/followup/?year=2025").text
    trend = page.split('id="trend"')[1].split("</table>")[0]
    assert "Varav mottagningens kostnadsställe (kr)" in trend
    body = trend.split("<tbody>")[1]
    cells = [re.sub(r"<[^>]+>", "", c).strip()
             for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", body)]  # fmt: skip
    assert cells[0] == "2025" and cells[-2:] == ["3\xa0000,00", "2\xa0000,00"]

    rows = swedish_csv(client.get("/followup/export/trend.csv?year=2025"))
    assert rows[0][-1] == "Varav mottagningens kostnadsställe (kr)"
    assert rows[1][3] == "3000,00" and rows[1][-1] == "2000,00"


def test_the_report_tables_and_files_give_the_quartiles(
    client, auth, one_far_above_its_system
):
    """The box plots draw the quartiles, but the tables under them and their
    files gave P10 and P90 alone: the spread asked for at the meeting (the
    middle half of the patients) was only in the picture."""
    auth.login(one_far_above_its_system["manager"].username)
    page = client.get(f"/followup/?year={LAST_YEAR}").text
    table = page.split('id="cgm"')[1].split("</table>")[0]
    found = re.findall(r'<th scope="col"[^>]*>(.*?)</th>', table)
    heads = [re.sub(r"<[^>]+>", "", h).strip() for h in found]
    assert heads[:7] == ["CGM-system", "Patienter", "Medel (kr)", "Median (kr)",
                         "P10 (kr)", "P25 (kr)", "P75 (kr)"]  # fmt: skip
    # Totals 10, 11, 12, 13, 60 and 62 thousand kr: quartiles 11,250 and 48,250.
    assert "11\xa0250,00" in table and "48\xa0250,00" in table
    rows = swedish_csv(client.get(f"/followup/export/cgm.csv?year={LAST_YEAR}"))
    assert rows[0] == ["System", "Patienter", "Medel (kr)", "Median (kr)",
                       "P10 (kr)", "P25 (kr)", "P75 (kr)", "P90 (kr)"]  # fmt: skip
    assert rows[1][5:7] == ["11250,00", "48250,00"]
    systems = client.get(
        f"/api/v1/followup/system-costs?year={LAST_YEAR}",
        headers={"Authorization": "Bearer " + issue_token(
            one_far_above_its_system["manager"].username)},
    ).get_json()["systems"]  # fmt: skip
    assert (systems[0]["p25_sek"], systems[0]["p75_sek"]) == (11250.0, 48250.0)


def test_the_page_of_patients_without_a_system_has_no_typical_cost_line(
    client, auth, one_far_above_its_system
):
    """No pump system has no own part to judge by: the page shows its
    distribution without the line (it answered 500 once the line came)."""
    auth.login(one_far_above_its_system["manager"].username)
    response = client.get(f"/followup/system/pump?year={LAST_YEAR}&name=")
    assert response.status_code == 200
    assert 'id="far-above"' not in response.text


def test_a_prescriber_of_another_clinic_is_named_with_that_clinic(client, auth):
    """A child BARN paid for until June moved to NORR, whose doctor now
    prescribes: BARN's table per prescriber listed NORR's doctor among its
    own with nothing to tell her apart, at the meeting about BARN's
    prescribers."""
    north = f.make_clinic("NORR", cost_centre="KS-100")
    children = f.make_clinic("BARN", cost_centre="KS-300")
    sets = f.make_article("S1", category="infusion_set", pack_size=10,
                          pack_price_sek=Decimal("1000.00"),
                          channel="central")  # fmt: skip
    own = f.make_user("prescriber", clinics=[children], display_name="Dr Barn")
    other = f.make_user("prescriber", clinics=[north], display_name="Dr Norr")
    stays = f.make_patient(children)
    mover = f.make_patient(children)
    for patient, by in ((stays, own), (mover, own)):
        written = f.make_prescription(patient, sets, by, clinic=children,
                                      valid_from=date(2025, 1, 1))  # fmt: skip
        f.make_delivery(patient, written, date(2025, 3, 15), packs=2)
    move_clinic(mover, north, date(2025, 6, 1))
    written = f.make_prescription(mover, sets, other, clinic=north,
                                  valid_from=date(2025, 6, 1))  # fmt: skip
    f.make_delivery(mover, written, date(2025, 9, 15), packs=1)
    run_year(2025, full=True)

    auth.login(f.make_user("manager", clinics=[children]).username)
    rows = swedish_csv(client.get("/followup/export/prescribers.csv?year=2025"))
    assert sorted(row[0] for row in rows[1:]) == [
        "Dr Barn", "Dr Norr (annan mottagning)"
    ]  # fmt: skip
    page = client.get("/followup/?year=2025").text
    assert "Dr Norr (annan mottagning)" in page
    assert "NORR" not in page  # where the moved child is cared for now: not told


def test_the_channels_count_the_lines_the_articles_count(client, auth):
    """A CGM transmitter delivered on 30 December, still in use in the new
    year, costs nothing then and is not among the year's articles; the
    channels counted it as a line of the year, so 'Rader' differed between
    the two pages and their files (594 against 593 at NORR in the demo)."""
    north = f.make_clinic("NORR")
    transmitter = f.make_article("T1", category="cgm_transmitter", pack_size=1,
                                 units_per_day=Decimal("0.0111"),
                                 systems=[f.make_system("Dexcom G6", "cgm")],
                                 pack_price_sek=Decimal("1400.00"))  # fmt: skip
    patient = f.make_patient(north)
    f.make_delivered_line(patient, transmitter, date(2024, 12, 30), packs=2)
    f.make_delivered_line(patient, transmitter, date(2025, 3, 21), packs=1)
    run_year(2025, full=True)
    auth.login(f.make_user("manager", clinics=[north]).username)

    articles = swedish_csv(client.get("/followup/articles.csv?year=2025"))
    channels = swedish_csv(client.get("/followup/export/channels.csv?year=2025"))
    article_sum = next(row for row in articles if row[0] == "Summa")
    channel_sum = next(row for row in channels if row[0] == "Summa")
    assert article_sum[4] == channel_sum[1] == "1"


def test_two_prescribers_of_one_name_are_told_apart(client, auth):
    """The walkthrough's 20,000-patient region had two "Förskrivare G1-01" in
    one table per prescriber, so the meeting could not say whose patients
    cost what; a real clinic may have two Anna Lind. Names that occur twice
    carry the login's name; others stay as they are."""
    clinic = f.make_clinic("NORR", cost_centre="KS-100")
    sets = f.make_article("S1", category="infusion_set", pack_size=10,
                          pack_price_sek=Decimal("1000.00"),
                          channel="central")  # fmt: skip
    doctors = [
        f.make_user("prescriber", clinics=[clinic], display_name=name, username=login)
        for name, login in (("Anna Lind", "anna.lind"), ("Anna Lind", "anna.lind2"),
                            ("Bo Ek", "bo.ek"))
    ]  # fmt: skip
    for packs, doctor in enumerate(doctors, start=1):
        patient = f.make_patient(clinic)
        written = f.make_prescription(patient, sets, doctor, clinic=clinic,
                                      valid_from=date(2025, 1, 1))  # fmt: skip
        f.make_delivery(patient, written, date(2025, 3, 15), packs=packs)
    run_year(2025, full=True)

    auth.login(f.make_user("manager", clinics=[clinic]).username)
    rows = swedish_csv(client.get("/followup/export/prescribers.csv?year=2025"))
    assert sorted(row[0] for row in rows[1:]) == [
        "Anna Lind (anna.lind)", "Anna Lind (anna.lind2)", "Bo Ek",
    ]  # fmt: skip


def test_the_pump_table_calls_patients_with_no_pump_no_pump(
    client, auth, one_far_above_its_system
):
    """The budget-meeting walkthrough: the pump table's row "Inget system"
    for six CGM users read as a pump system of its own; it is those with no
    pump, on the page, its chart, the file and the system's page."""
    auth.login(one_far_above_its_system["manager"].username)
    page = html.unescape(client.get(f"/followup/?year={LAST_YEAR}").text)
    assert "Ingen pump" in page and "Inget system" not in page
    rows = swedish_csv(client.get(f"/followup/export/pump.csv?year={LAST_YEAR}"))
    assert [row[0] for row in rows[1:]] == ["Ingen pump"]
    system = client.get(f"/followup/system/pump?year={LAST_YEAR}&name=").text
    assert "Ingen pump" in html.unescape(system)


def test_the_clinics_own_cost_per_year_is_one_figure_whichever_way_it_is_read(
    client, auth
):
    """Kept per year on PostgreSQL, summed in one statement where nothing is
    kept (SQLite): each year's figure is the cost-centre table's own rows,
    and on SQLite five years of history cost no statements a year."""
    from sesamlike.followup import system_parts
    from sesamlike.followup.scope import resolve

    north = f.make_clinic("NORR", cost_centre="KS-100")
    south = f.make_clinic("SODR", cost_centre="KS-200")
    sets = f.make_article("S1", category="infusion_set", pack_size=10,
                          pack_price_sek=Decimal("1000.33"),
                          channel="central")  # fmt: skip
    patient = f.make_patient(north)
    manager = f.make_user("manager", clinics=[north])
    auth.login(manager.username)
    statements = []

    def count(*args, **kwargs):
        statements.append(1)

    def page_statements() -> int:
        statements.clear()
        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get("/followup/?year=2025").status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    def year_of_history(year: int) -> None:
        for clinic, packs in ((north, 2), (south, 1)):  # SODR pays part
            rx = f.make_prescription(patient, sets, clinic=clinic,
                                     valid_from=date(year, 1, 1))  # fmt: skip
            f.make_delivery(patient, rx, date(year, 3, 15), packs=packs)
        run_year(year, full=True)

    year_of_history(2025)
    one_year = page_statements()
    for year in (2021, 2022, 2023, 2024):
        year_of_history(year)
    five_years = page_statements()

    years = [2021, 2022, 2023, 2024, 2025]
    scope = resolve(manager, "NORR")
    summed = system_parts.own_cost_summed(scope, years)
    assert summed == system_parts.own_cost_by_year(resolve(manager, "NORR"), years)
    assert set(summed.values()) == {Decimal("2000.66")}  # NORR's part alone
    if db.engine.dialect.name == "sqlite":
        # The trend asks once a year whether its payers are stored (as before
        # the column); the column adds nothing a year.
        assert five_years <= one_year + 4, (one_year, five_years)


def test_every_tables_file_is_named_in_swedish(client, auth, pump_since_last_year):
    """The walkthrough: "uppfoljning-system_parts-2025.csv" and
    "uppfoljning-cost_centres-…" beside "uppfoljning-…" in Swedish."""
    from sesamlike.followup import exports

    auth.login(pump_since_last_year["manager"].username)
    clinic_tables = [t for t in exports.FILE_NAMES if t not in exports.REGION_TABLES]
    for table in clinic_tables:
        answer = client.get(f"/followup/export/{table}.csv?year={THIS_YEAR}")
        assert answer.status_code == 200, table
        name = re.search(r'filename="?([^";]+)', answer.headers["Content-Disposition"])
        assert re.fullmatch(
            rf"uppfoljning-[a-z0-9-]+-{THIS_YEAR}(-[A-Z0-9]+)?\.csv", name.group(1)
        ), (table, name.group(1))
        english = {"ages", "prescribers", "compliance", "deviations", "trend",
                   "years", "centres", "parts", "without", "channels", "places",
                   "types"}  # fmt: skip
        assert not english & set(re.split(r"[-.]", name.group(1))), name.group(1)
