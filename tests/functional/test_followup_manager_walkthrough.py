"""What a clinic manager met walking through the follow-up before a budget meeting.

- A patient who came to the clinic this year opened, from the drill-down, on
  the years before: the other clinic's lines and costs, which the manager's
  clinic never paid (need to know: a manager sees the own clinic's costs).
- A figure of the report ("6 patients") opened a list of 5, with no word of
  the patient left out: one who has left the clinic's care since; the same
  of the register export.
- The high-cost link cut its line to whole kronor; the article page counted
  overusers its link did not list.
- What stopped the work: no order but the costliest first, no word of which
  article made a patient expensive or which lines the clinic paid, no years or
  clinics side by side.
"""

from __future__ import annotations

import html
import re
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from sesamlike.accounts.models import AuditEvent, Clinic
from sesamlike.extensions import db
from sesamlike.followup.cost_centres import cost_centre_sums
from sesamlike.followup.models import PatientYearPayer
from sesamlike.followup.runs import run_year
from sesamlike.followup.scope import resolve
from sesamlike.orders.models import Order, OrderLine
from sesamlike.patients.models import Patient
from sesamlike.patients.pseudonym import pseudonym
from tests import factories as f
from tests.integration.test_followup_truth import june_mover, move_clinic


def clinic(code: str) -> Clinic:
    return db.session.scalar(sa.select(Clinic).where(Clinic.code == code))


def text_of(page: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


@pytest.fixture
def newcomer():
    """A patient at NORR in 2025 (NORR pays 2 000 kr) moves to SODR on 10
    January 2026, where SODR pays 1 000 kr in February."""
    north = f.make_clinic("NORR", cost_centre="KS-100")
    south = f.make_clinic("SODR", cost_centre="KS-200")
    sets = f.make_article("S1", category="infusion_set", pack_size=10,
                          pack_price_sek=Decimal("1000.00"),
                          channel="central")  # fmt: skip
    patient = f.make_patient(north, first_name="Nils", last_name="Nykomling")
    at_north = f.make_prescription(patient, sets, clinic=north,
                                   valid_from=date(2025, 1, 1))  # fmt: skip
    f.make_delivery(patient, at_north, date(2025, 3, 15), packs=2)
    move_clinic(patient, south, date(2026, 1, 10))
    at_south = f.make_prescription(patient, sets, clinic=south,
                                   valid_from=date(2026, 1, 10))  # fmt: skip
    f.make_delivery(patient, at_south, date(2026, 2, 15), packs=1)
    run_year(2025, full=True)
    run_year(2026, full=True)
    return {
        "patient": patient,
        "south": f.make_user("manager", clinics=[south]),
        "region": f.make_user("region"),
    }


@pytest.mark.parametrize("stored", [True, False], ids=["stored payers", "from lines"])
def test_a_manager_does_not_see_a_newcomers_years_at_another_clinic(
    client, auth, newcomer, stored
):
    if not stored:  # a year computed before payers were stored
        db.session.execute(sa.delete(PatientYearPayer))
        db.session.commit()
    patient = newcomer["patient"]
    auth.login(newcomer["south"].username)

    this_year = client.get(f"/followup/patients/{patient.id}?year=2026")
    assert this_year.status_code == 200
    shown = text_of(this_year.text)
    assert "1 000,00" in shown
    assert "2 000,00" not in shown  # NORR's 2025, never SODR's to see
    assert f"/followup/patients/{patient.id}?year=2025" not in this_year.text

    audited = db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEvent)
        .where(AuditEvent.patient_id == patient.id)
    )  # fmt: skip
    earlier = client.get(f"/followup/patients/{patient.id}?year=2025")
    assert earlier.status_code == 404
    assert "2\u00a0000,00" not in earlier.text
    assert db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEvent)
        .where(AuditEvent.patient_id == patient.id)
    ) == audited  # fmt: skip  # nothing of the patient was read


def test_the_region_still_sees_every_year_of_the_patient(client, auth, newcomer):
    """By the pseudonym in the URL, not the row id (privacy review)."""
    patient = newcomer["patient"]
    key = pseudonym(patient.id)
    auth.login(newcomer["region"].username)
    page = client.get(f"/followup/patients/{key}?year=2025")
    assert page.status_code == 200
    assert "2\u00a0000,00" in page.text
    assert f"/followup/patients/{key}?year=2026" in page.text


