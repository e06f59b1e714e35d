"""Follow-up pages, API and exports: managers their clinic, region all, others 403."""

import io
import re
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from babel.numbers import format_currency, format_percent
from openpyxl import load_workbook

from sesamlike.accounts.models import AuditEvent
from sesamlike.accounts.services import issue_token
from sesamlike.catalog.models import System
from sesamlike.extensions import db
from sesamlike.followup.runs import run_year
from sesamlike.patients.pseudonym import pseudonym
from tests import factories as f

YEAR = 2025


@pytest.fixture
def region():
    """Two clinics with one pump patient each; costs computed for 2025."""
    north, south = f.make_clinic("NORR"), f.make_clinic("SODR")
    pump = f.make_system("MiniMed 640G")
    libre = f.make_system("FreeStyle Libre 2", "cgm")
    device = dict(units_per_day=None, amortisation_years=4, pack_size=1)
    p640 = f.make_article(
        category="pump", systems=[pump], pack_price_sek=Decimal("30000.00"), **device
    )
    sensor = f.make_article(
        category="cgm_sensor",
        systems=[libre],
        pack_size=1,
        channel="pharmacy",
        pack_price_sek=Decimal("550.00"),
    )
    anna = f.make_patient(north, first_name="Anna", last_name="Norrman")
    bo = f.make_patient(south, first_name="Bo", last_name="Söderberg")
    f.make_delivered_line(anna, p640, date(2025, 7, 1))
    f.make_delivered_line(anna, sensor, date(2025, 3, 1), packs=26)
    f.make_delivered_line(bo, p640, date(2024, 1, 1))
    run_year(YEAR, full=True)
    return dict(
        north=north, south=south, anna=anna, bo=bo,
        manager=f.make_user("manager", clinics=[north]),
        analyst=f.make_user("region"),
        prescriber=f.make_user("prescriber", clinics=[north]),
        admin=f.make_user("admin"),
    )  # fmt: skip


def bearer(user) -> dict:
    return {"Authorization": f"Bearer {issue_token(user.username)}"}


def test_manager_gets_own_clinic_patient_costs_in_the_contract_shape(client, region):
    response = client.get(f"/api/v1/followup/patient-costs?year={YEAR}",
                          headers=bearer(region["manager"]))  # fmt: skip
    assert response.status_code == 200
    body = response.get_json()
    assert body == {
        "year": YEAR,
        "counted_to": "2025-12-31",  # added (docs/interfaces-extensions.md)
        "patients_not_listed": 0,  # added too
        "patients": [{
            "patient_id": region["anna"].id, "pump_system": "MiniMed 640G",
            "cgm_system": "FreeStyle Libre 2", "device_cost_sek": 3780.82,
            "consumables_cost_sek": 17875.0, "total_cost_sek": 21655.82,
            "pump_part_sek": 3780.82, "cgm_part_sek": 17875.0,
        }],
    }  # fmt: skip


def test_listing_patient_costs_writes_one_audit_row_per_patient(client, region):
    client.get(f"/api/v1/followup/patient-costs?year={YEAR}",
               headers=bearer(region["analyst"]))  # fmt: skip
    audited = db.session.scalars(
        sa.select(AuditEvent.patient_id).where(
            AuditEvent.object_type == "patient_year_cost")
    ).all()  # fmt: skip
    assert sorted(audited) == sorted([region["anna"].id, region["bo"].id])


@pytest.mark.parametrize("path", ["patient-costs", "system-costs"])
def test_a_clinic_not_the_managers_is_404_like_an_unknown_one(client, region, path):
    for code in ("SODR", "NOSUCH"):
        response = client.get(f"/api/v1/followup/{path}?year={YEAR}&clinic_code={code}",
                              headers=bearer(region["manager"]))  # fmt: skip
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "not_found"


def test_region_sees_every_clinic_or_one(client, region):
    headers = bearer(region["analyst"])
    every = client.get(f"/api/v1/followup/patient-costs?year={YEAR}", headers=headers)
    one = client.get(f"/api/v1/followup/patient-costs?year={YEAR}&clinic_code=SODR",
                     headers=headers)  # fmt: skip
    anna, bo = pseudonym(region["anna"].id), pseudonym(region["bo"].id)
    assert {p["patient_key"] for p in every.get_json()["patients"]} == {anna, bo}
    assert [p["patient_key"] for p in one.get_json()["patients"]] == [bo]


def test_the_regions_patient_costs_name_each_patient_by_pseudonym_not_row_id(
    client, region
):
    """The analyst's key is the drill-down's and the register export's, and the
    answer holds no database id that would link it to a patient's other data."""
    response = client.get(f"/api/v1/followup/patient-costs?year={YEAR}",
                          headers=bearer(region["analyst"]))  # fmt: skip
    rows = response.get_json()["patients"]
    assert {row["patient_key"] for row in rows} == {
        pseudonym(region["anna"].id), pseudonym(region["bo"].id)}  # fmt: skip
    assert [row["patient_id"] for row in rows] == [None, None]
    anna = next(r for r in rows if r["patient_key"] == pseudonym(region["anna"].id))
    assert anna["total_cost_sek"] == 21655.82
    # The manager's answer is the contract's, with no key to link the region's
    # pseudonyms back to the patients.
    manager = client.get(f"/api/v1/followup/patient-costs?year={YEAR}",
                         headers=bearer(region["manager"])).get_json()  # fmt: skip
    assert [row["patient_id"] for row in manager["patients"]] == [region["anna"].id]
    assert "patient_key" not in manager["patients"][0]


@pytest.mark.parametrize("role", ["prescriber", "admin"])
@pytest.mark.parametrize("path", ["patient-costs", "system-costs"])
def test_other_roles_are_refused_403(client, region, role, path):
    response = client.get(f"/api/v1/followup/{path}?year={YEAR}",
                          headers=bearer(region[role]))  # fmt: skip
    assert response.status_code == 403


def test_system_costs_give_statistics_per_pump_and_cgm_system(client, region):
    response = client.get(f"/api/v1/followup/system-costs?year={YEAR}",
                          headers=bearer(region["analyst"]))  # fmt: skip
    systems = {(s["kind"], s["system"]): s for s in response.get_json()["systems"]}
    pump = systems[("pump", "MiniMed 640G")]
    assert pump["patients"] == 2
    # Anna 21,655.82 and Bo 7,500.00: interpolated between the two
    assert pump["median_sek"] == 14577.91
    assert pump["p10_sek"] == 8915.58
    assert pump["p90_sek"] == 20240.24
    assert pump["mean_sek"] == 14577.91
    # The pump part alone: Anna's 3,780.82 (her sensors are the CGM part), Bo's
    # 7,500.00.
    assert pump["system_mean_sek"] == 5640.41
    assert pump["system_median_sek"] == 5640.41
    libre = systems[("cgm", "FreeStyle Libre 2")]
    assert libre["patients"] == 1
    assert (libre["mean_sek"], libre["system_mean_sek"]) == (21655.82, 17875.0)
    assert set(pump) == {"system", "kind", "patients", "mean_sek", "median_sek",
                         "p10_sek", "p25_sek", "p75_sek", "p90_sek",
                         "system_mean_sek", "system_median_sek"}  # fmt: skip


def test_a_missing_year_is_422(client, region):
    response = client.get("/api/v1/followup/system-costs",
                          headers=bearer(region["analyst"]))  # fmt: skip
    assert response.status_code == 422
    assert "year" in response.get_json()["error"]["fields"]


PAGES = [
    "/followup/?year=2025",
    "/followup/system/pump?name=MiniMed+640G&year=2025",
    "/followup/patients?year=2025&pump_system=MiniMed+640G",
    "/followup/patients.csv?year=2025",
    "/followup/export/pump.csv?year=2025",
    "/followup/articles?year=2025",
    "/followup/articles.xlsx?year=2025",
    "/followup/register.csv?year=2025",
]


@pytest.mark.parametrize("path", PAGES)
def test_manager_pages_show_only_the_own_clinic(client, auth, region, path):
    auth.login(region["manager"].username)
    response = client.get(path)
    assert response.status_code == 200
    assert "Söderberg".encode() not in response.data
    assert client.get(path + "&clinic=SODR").status_code == 404


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("role", ["prescriber", "admin"])
def test_other_roles_get_403_on_every_page(client, auth, region, path, role):
    auth.login(region[role].username)
    assert client.get(path).status_code == 403