@pytest.fixture
def mover():
    june_mover()  # NORR paid 2 000 kr in March 2025, SODR 1 000 kr in September
    return {
        code: f.make_user("manager", clinics=[clinic(code)])
        for code in ("NORR", "SODR")
    }


def report_patients(page: str) -> str:
    return re.search(
        r"<dt>Patienter med kostnad</dt><dd><a [^>]*>([^<]+)</a>", page
    ).group(1)


@pytest.mark.parametrize("stored", [True, False], ids=["stored payers", "from lines"])
@pytest.mark.parametrize("filters", ["", "&pump_system=", "&min_total=1000"])
def test_the_drill_down_says_how_many_of_the_figures_patients_it_does_not_list(
    client, auth, mover, stored, filters
):
    if not stored:
        db.session.execute(sa.delete(PatientYearPayer))
        db.session.commit()
    auth.login(mover["NORR"].username)
    assert report_patients(client.get("/followup/?year=2025").text) == "1"

    page = client.get(f"/followup/patients?year=2025{filters}").text

    assert "0 patienter." in text_of(page)
    note = text_of(page.split('id="not-listed">')[1].split("</p>")[0])
    assert note.strip() == (
        "1 patient till räknas i rapportens siffror men visas inte här: "
        "patienten vårdas inte längre av mottagningen."
    )


def test_a_drill_down_that_lists_every_patient_says_nothing_more(client, auth, mover):
    auth.login(mover["SODR"].username)
    page = client.get("/followup/patients?year=2025").text
    assert "1 patient." in text_of(page)
    assert 'id="not-listed"' not in page


def test_the_high_cost_link_lists_the_patients_the_report_counts(client, auth):
    """A line of 1 000,90 kr counted no patient of 1 000,50 kr, and its link
    listed that patient: the link cut the line to whole kronor (1 000)."""
    north = f.make_clinic("NORR")
    sets = f.make_article("S1", category="infusion_set", channel="central",
                          pack_price_sek=Decimal("1000.50"))  # fmt: skip
    f.make_delivered_line(f.make_patient(north), sets, date(2025, 3, 1))
    run_year(2025, full=True)
    auth.login(f.make_user("manager", clinics=[north]).username)

    report = client.get("/followup/?year=2025&threshold=1000.9").text
    link = re.search(r'<a href="([^"]+)">([^<]+\(högkostnad\))</a>', report)
    assert text_of(link.group(2)) == "0 patienter över 1 000,90 kr per år (högkostnad)"

    listed = client.get(html.unescape(link.group(1))).text
    assert "0 patienter." in text_of(listed)
    assert "Årskostnad över 1 000,90 kr" in text_of(listed)


@pytest.fixture
def two_patients():
    """Anna Norrman's pump (3 780,82 kr of devices) and Bo Andersson's
    infusion sets (5 000 kr of consumables) at NORR, 2025."""
    north = f.make_clinic("NORR")
    pump = f.make_article(category="pump", systems=[f.make_system("MiniMed 640G")],
                          pack_price_sek=Decimal("30000.00"), units_per_day=None,
                          amortisation_years=4, pack_size=1)  # fmt: skip
    sets = f.make_article(category="infusion_set", channel="central",
                          pack_price_sek=Decimal("1000.00"))  # fmt: skip
    anna = f.make_patient(north, first_name="Anna", last_name="Norrman")
    bo = f.make_patient(north, first_name="Bo", last_name="Andersson")
    f.make_delivered_line(anna, pump, date(2025, 7, 1))
    f.make_delivered_line(bo, sets, date(2025, 3, 1), packs=5)
    run_year(2025, full=True)
    return {"manager": f.make_user("manager", clinics=[north]),
            "region": f.make_user("region")}  # fmt: skip


def listed_names(page: str) -> list[str]:
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    return [
        text_of(name).strip()
        for name in re.findall(
            r'<a href="/followup/patients/\d+[^"]*">([^<]+)</a>', body
        )
    ]