def test_the_drill_down_by_prescriber_names_the_prescriber(client, auth, region):
    """The walkthrough: from "Sara Ek 33" the list was headed "Förskrivare
    vald", naming no one; the other filters say their value."""
    nurse = f.make_user("prescriber", clinics=[region["north"]], display_name="Sara Ek")
    auth.login(region["manager"].username)
    page = client.get(f"/followup/patients?year=2025&prescriber={nurse.id}").text
    assert "Förskrivare: Sara Ek" in page
    page = client.get("/followup/patients?year=2025&prescriber=").text
    assert "Förskrivare: Ingen förskrivare" in page
    # An id that is no prescriber names no one.
    page = client.get(
        f"/followup/patients?year=2025&prescriber={region['admin'].id}"
    ).text
    assert "Förskrivare: –" in page


def test_a_page_past_the_last_shows_the_last_page_not_an_empty_list(
    client, auth, region
):
    """`?page=5` of a one-page list said "4 patienter" above no table at all
    (walkthrough): an old link, or a list that shrank since, shows its last page."""
    auth.login(region["manager"].username)
    html = client.get("/followup/patients?year=2025&page=5").text
    assert "1 patient. Visningen loggas per patient." in html
    assert "Patienter, sida 1 av 1, högst kostnad först" in html
    assert "Anna Norrman" in html
    assert "Föregående" not in html and "Nästa" not in html
    audited = db.session.scalars(
        sa.select(AuditEvent.patient_id).where(
            AuditEvent.object_type == "patient_year_cost")
    ).all()  # fmt: skip
    assert audited == [region["anna"].id]  # the patient shown is logged


def test_region_drill_down_lists_every_clinic_and_audits_each_patient(
    client, auth, region
):
    auth.login(region["analyst"].username)
    response = client.get("/followup/patients?year=2025&pump_system=MiniMed+640G")
    # The region sees a stable pseudonym per patient, never a name (issue 15).
    assert b"Norrman" not in response.data and "Söderberg".encode() not in response.data
    for patient in (region["anna"], region["bo"]):
        assert pseudonym(patient.id).encode() in response.data
        assert patient.personal_id.encode() not in response.data
    rows = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.object_type == "patient_year_cost")).all()  # fmt: skip
    assert sorted(r.patient_id for r in rows) == sorted(
        [region["anna"].id, region["bo"].id])  # fmt: skip
    assert {r.user_id for r in rows} == {region["analyst"].id}


def test_report_page_shows_systems_statistics_and_a_chart(client, auth, region):
    auth.login(region["manager"].username)
    html = client.get("/followup/?year=2025").get_data(as_text=True)
    assert "MiniMed 640G" in html and "FreeStyle Libre 2" in html
    assert "<svg" in html and "<script>" not in html  # no inline scripts (CSP)
    assert "21\u00a0655,82" in html  # the one patient's total, Swedish format


def test_report_first_screen_shows_the_pump_systems_own_cost_and_cost_centres(
    client, auth, region
):
    auth.login(region["manager"].username)
    html = client.get("/followup/?year=2025").get_data(as_text=True)
    own = html.split('id="system-parts"')[1].split("</table>")[0]
    # Anna's pump part (3,780.82) beside her total (21,655.82); her sensors
    # are the CGM system's own cost (17,875.00).
    assert "MiniMed 640G (pump)" in own and "3\u00a0780,82" in own
    assert "21\u00a0655,82" in own
    # The pump system's own share of her total: 3,780.82 / 21,655.82.
    assert "Egen kostnad, andel av total" in own and "17,5\u00a0%" in own
    assert "FreeStyle Libre 2 (CGM)" in own and "17\u00a0875,00" in own
    centres = html.split('id="cost-centres"')[1].split("</table>")[0]
    assert region["north"].cost_centre in centres and "NORR" in centres
    assert "SODR" not in centres  # not the manager's clinic
    assert html.index('id="system-parts"') < html.index('id="pump"')  # first screen


def test_cost_centre_columns_say_which_are_counts_and_which_kronor(
    client, auth, region
):
    """The cost-centre table headed the units "Enheter" and the device kronor
    "Hjälpmedel" (in English "Aid"), while every other table says "Enheter
    (kr)" for the device kronor: a manager read the units as kronor."""
    auth.login(region["manager"].username)
    html = client.get("/followup/?year=2025").get_data(as_text=True)
    head = html.split('id="cost-centres"')[1].split("</thead>")[0]
    headings = re.findall(r'<th scope="col"[^>]*>([^<]*)</th>', head)
    assert headings[3:] == [
        "Volym (st)", "Utlånade hjälpmedel (kr)", "Förbrukning (kr)", "Varav moms (kr)",
        "Totalt (kr)",
    ]  # fmt: skip