@pytest.mark.parametrize(
    "sort, names, caption",
    [("", ["Bo Andersson", "Anna Norrman"], "högst kostnad först"),
     ("devices", ["Anna Norrman", "Bo Andersson"],
      "högst kostnad för utlånade hjälpmedel först"),
     ("consumables", ["Bo Andersson", "Anna Norrman"],
      "högst kostnad för förbrukning först"),
     ("name", ["Bo Andersson", "Anna Norrman"], "efter efternamn"),
     ("pump_system", ["Anna Norrman", "Bo Andersson"], "efter pumpsystem")],
)  # fmt: skip
def test_the_manager_sorts_the_patient_list_by_a_column(
    client, auth, two_patients, sort, names, caption
):
    auth.login(two_patients["manager"].username)
    page = client.get(f"/followup/patients?year=2025&sort={sort}").text

    assert listed_names(page) == names
    assert f"Patienter, sida 1 av 1, {caption}" in text_of(page)
    head = page.split("<thead>")[1].split("</thead>")[0]
    other = "consumables" if sort == "devices" else "devices"
    assert f'href="/followup/patients?year=2025&amp;sort={other}"' in head
    assert head.count("aria-sort=") == 1

    export = client.get(f"/followup/patients.csv?year=2025&sort={sort}").text
    assert [row.split(";")[1] for row in export.splitlines()[1:]] == names


@pytest.mark.parametrize(
    "sort, names, caption, direction",
    [("", ["Anna Norrman", "Bo Andersson"], "lägst kostnad först", "ascending"),
     ("devices", ["Bo Andersson", "Anna Norrman"],
      "lägst kostnad för utlånade hjälpmedel först", "ascending"),
     ("consumables", ["Anna Norrman", "Bo Andersson"],
      "lägst kostnad för förbrukning först", "ascending"),
     ("name", ["Anna Norrman", "Bo Andersson"], "efter efternamn, Ö–A",
      "descending")],
)  # fmt: skip
def test_the_manager_turns_the_sorted_column_the_other_way_round(
    client, auth, two_patients, sort, names, caption, direction
):
    """From a walkthrough: the list could show the costliest first but never
    the cheapest (a patient whose year looks too cheap to be true), nor names
    Ö to A. The sorted column's heading now turns the order round, and back."""
    auth.login(two_patients["manager"].username)
    first = client.get(f"/followup/patients?year=2025&sort={sort}").text
    head = first.split("<thead>")[1].split("</thead>")[0]
    turn = re.search(r'<th [^>]*aria-sort="[a-z]+"><a href="([^"]+)" title="Vänd '
                     r'ordningen">', head)  # fmt: skip
    assert turn is not None, head
    turned = client.get(html.unescape(turn.group(1))).text

    assert "reverse=1" in turn.group(1)
    assert listed_names(turned) == names
    assert f"Patienter, sida 1 av 1, {caption}" in text_of(turned)
    head = turned.split("<thead>")[1].split("</thead>")[0]
    assert head.count("aria-sort=") == 1 and f'aria-sort="{direction}"' in head
    export = client.get(
        html.unescape(turn.group(1)).replace("/patients?", "/patients.csv?")
    ).text
    assert [row.split(";")[1] for row in export.splitlines()[1:]] == names
    # The heading turns it back: the first order again, its link without reverse.
    back = re.search(r'aria-sort="[a-z]+"><a href="([^"]+)"', head).group(1)
    assert "reverse" not in back
    assert listed_names(client.get(html.unescape(back)).text) == listed_names(first)


def test_a_system_column_turned_round_keeps_patients_without_one_last(client, auth):
    north = f.make_clinic("NORR")
    manager = f.make_user("manager", clinics=[north])
    for name, system in (("Alfa", "Accu-Chek Insight"), ("Beta", "Omnipod DASH"),
                         ("Ceta", None)):  # fmt: skip
        systems = [f.make_system(system)] if system else []
        pump = f.make_article(category="pump" if system else "infusion_set",
                              systems=systems, pack_price_sek=Decimal("30000.00"),
                              amortisation_years=4 if system else None,
                              units_per_day=None, pack_size=1)  # fmt: skip
        patient = f.make_patient(north, first_name=name, last_name="Patient")
        f.make_delivered_line(patient, pump, date(2025, 7, 1))
    run_year(2025, full=True)
    auth.login(manager.username)

    first = client.get("/followup/patients?year=2025&sort=pump_system").text
    turned = client.get("/followup/patients?year=2025&sort=pump_system&reverse=1").text

    assert listed_names(first) == ["Alfa Patient", "Beta Patient", "Ceta Patient"]
    assert listed_names(turned) == ["Beta Patient", "Alfa Patient", "Ceta Patient"]
    assert "efter pumpsystem, Ö–A" in text_of(turned)