def test_high_cost_threshold_can_be_changed_on_the_page(client, auth, region):
    auth.login(region["analyst"].username)
    html = client.get("/followup/?year=2025&threshold=20000").get_data(as_text=True)
    sek = format_currency(Decimal("20000"), "SEK", locale="sv_SE")  # 20 000,00 kr
    assert f"1 patient över {sek} per år" in html  # one: singular
    html = client.get("/followup/?year=2025").get_data(as_text=True)
    sek = format_currency(Decimal("50000"), "SEK", locale="sv_SE")
    assert f"0 patienter över {sek} per år" in html


@pytest.mark.parametrize("typed", ["abc", "-5", "1e400"])
def test_a_high_cost_threshold_that_is_no_amount_is_told_beside_the_field(
    client, auth, region, typed
):
    """It was silently replaced by 50 000 kr: the manager believed the report
    showed the line they typed."""
    auth.login(region["analyst"].username)
    html = client.get(f"/followup/?year=2025&threshold={typed}").get_data(as_text=True)
    error = html.split('id="threshold-error">')[1].split("</p>")[0]
    assert "Ange ett belopp från 0 till 10\u00a0000\u00a0000 kr." in error
    assert "Rapporten visar gränsen 50\u00a0000 kr så länge." in error
    assert f'value="{typed}"' in html and 'aria-invalid="true"' in html
    sek = format_currency(Decimal("50000"), "SEK", locale="sv_SE")
    assert f"0 patienter över {sek} per år" in html  # the report as by default


def test_the_high_cost_hint_names_the_limit_the_field_itself_keeps(
    client, auth, region
):
    """The hint said "0 till 1 000 000 000 kr" while the field stops at
    10 000 000: 20 000 000 was taken silently by the report, and refused by the
    browser on the next Visa (walkthrough)."""
    auth.login(region["analyst"].username)
    html = client.get("/followup/?year=2025&threshold=20000000").text
    field = re.search(r'<input[^>]*id="threshold"[^>]*>', html).group(0)
    assert 'max="10000000"' in field
    error = html.split('id="threshold-error">')[1].split("</p>")[0]
    assert "Ange ett belopp från 0 till 10\u00a0000\u00a0000 kr." in error
    assert "Rapporten visar gränsen 50\u00a0000 kr så länge." in error
    sek = format_currency(Decimal("50000"), "SEK", locale="sv_SE")
    assert f"0 patienter över {sek} per år" in html  # the report as by default
    # The limit itself is an amount the field and the report take.
    html = client.get("/followup/?year=2025&threshold=10000000").text
    assert 'id="threshold-error"' not in html
    assert "10\u00a0000\u00a0000,00\u00a0kr per år" in html


def test_a_good_threshold_gets_no_message(client, auth, region):
    auth.login(region["analyst"].username)
    html = client.get("/followup/?year=2025&threshold=20000").get_data(as_text=True)
    assert 'id="threshold-error"' not in html and 'aria-invalid="true"' not in html


@pytest.mark.parametrize(
    "locale, babel_locale, total",
    [("sv", "sv_SE", "21\u00a0655,82\u00a0kr"), ("en", "en_GB", "SEK\u00a021,655.82")],
)
def test_report_writes_amounts_and_shares_as_the_language_does(
    client, auth, region, locale, babel_locale, total
):
    chosen, other = f.make_article(), f.make_article(procured=False)
    for article in (chosen, chosen, other):
        f.make_prescription(region["anna"], article, valid_from=date(YEAR, 2, 1))
    auth.login(region["manager"].username)
    client.post("/language", data={"locale": locale})
    html = client.get(f"/followup/?year={YEAR}").get_data(as_text=True)
    # Babel's forms: "21 655,82 kr" and "66,7 %" in Swedish (no-break spaces),
    # "SEK 21,655.82" (CLDR's space after the code) and "66.7%" in English.
    assert total in html
    share = format_percent(Decimal("0.667"), locale=babel_locale,
                           decimal_quantization=False)  # fmt: skip
    assert share in html
    assert "21,655.82" not in html if locale == "sv" else "21\u00a0655,82" not in html