def test_the_list_turned_round_reads_in_english(client, auth, two_patients):
    auth.login(two_patients["manager"].username)
    client.post("/language", data={"locale": "en"})
    page = client.get("/followup/patients?year=2025&reverse=1").text
    assert "lowest cost first" in text_of(page)
    assert 'title="Reverse the order"' in page


def test_a_long_list_says_its_page_by_the_pager_and_an_empty_one_offers_no_file(
    client, auth
):
    """From a walkthrough: the page number stood only in the table's caption
    at the top, the heading did not name a manager's clinic, and a list of
    nobody offered CSV and XLSX files of headings alone."""
    north = f.make_clinic("NORR")
    sets = f.make_article(category="infusion_set", channel="central",
                          pack_price_sek=Decimal("1000.00"))  # fmt: skip
    for n in range(101):
        patient = f.make_patient(north, first_name=f"P{n:03d}", last_name="Lång")
        f.make_delivered_line(patient, sets, date(2025, 3, 1))
    run_year(2025, full=True)
    auth.login(f.make_user("manager", clinics=[north]).username)

    page = client.get("/followup/patients?year=2025").text
    assert f"Patienter 2025 · {north.name}" in text_of(page)
    pager = page.split('<nav class="pager"')[1].split("</nav>")[0]
    assert "Sida 1 av 2" in text_of(pager) and "Nästa" in pager
    last = client.get("/followup/patients?year=2025&page=2").text
    pager = last.split('<nav class="pager"')[1].split("</nav>")[0]
    assert "Sida 2 av 2" in text_of(pager) and "Föregående" in pager
    assert "patients.csv" in page

    nobody = client.get("/followup/patients?year=2025&pump_system=Inget").text
    assert "0 patienter" in text_of(nobody)
    assert "patients.csv" not in nobody and "patients.xlsx" not in nobody


def test_the_reports_patient_count_opens_the_list_of_them(client, auth, two_patients):
    """The headline "Patienter med kostnad 2" opens the whole list (a
    walkthrough looked for it there; only the groups' figures were links)."""
    auth.login(two_patients["manager"].username)
    report_page = client.get("/followup/?year=2025").text
    facts = report_page.split('<dl class="facts">')[1].split("</dl>")[0]
    headline = r'<dt>Patienter med kostnad</dt><dd><a href="([^"]+)">2</a>'
    link = re.search(headline, facts)
    assert link is not None, facts
    listed = client.get(html.unescape(link.group(1))).text
    assert listed_names(listed) == ["Bo Andersson", "Anna Norrman"]
    assert "2 patienter." in text_of(listed)


def test_the_region_cannot_sort_by_name_and_gets_the_costliest_first(
    client, auth, two_patients
):
    auth.login(two_patients["region"].username)
    page = client.get("/followup/patients?year=2025&sort=name").text
    assert "högst kostnad först" in text_of(page)
    assert "sort=name" not in page.split("<thead>")[1].split("</thead>")[0]


def use_rows(page: str) -> list[list[str]]:
    table = page.split('id="article-use"')[1].split("</table>")[0]
    body = table.split("<tbody>")[1]
    return [
        [
            text_of(cell).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def test_the_patient_page_says_which_article_was_used_above_its_expected_use(
    client, auth
):
    """The report's 'Patienter med förbrukning över 1,5 gånger' led to the
    patient's lines, and nothing there said which article: 200 infusion sets
    kept in 2025 where one every third day is 121,7 a year."""
    north = f.make_clinic("NORR")
    sets = f.make_article("S1", name="Infusionsset", category="infusion_set",
                          pack_size=10, units_per_day=Decimal("0.3333"))  # fmt: skip
    sensors = f.make_article("G1", name="Sensor", category="cgm_sensor",
                             pack_size=1, units_per_day=Decimal("0.1"))  # fmt: skip
    patient = f.make_patient(north)
    f.make_delivered_line(patient, sets, date(2025, 2, 1), packs=20)
    f.make_delivered_line(patient, sets, date(2025, 5, 1), packs=6,
                          packs_returned=6, packs_restocked=6,
                          returned_on=date(2025, 5, 8))  # fmt: skip
    f.make_delivered_line(patient, sensors, date(2025, 3, 1), packs=30)
    f.make_delivered_line(patient, sets, date(2024, 6, 1), packs=40)  # not 2025
    run_year(2025, full=True)
    auth.login(f.make_user("manager", clinics=[north]).username)

    listed = client.get("/followup/patients?year=2025&overuse=1").text
    assert "1 patient." in text_of(listed)
    page = client.get(f"/followup/patients/{patient.id}?year=2025").text

    assert use_rows(page) == [
        [
            "S1 Infusionsset",
            "200",
            "121,7",
            "164,4 %",
            "Över 1,5 gånger förväntad användning",
        ],
        ["G1 Sensor", "30", "36,5", "82,2 %", ""],
    ]


def lines_rows(page: str) -> list[list[str]]:
    table = page.split('id="cost-lines"')[1].split("</table>")[0]
    cells = r"<t[hd][^>]*>(.*?)</t[hd]>"
    return [
        [text_of(cell).strip() for cell in re.findall(cells, row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)
    ]


def test_the_patient_page_says_which_cost_centre_paid_each_line(client, auth, mover):
    """Leo Hansson's 40 870 kr of 2025 on NORR's page, of which NORR paid
    23 663,01 kr: nothing on his page said which lines were SODR's. Each line
    names its cost centre; since the security review a manager's page lists
    only the lines the clinic paid (test_followup_paid_elsewhere)."""
    patient = db.session.scalar(sa.select(Patient))
    auth.login(mover["SODR"].username)
    page = client.get(f"/followup/patients/{patient.id}?year=2025").text

    rows = lines_rows(page)
    assert rows[0][-2:] == ["Kostnadsställe", "Kostnad (kr)"]
    assert [row[-2:] for row in rows[1:]] == [["KS-200", "1 000,00"]]
    assert (
        "Mottagningens kostnadsställe betalade 1 000,00 kr av patientens "
        "3 000,00 kr 2025." in text_of(page)
    )


def test_a_line_with_packs_back_on_stock_says_so(client, auth, two_patients):
    patient = db.session.scalar(sa.select(Patient).where(Patient.first_name == "Bo"))
    line = db.session.scalar(
        sa.select(OrderLine).join(Order).where(Order.patient_id == patient.id)
    )
    line.packs_returned = line.packs_restocked = 2
    line.returned_on = date(2025, 3, 10)
    db.session.commit()
    run_year(2025, full=True)
    auth.login(two_patients["manager"].username)
    page = client.get(f"/followup/patients/{patient.id}?year=2025").text
    row = lines_rows(page)[1]
    assert row[2] == "5 (2 tillbaka i lager)"
    assert row[-1] == "3 000,00"


def clinics_rows(page: str) -> list[list[str]]:
    table = page.split('id="clinics"')[1].split("</table>")[0]
    cells = r"<t[hd][^>]*>(.*?)</t[hd]>"
    return [
        [text_of(cell).strip() for cell in re.findall(cells, row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)
    ]


def test_the_region_compares_its_clinics_side_by_side(client, auth, two_patients):
    """Equal care across the region: the analyst had each clinic's mean and
    compliance only by choosing the clinics one at a time."""
    south = f.make_clinic("SODR", name="Söder")
    sets = db.session.scalar(
        sa.select(OrderLine.article_id).where(OrderLine.packs == 5)
    )
    from sesamlike.catalog.models import Article

    cyd = f.make_patient(south, first_name="Cyd", last_name="Söder")
    f.make_delivered_line(cyd, db.session.get(Article, sets), date(2025, 4, 1),
                          packs=2)  # fmt: skip
    f.make_prescription(cyd, db.session.get(Article, sets), clinic=south,
                        valid_from=date(2025, 4, 1))  # fmt: skip
    run_year(2025, full=True)
    auth.login(two_patients["region"].username)

    report_page = client.get("/followup/?year=2025").text
    # A page of its own, linked from the region's report (it reads every
    # clinic's figures: the report stays quick).
    assert 'href="/followup/clinics?year=2025"' in report_page
    assert 'id="clinics"' not in report_page
    page = client.get("/followup/clinics?year=2025").text
    rows = clinics_rows(page)
    assert rows[0] == ["Mottagning", "Patienter", "Medel (kr)", "Median (kr)",
                       "P10 (kr)", "P25 (kr)", "P75 (kr)", "P90 (kr)",
                       "Upphandlade", "Förstahandsval"]  # fmt: skip
    north_name = clinic("NORR").name
    assert rows[1:] == [
        [north_name, "2", "4 390,41", "4 390,41", "3 902,74", "4 085,62",
         "4 695,21", "4 878,08", "–", "–"],
        ["Söder", "1", "2 000,00", "2 000,00", "2 000,00", "2 000,00",
         "2 000,00", "2 000,00", "100 %", "100 %"],
    ]  # fmt: skip
    assert 'href="/followup/?year=2025&amp;clinic=SODR"' in page
    export = client.get("/followup/export/clinics.csv?year=2025").text
    assert export.splitlines()[2].split(";")[:3] == ["Söder", "SODR", "1"]


def test_a_manager_gets_no_clinic_comparison(client, auth, two_patients):
    auth.login(two_patients["manager"].username)
    assert "/followup/clinics" not in client.get("/followup/?year=2025").text
    assert client.get("/followup/clinics?year=2025").status_code == 403
    assert client.get("/followup/export/clinics.csv?year=2025").status_code == 404


def system_years_rows(page: str) -> list[list[str]]:
    table = page.split('id="system-years"')[1].split("</table>")[0]
    cells = r"<t[hd][^>]*>(.*?)</t[hd]>"
    return [
        [text_of(cell).strip() for cell in re.findall(cells, row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)
    ]


def test_the_manager_compares_each_systems_mean_cost_year_by_year(client, auth):
    """Before the budget meeting: what did a MiniMed patient cost last year
    and the year before? The report gave one year at a time, and the trend
    only the clinic's mean over all patients."""
    north = f.make_clinic("NORR")
    pump = f.make_article(category="pump", systems=[f.make_system("MiniMed 640G")],
                          pack_price_sek=Decimal("29200.00"), units_per_day=None,
                          amortisation_years=4, pack_size=1)  # fmt: skip
    libre = f.make_article(category="cgm_sensor", pack_size=1, channel="central",
                           systems=[f.make_system("FreeStyle Libre 2", "cgm")],
                           pack_price_sek=Decimal("500.00"))  # fmt: skip
    anna = f.make_patient(north)
    bo = f.make_patient(north)
    f.make_delivered_line(anna, pump, date(2024, 1, 1))  # 20 kr a day
    f.make_delivered_line(bo, libre, date(2024, 5, 1), packs=20)
    f.make_delivered_line(bo, libre, date(2025, 5, 1), packs=26)
    run_year(2024, full=True)
    run_year(2025, full=True)
    auth.login(f.make_user("manager", clinics=[north]).username)

    assert 'href="/followup/system-years?year=2025"' in client.get(
        "/followup/?year=2025").text  # fmt: skip
    rows = system_years_rows(client.get("/followup/system-years?year=2025").text)
    assert rows[0] == ["System", "Patienter 2024", "Medel 2024 (kr)",
                       "Median 2024 (kr)", "Patienter 2025", "Medel 2025 (kr)",
                       "Median 2025 (kr)"]  # fmt: skip
    assert rows[1:] == [
        ["MiniMed 640G (pump)", "1", "7 320,00", "7 320,00", "1", "7 300,00",
         "7 300,00"],
        ["FreeStyle Libre 2 (CGM)", "1", "10 000,00", "10 000,00", "1",
         "13 000,00", "13 000,00"],
    ]  # fmt: skip
    export = client.get("/followup/export/system_years.csv?year=2025").text
    assert export.splitlines()[2].split(";") == [
        "FreeStyle Libre 2",
        "CGM",
        "1",
        "10000,00",
        "10000,00",
        "1",
        "13000,00",
        "13000,00",
    ]


def test_a_manager_of_two_clinics_reads_what_their_clinics_paid(client, auth, mover):
    patient = db.session.scalar(sa.select(Patient))
    both = f.make_user("manager", clinics=[clinic("NORR"), clinic("SODR")])
    auth.login(both.username)
    page = client.get(f"/followup/patients/{patient.id}?year=2025").text
    assert (
        "Mottagningarnas kostnadsställen betalade 3 000,00 kr av patientens "
        "3 000,00 kr 2025." in text_of(page)
    )


def article_rows(page: str) -> list[list[str]]:
    """The article table's body rows: article no, name, units, lines, patients,
    cost."""
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    cells = r"<t[hd][^>]*>(.*?)</t[hd]>"
    return [
        [text_of(cell).strip() for cell in re.findall(cells, row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def overuse_on_articles_page(page: str) -> str:
    found = re.search(r">([^<]*med förbrukning över 1,5 gånger[^<]*)</a>", page)
    return text_of(found.group(1)).strip()


def test_the_articles_page_counts_the_overusers_its_link_lists(client, auth):
    """BARN's article page said '1 patient med förbrukning över 1,5 gånger
    förväntad användning' of 2025 and its link listed none: the page counted a
    transmitter delivered on 30 December 2024, still in use, among 2025's."""
    north = f.make_clinic("NORR")
    transmitter = f.make_article("T1", category="cgm_transmitter", pack_size=1,
                                 units_per_day=Decimal("0.0111"),
                                 systems=[f.make_system("Dexcom G6", "cgm")],
                                 pack_price_sek=Decimal("1400.00"))  # fmt: skip
    patient = f.make_patient(north)
    f.make_delivered_line(patient, transmitter, date(2024, 12, 30), packs=2)
    for day, packs in (
        (date(2025, 3, 21), 1),
        (date(2025, 6, 15), 1),
        (date(2025, 9, 14), 2),
        (date(2025, 12, 26), 1),
    ):
        f.make_delivered_line(patient, transmitter, day, packs=packs)  # 5 in 2025
    run_year(2025, full=True)
    auth.login(f.make_user("manager", clinics=[north]).username)

    articles = client.get("/followup/articles?year=2025").text
    listed = client.get("/followup/patients?year=2025&overuse=1").text
    assert "0 patienter." in text_of(listed)  # 5 of 4,05 expected: not 1,5 times
    assert overuse_on_articles_page(articles) == (
        "0 patienter med förbrukning över 1,5 gånger förväntad användning av "
        "någon artikel"
    )
    # Nor do the year's volumes count it: 5 transmitters on 4 lines in 2025,
    # on the article page and in the cost centre's stored volume alike.
    row = next(r for r in article_rows(articles) if r[0].startswith("T1"))
    assert row[2:4] == ["5", "4"]
    (centre,) = cost_centre_sums(resolve(f.make_user("region"), None), 2025)
    assert centre.units == 5


def test_the_register_export_link_says_whom_the_file_leaves_out(client, auth, mover):
    auth.login(mover["NORR"].username)
    page = client.get("/followup/?year=2025").text
    # Said in words, not counted: a count is one more query over the clinic's
    # patient-years on every view of the report (2.4 times its time at 25,000
    # patients); the drill-down, which reads them anyway, gives the number.
    note = page.split('id="register-not-listed">')[1].split("</p>")[0]
    assert text_of(note).strip() == (
        "Filen har de patienter som mottagningen vårdar nu. Rapportens siffror "
        "räknar också dem som mottagningen betalade för under året men som har "
        "lämnat den."
    )
    rows = client.get("/followup/register.csv?year=2025").text.splitlines()
    assert len(rows) == 1  # the header alone


def test_the_regions_register_export_has_no_such_note(client, auth, mover):
    """The region's file has every patient the report counts (pseudonymised)."""
    auth.login(f.make_user("region").username)
    assert 'id="register-not-listed"' not in client.get("/followup/?year=2025").text


def test_a_manager_reads_the_clinics_words_not_the_regions_nor_a_command(
    client, auth, two_patients
):
    """The walkthrough: a year not computed told the manager to run `flask
    followup run`, and the channels page of one clinic said "Regionens
    kostnad per kanal"."""
    auth.login(two_patients["manager"].username)
    empty = text_of(client.get("/followup/?year=2023").text)
    assert "flask" not in empty
    assert "beräknas varje natt" in empty
    channels = text_of(client.get("/followup/channels?year=2025").text)
    assert "Regionens kostnad per kanal" not in channels
    assert "Kostnaden per kanal som mottagningens kostnadsställe betalar" in channels
    auth.logout()
    auth.login(two_patients["region"].username)
    channels = text_of(client.get("/followup/channels?year=2025").text)
    assert "Regionens kostnad per kanal" in channels