def test_xlsx_export_opens_with_the_table(client, auth, region):
    auth.login(region["manager"].username)
    response = client.get("/followup/export/pump.xlsx?year=2025")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.values)
    assert rows[0][0] == "System"
    assert rows[1][:2] == ("MiniMed 640G", 1)


def test_patient_page_shows_the_lines_behind_the_cost_and_is_audited(
    client, auth, region
):
    auth.login(region["manager"].username)
    anna = region["anna"]
    html = client.get(f"/followup/patients/{anna.id}?year=2025").get_data(as_text=True)
    assert "3\u00a0780,82" in html and "17\u00a0875,00" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.patient_id == anna.id)) == 1  # fmt: skip
    assert client.get(f"/followup/patients/{region['bo'].id}?year=2025").status_code \
        == 404  # fmt: skip


def test_register_export_has_model_per_patient(client, auth, region):
    auth.login(region["manager"].username)
    text = client.get("/followup/register.csv?year=2025&format=csv-comma").get_data(
        as_text=True
    )
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[0] == "personal_id,year,diabetes_type,age_group,pump_model,cgm_model"
    assert f"{region['anna'].personal_id},2025,type1,18-64,MiniMed 640G," \
           "FreeStyle Libre 2" in lines  # fmt: skip


def test_the_regions_register_export_names_patients_by_pseudonym(client, auth, region):
    auth.login(region["analyst"].username)
    text = client.get("/followup/register.csv?year=2025&format=csv-comma").get_data(
        as_text=True
    )
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[0] == "patient_key,year,diabetes_type,age_group,pump_model,cgm_model"
    assert f"{pseudonym(region['anna'].id)},2025,type1,18-64,MiniMed 640G," \
           "FreeStyle Libre 2" in lines  # fmt: skip
    assert f"{pseudonym(region['bo'].id)},2025,type1,18-64,MiniMed 640G," in lines
    assert region["anna"].personal_id not in text


def test_followup_run_command_prints_patients_and_seconds(runner, region):
    result = runner.invoke(args=["followup", "run", "--year", "2025", "--full"])
    assert result.exit_code == 0, result.output
    # The fixture computed 2025 already: a full rerun rewrites nothing.
    assert "2 patients computed for 2025 (full), 0 rows new or changed" in result.output
    assert " s." in result.output


def test_register_export_command_writes_the_file(runner, region, tmp_path):
    target = tmp_path / "ndr.csv"
    result = runner.invoke(args=["followup", "register-export", "--year", "2025",
                                 str(target)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert len(target.read_text().splitlines()) == 3


def test_register_export_to_a_missing_folder_is_refused_before_anything_is_logged(
    runner, region, tmp_path
):
    """The bad-input review: a missing folder ended in a traceback after an
    'export' audit row per patient had been committed, for a file nobody got."""
    from sesamlike.accounts.models import AuditEvent

    def exports() -> int:
        return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "export"))  # fmt: skip

    before = exports()
    result = runner.invoke(args=["followup", "register-export", "--year", "2025",
                                 str(tmp_path / "saknas" / "ndr.csv")])  # fmt: skip
    assert result.exit_code == 2
    assert "saknas finns inte; inget skrevs." in result.output
    assert exports() == before


def test_articles_page_gives_each_articles_cost_by_the_cost_rules(client, auth, region):
    auth.login(region["analyst"].username)
    page = client.get(f"/followup/articles?year={YEAR}").get_data(as_text=True)
    # The pump: Anna's from 1 July (3 780,82) and Bo's whole year (7 500,00).
    assert "11\u00a0280,82" in page
    # The sensors: 26 packs × 550,00 with 25 % VAT through the pharmacy.
    assert "17\u00a0875,00" in page


BOM = b"\xef\xbb\xbf"


def test_csv_export_opens_in_swedish_spreadsheet_conventions(client, auth, region):
    auth.login(region["manager"].username)
    body = client.get("/followup/export/pump.csv?year=2025").data
    assert body.startswith(BOM)
    lines = body[len(BOM) :].decode("utf-8").split("\r\n")
    assert lines[0] == (
        "System;Patienter;Medel (kr);Median (kr);P10 (kr);P25 (kr);P75 (kr);P90 (kr)"
    )
    # Anna's pump from 1 July (3 780,82) and 26 sensors with VAT (17 875,00).
    assert lines[1] == "MiniMed 640G;1" + ";21655,82" * 6


@pytest.mark.parametrize(
    "url",
    [
        "/followup/export/pump.csv?year=2025",
        "/followup/export/pump.csv?year=2025&format=csv-comma",
        "/followup/articles.csv?year=2025",
        "/followup/patients.csv?year=2025",
        "/followup/register.csv?year=2025",
    ],
)
def test_csv_exports_say_their_charset_once(client, auth, region, url):
    auth.login(region["manager"].username)
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_the_systems_own_cost_exports_as_the_page_shows_it(client, auth, region):
    """The walkthrough: the systems' own cost (TLV's comparable figure) had no
    export beside it."""
    auth.login(region["manager"].username)
    page = client.get("/followup/?year=2025").get_data(as_text=True)
    assert "/followup/export/system_parts.csv?year=2025" in page
    shown = page.split('id="system-parts"')[1].split("</table>")[0]
    cells = [
        re.sub(r"<[^>]+>", "", cell).replace("\u00a0", " ").strip()
        for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", shown, re.S)
    ]
    body = client.get("/followup/export/system_parts.csv?year=2025").data
    lines = body[len(BOM) :].decode("utf-8").split("\r\n")
    assert lines[0] == (
        "System;Slag;Patienter;Egen kostnad, medel (kr);Egen kostnad, median (kr);"
        "Total, medel (kr);Egen kostnad, andel av total (%)"
    )
    system, kind, patients, mean, *_rest = lines[1].split(";")
    assert f"{system} ({kind})" in cells
    row = cells[cells.index(f"{system} ({kind})") :]
    assert row[1] == patients
    assert row[2].replace(" ", "").removesuffix("kr") == mean


def test_csv_export_has_a_comma_variant_for_machines(client, auth, region):
    auth.login(region["manager"].username)
    body = client.get("/followup/export/pump.csv?year=2025&format=csv-comma").data
    assert not body.startswith(BOM)
    assert body.decode().splitlines()[1] == "MiniMed 640G,1" + ",21655.82" * 6
    assert client.get("/followup/export/pump.csv?year=2025&format=x").status_code \
        == 404  # fmt: skip


def test_patient_export_neutralises_a_name_that_is_a_formula(client, auth, region):
    anna = region["anna"]
    anna.first_name = '=HYPERLINK("http://evil.example","Anna")'
    anna.personal_id = f.ADULT_PNR
    db.session.commit()
    # The manager: the region's copy has pseudonyms, no names (issue 15).
    auth.login(region["manager"].username)
    text = client.get("/followup/patients.csv?year=2025").data.decode("utf-8-sig")
    row = next(line for line in text.split("\r\n") if "Norrman" in line)
    pnr = f"{f.ADULT_PNR[:8]}-{f.ADULT_PNR[8:]}"
    assert row == (
        f'{pnr};"\'=HYPERLINK(""http://evil.example"",""Anna"") Norrman";'
        "MiniMed 640G;FreeStyle Libre 2;3780,82;17875,00;21655,82"
    )
    sheet = load_workbook(io.BytesIO(client.get(
        "/followup/patients.xlsx?year=2025").data)).active  # fmt: skip
    cells = next(r for r in sheet.iter_rows(min_row=2) if "Norrman" in r[1].value)
    assert cells[0].value == pnr
    assert cells[1].data_type == "s"
    assert cells[1].value == '\'=HYPERLINK("http://evil.example","Anna") Norrman'
    assert cells[6].value == pytest.approx(21655.82)
    assert cells[6].data_type == "n" and cells[6].number_format == "#,##0.00"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_patient_list_taken_out_as_a_file_is_logged_as_an_export(
    client, auth, region, fmt
):
    """The manager's file names each patient with personnummer: the admin must
    be able to find who took it out, apart from who only looked at the list."""
    anna = region["anna"]
    auth.login(region["manager"].username)
    client.get("/followup/patients?year=2025")  # looked at
    assert client.get(f"/followup/patients.{fmt}?year=2025").status_code == 200
    rows = db.session.execute(sa.select(AuditEvent.action, AuditEvent.patient_id)
                              .where(AuditEvent.object_type == "patient_year_cost")
                              ).all()  # fmt: skip
    assert sorted(rows) == [("export", anna.id), ("read", anna.id)]
    auth.logout()
    auth.login(region["admin"].username)
    html = client.post("/admin/audit", data={"action": "export"}).text
    assert (f"Exporterade kostnadsunderlag för patienten (id {anna.id}), 2025, "
            "till en fil") in html  # fmt: skip
    assert "Läste kostnadsunderlag" not in html


def test_system_names_that_look_like_formulas_stay_text_in_every_export(
    client, auth, region
):
    system = db.session.scalar(sa.select(System).where(System.name == "MiniMed 640G"))
    system.name = "@SUM(1+1)"
    run_year(YEAR, full=True)
    auth.login(region["analyst"].username)
    sheet = load_workbook(io.BytesIO(client.get(
        "/followup/export/pump.xlsx?year=2025").data)).active  # fmt: skip
    assert sheet["A2"].value == "'@SUM(1+1)" and sheet["A2"].data_type == "s"
    text = client.get("/followup/register.csv?year=2025").data.decode("utf-8-sig")
    assert ";'@SUM(1+1);" in text


def test_register_export_is_in_swedish_words_for_people(client, auth, region):
    anna = region["anna"]
    anna.personal_id = f.ADULT_PNR
    db.session.commit()
    # The manager: the region's copy has pseudonyms, no numbers (issue 15).
    auth.login(region["manager"].username)
    body = client.get("/followup/register.csv?year=2025").data
    assert body.startswith(BOM)
    lines = body.decode("utf-8-sig").split("\r\n")
    assert lines[0] == "Personnummer;År;Diabetestyp;Åldersgrupp;Pumpmodell;CGM-modell"
    pnr = f"{f.ADULT_PNR[:8]}-{f.ADULT_PNR[8:]}"
    assert f"{pnr};2025;Typ 1-diabetes;Vuxen 18–64 år;MiniMed 640G;" \
           "FreeStyle Libre 2" in lines  # fmt: skip


def test_register_export_command_writes_swedish_or_comma_csv(runner, region, tmp_path):
    people, machine = tmp_path / "ndr.csv", tmp_path / "ndr-machine.csv"
    assert runner.invoke(args=["followup", "register-export", "--year", "2025",
                               str(people)]).exit_code == 0  # fmt: skip
    result = runner.invoke(args=["followup", "register-export", "--year", "2025",
                                 "--format", "csv-comma", str(machine)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert people.read_bytes().startswith(BOM)
    assert people.read_text("utf-8-sig").startswith("Personnummer;År;Diabetestyp;")
    assert machine.read_text("utf-8").splitlines()[0] == (
        "personal_id,year,diabetes_type,age_group,pump_model,cgm_model"
    )


def test_the_managers_patient_list_shows_personnummer_with_a_hyphen(
    client, auth, region
):
    anna = region["anna"]
    anna.personal_id = f.ADULT_PNR
    db.session.commit()
    auth.login(region["manager"].username)
    html = client.get("/followup/patients?year=2025").get_data(as_text=True)
    assert "Norrman" in html
    assert f"<small>{f.ADULT_PNR[:8]}-{f.ADULT_PNR[8:]}</small>" in html
    assert f.ADULT_PNR not in html


def test_the_two_export_links_under_compliance_say_which_table(client, auth, region):
    """Two identical "Exportera: CSV · XLSX" lines stood one after the other."""
    chosen = f.make_article()
    f.make_prescription(region["anna"], chosen, valid_from=date(YEAR, 2, 1))
    auth.login(region["manager"].username)
    html = client.get(f"/followup/?year={YEAR}").get_data(as_text=True)
    section = html.split('id="compliance"')[1]
    assert "Exportera följsamheten:" in section
    assert "Exportera avvikelserna per orsakskod:" in section


def test_an_exported_share_keeps_the_hundredth_the_file_writes():
    """The browser check: 84,73 % was written 84,70 (the page's tenth, padded)."""
    from decimal import Decimal

    from sesamlike.followup.exports import _share

    assert _share(Decimal("29045.71") / Decimal("34279.64")) == Decimal("84.73")
    assert _share(None) is None
