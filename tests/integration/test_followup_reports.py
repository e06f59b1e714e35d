"""The report's compliance, cost per channel with VAT, places per patient and
diabetes types: hand-computed on a small region, through the pages and exports."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from sesamlike.accounts.models import AuditEvent
from sesamlike.extensions import db
from sesamlike.followup import breakdowns, report
from sesamlike.followup.runs import run_year
from sesamlike.followup.scope import resolve
from tests import factories as f

YEAR = 2025
DEVICE = dict(units_per_day=None, amortisation_years=4, pack_size=1, benefit=False,
              serial_tracked=True)  # fmt: skip


@pytest.fixture
def world():
    """Two clinics, four patients, three channels, two pump and two CGM systems.

    2025 by hand (pharmacy lines × 1.25):
      anna (NORR, type 1): 640G pump, central, 1 Jul: 30,000 × 184 / 1,460
          = 3,780.82; 4 packs of sets, central: 4,600.00; 26 Libre sensors,
          pharmacy: 26 × 550 × 1.25 = 17,875.00 (VAT 3,575.00). 2 places.
      bo (SODR, type 2): 10 Dexcom sensors, pharmacy: 22,500.00 (VAT 4,500.00);
          a transmitter from the supplier Dexcom AB: 1,500.00. 2 places.
      cid (NORR, type 1): t:slim pump from the supplier Tandem AB, delivered
          1 Jan 2024: 9,500.00 in 2025; 2 packs of sets, central: 2,300.00.
          1 place (the pump came in 2024).
      dora (NORR, other): 1 pack of sets, central: 1,150.00; 1 Libre sensor,
          pharmacy: 687.50 (VAT 137.50); a transmitter from Dexcom AB:
          1,500.00. 3 places.
    """
    north, south = f.make_clinic("NORR"), f.make_clinic("SODR")
    s640, tslim = f.make_system("MiniMed 640G"), f.make_system("t:slim X2")
    libre = f.make_system("FreeStyle Libre 2", "cgm")
    dexcom = f.make_system("Dexcom G6", "cgm")
    a = dict(
        p640=f.make_article(category="pump", systems=[s640], first_choice_rank=1,
                            pack_price_sek=Decimal("30000.00"), **DEVICE),
        tslim=f.make_article(category="pump", systems=[tslim], first_choice_rank=2,
                             channel="supplier", supplier="Tandem AB",
                             pack_price_sek=Decimal("38000.00"), **DEVICE),
        sets=f.make_article(systems=[s640], pack_price_sek=Decimal("1150.00")),
        sets2=f.make_article(systems=[s640], first_choice_rank=2,
                             pack_price_sek=Decimal("1190.00")),
        libre=f.make_article(category="cgm_sensor", systems=[libre], pack_size=1,
                             channel="pharmacy", pack_price_sek=Decimal("550.00")),
        g6=f.make_article(category="cgm_sensor", systems=[dexcom], pack_size=3,
                          first_choice_rank=2, channel="pharmacy",
                          pack_price_sek=Decimal("1800.00")),
        tx=f.make_article(category="cgm_transmitter", systems=[dexcom],
                          pack_size=1, units_per_day=Decimal("0.0111"),
                          channel="supplier", supplier="Dexcom AB",
                          pack_price_sek=Decimal("1500.00")),
        clip=f.make_article(category="accessory", first_choice_rank=2),
        clip1=f.make_article(category="accessory", first_choice_rank=1),
    )  # fmt: skip
    anna = f.make_patient(north, last_name="Norrman")
    bo = f.make_patient(south, last_name="Söderberg", diabetes_type="type2")
    cid = f.make_patient(north, last_name="Cidsson", birth_date=date(2012, 5, 5))
    dora = f.make_patient(north, last_name="Dorasson", diabetes_type="other")
    line = f.make_delivered_line
    line(anna, a["p640"], date(2025, 7, 1))
    line(anna, a["sets"], date(2025, 2, 1), packs=4)
    line(anna, a["libre"], date(2025, 3, 1), packs=26)
    line(bo, a["g6"], date(2025, 4, 1), packs=10)
    line(bo, a["tx"], date(2025, 4, 1))
    line(cid, a["tslim"], date(2024, 1, 1))
    line(cid, a["sets"], date(2025, 5, 1), packs=2)
    line(dora, a["sets"], date(2025, 6, 1))
    line(dora, a["libre"], date(2025, 6, 1))
    line(dora, a["tx"], date(2025, 6, 1))
    run_year(YEAR, full=True)
    return dict(
        north=north, south=south, anna=anna, bo=bo, cid=cid, dora=dora, **a,
        manager=f.make_user("manager", clinics=[north]),
        analyst=f.make_user("region"),
    )  # fmt: skip


def scope_of(user, clinic=None):
    return resolve(user, clinic)


def by_channel(world, user) -> dict:
    rows = breakdowns.channel_costs(scope_of(user), YEAR)
    return {c.channel: (c.lines, c.patients, c.device, c.consumables, c.vat,
                        c.total) for c in rows}  # fmt: skip


def test_cost_per_channel_shows_the_vat_paid_through_pharmacies(world):
    assert by_channel(world, world["analyst"]) == {
        "central": (4, 3, Decimal("3780.82"), Decimal("8050.00"), Decimal("0.00"),
                    Decimal("11830.82")),
        "supplier": (3, 3, Decimal("9500.00"), Decimal("3000.00"), Decimal("0.00"),
                     Decimal("12500.00")),
        "pharmacy": (3, 3, Decimal("0.00"), Decimal("41062.50"), Decimal("8212.50"),
                     Decimal("41062.50")),
    }  # fmt: skip


def test_the_channels_add_up_to_the_patients_totals(world):
    data = breakdowns.channels_and_places(scope_of(world["analyst"]), YEAR)
    totals = db.session.scalar(
        sa.text("select sum(total_cost_sek) from patient_year_costs where year = 2025")
    )
    assert data.channel_total.total == Decimal(str(totals)) == Decimal("65393.32")
    assert data.channel_total.excluding_vat == Decimal("57180.82")


def test_a_manager_sees_the_channels_of_the_own_clinics_patients_only(world):
    assert by_channel(world, world["manager"]) == {
        "central": (4, 3, Decimal("3780.82"), Decimal("8050.00"), Decimal("0.00"),
                    Decimal("11830.82")),
        "supplier": (2, 2, Decimal("9500.00"), Decimal("1500.00"), Decimal("0.00"),
                     Decimal("11000.00")),
        "pharmacy": (2, 2, Decimal("0.00"), Decimal("18562.50"), Decimal("3712.50"),
                     Decimal("18562.50")),
    }  # fmt: skip


def test_places_per_patient_count_each_supplier_the_pharmacy_and_the_centre(world):
    region = breakdowns.places_per_patient(scope_of(world["analyst"]), YEAR)
    assert region == {1: 1, 2: 2, 3: 1}
    own = breakdowns.places_per_patient(scope_of(world["manager"]), YEAR)
    assert own == {1: 1, 2: 1, 3: 1}


def test_a_returned_line_still_was_collected_and_cancelled_ones_were_not(world):
    f.make_delivered_line(world["cid"], world["libre"], date(2025, 8, 1),
                          returned_on=date(2025, 8, 5))  # fmt: skip
    f.make_order_line(world["anna"], world["tx"], "cancelled")

    assert breakdowns.places_per_patient(scope_of(world["manager"]), YEAR) == {
        1: 0, 2: 2, 3: 1,
    }  # fmt: skip


def test_cost_by_diabetes_type_counts_pump_users(world):
    rows = breakdowns.diabetes_types(scope_of(world["analyst"]), YEAR)
    assert [(d.diabetes_type, d.summary.patients, d.summary.total, d.on_pump)
            for d in rows] == [
        ("type1", 2, Decimal("26255.82") + Decimal("11800.00"), 2),
        ("type2", 1, Decimal("24000.00"), 0),
        ("other", 1, Decimal("3337.50"), 0),
    ]  # fmt: skip
    own = breakdowns.diabetes_types(scope_of(world["manager"]), YEAR)
    assert [d.diabetes_type for d in own] == ["type1", "other"]


def prescribe(world, patient, article, **kw):
    clinic = world["south"] if patient is world["bo"] else world["north"]
    return f.make_prescription(patient, world[article], clinic=clinic,
                               valid_from=date(YEAR, 3, 1), **kw)  # fmt: skip


def test_compliance_ranks_first_choice_inside_each_system(world):
    for name in ("p640", "sets", "libre"):
        prescribe(world, world["anna"], name)
    # Dexcom's own sensor: the first choice of its system, though Libre's ranks 1.
    prescribe(world, world["bo"], "g6")
    prescribe(world, world["bo"], "sets2", status="cancelled")
    # t:slim X2's pump ranks 2 among pumps, 1 in its own system (as prescribing).
    prescribe(world, world["cid"], "tslim")
    # Deviations: a set ranked 2 inside 640G, an accessory of no system not rank 1.
    prescribe(world, world["cid"], "sets2", reason_code="patient_wish")
    prescribe(world, world["cid"], "clip", reason_code="medical")

    counts, reasons = report.compliance(scope_of(world["analyst"]), YEAR)

    assert counts == {"total": 7, "procured": 7, "first_choice": 5, "deviations": 2}
    assert reasons == [("medical", 1), ("patient_wish", 1)]


def test_cancelled_prescriptions_are_left_out_of_compliance(world):
    prescribe(world, world["anna"], "sets")
    prescribe(world, world["anna"], "sets2", status="cancelled", reason_code="other")

    counts, reasons = report.compliance(scope_of(world["manager"]), YEAR)

    assert counts == {"total": 1, "procured": 1, "first_choice": 1, "deviations": 0}
    assert reasons == []


def test_compliance_ranks_among_the_articles_in_contract_the_day_it_was_written(
    world,
):
    """When the first-choice set's contract ends, the next one becomes first choice."""
    world["sets"].valid_to = date(YEAR, 5, 31)
    db.session.commit()
    prescribe(world, world["anna"], "sets2", reason_code="patient_wish")  # 1 March
    f.make_prescription(world["anna"], world["sets2"], clinic=world["north"],
                        valid_from=date(YEAR, 7, 1))  # fmt: skip

    counts, reasons = report.compliance(scope_of(world["manager"]), YEAR)

    assert counts == {"total": 2, "procured": 2, "first_choice": 1, "deviations": 1}
    assert reasons == [("patient_wish", 1)]


def test_compliance_counts_each_prescription_with_the_contracts_of_its_day(world):
    """The year is counted per period of the assortment, not per day: the last
    day of a contract and the day after it, the day before a new one and its
    first day each count with the first choice of their own day."""
    world["sets"].valid_to = date(YEAR, 5, 31)  # first choice of 640G's sets
    f.make_article(systems=world["sets"].systems, first_choice_rank=1,
                   valid_from=date(YEAR, 9, 1))  # fmt: skip
    db.session.commit()
    for day in (date(YEAR, 5, 31), date(YEAR, 6, 1), date(YEAR, 8, 31),
                date(YEAR, 9, 1)):  # fmt: skip
        f.make_prescription(world["anna"], world["sets2"], clinic=world["north"],
                            valid_from=day)  # fmt: skip

    counts, reasons = report.compliance(scope_of(world["manager"]), YEAR)

    # sets2 is first choice from 1 June (sets ended) until 31 August.
    assert counts == {"total": 4, "procured": 4, "first_choice": 2, "deviations": 2}
    assert reasons == [("", 2)]


def test_a_contract_without_an_end_counts_every_day_of_the_year(world):
    """A catalogue may give 9999-12-31 for "no end": no day after it to cut at."""
    world["sets"].valid_to = date(9999, 12, 31)
    db.session.commit()
    prescribe(world, world["anna"], "sets")

    counts, _reasons = report.compliance(scope_of(world["manager"]), YEAR)

    assert counts == {"total": 1, "procured": 1, "first_choice": 1, "deviations": 0}
    assert report.compliance_per_clinic(YEAR)[world["north"].id] == counts


def test_the_clinics_page_counts_each_clinic_as_its_own_report_does(world):
    world["sets"].valid_to = date(YEAR, 5, 31)
    db.session.commit()
    for day in (date(YEAR, 3, 1), date(YEAR, 7, 1)):
        f.make_prescription(world["anna"], world["sets2"], clinic=world["north"],
                            valid_from=day, reason_code="patient_wish")  # fmt: skip
    prescribe(world, world["bo"], "g6")
    prescribe(world, world["bo"], "clip", reason_code="medical")

    per_clinic = report.compliance_per_clinic(YEAR)

    assert set(per_clinic) == {world["north"].id, world["south"].id}
    for clinic in (world["north"], world["south"]):
        own, _reasons = report.compliance(scope_of(world["analyst"], clinic.code), YEAR)
        assert per_clinic[clinic.id] == own
    assert per_clinic[world["north"].id]["first_choice"] == 1
    assert per_clinic[world["south"].id]["deviations"] == 1


def test_the_report_shows_cost_by_diabetes_type_and_leads_to_the_channels(
    client, auth, world
):
    auth.login(world["manager"].username)
    html = client.get(f"/followup/?year={YEAR}").get_data(as_text=True)
    assert "Typ 1-diabetes" in html and "Annan diabetes" in html
    assert "Typ 2-diabetes" not in html  # bo is not the manager's patient
    assert f"/followup/channels?year={YEAR}" in html


def test_the_channels_page_shows_vat_and_places_in_swedish(client, auth, world):
    auth.login(world["manager"].username)
    html = client.get(f"/followup/channels?year={YEAR}").get_data(as_text=True)
    assert "Kostnad per kanal" in html and "Apotek" in html
    assert "3\u00a0712,50" in html  # the VAT paid through pharmacies (own clinic)
    assert "41\u00a0393,32" in html  # the sum of the own clinic's channels
    assert "3 eller fler ställen" in html
    for patient in ("anna", "cid", "dora"):
        assert world[patient].personal_id not in html
    assert client.get(f"/followup/channels?year={YEAR}&clinic=SODR").status_code == 404


def test_the_channels_vat_column_says_it_is_part_of_the_total(client, auth, world):
    """The walkthrough: "Moms (kr)" stood beside "Totalt (kr)", whose figure
    already holds the VAT (Förbrukning includes it), as the cost-centre
    table's "Varav moms" says. Read as extra it inflates the sum."""
    auth.login(world["manager"].username)
    html = client.get(f"/followup/channels?year={YEAR}").get_data(as_text=True)
    assert ">Varav moms (kr)<" in html
    assert ">Moms (kr)<" not in html


def test_a_clinics_channels_page_says_it_holds_only_what_the_clinic_pays(
    client, auth, world
):
    """The walkthrough: the manager's channels sum (own cost centre) was less
    than the report's total cost (the patients' costs wherever paid), with no
    word of why; the report's cost-centre table says it, this page did not."""
    auth.login(world["manager"].username)
    html = client.get(f"/followup/channels?year={YEAR}").get_data(as_text=True)
    assert "Bara det som mottagningens kostnadsställe betalar" in html
    auth.logout()
    auth.login(world["analyst"].username)
    html = client.get(f"/followup/channels?year={YEAR}").get_data(as_text=True)
    assert "Bara det som mottagningens kostnadsställe betalar" not in html


def test_the_pages_in_english(client, auth, world):
    auth.login(world["analyst"].username)
    client.post("/language", data={"locale": "en"})
    html = client.get(f"/followup/channels?year={YEAR}").get_data(as_text=True)
    assert "Cost per channel" in html and "Pharmacy" in html
    assert "3 or more places" in html
    html = client.get(f"/followup/?year={YEAR}").get_data(as_text=True)
    assert "Type 2 diabetes" in html and "Channels and places" in html


def read_csv(response) -> list[list[str]]:
    text = response.get_data(as_text=True).lstrip("\ufeff")
    return list(csv.reader(io.StringIO(text), delimiter=","))


@pytest.mark.parametrize("table", ["channels", "places", "diabetes_types"])
def test_breakdown_exports_are_aggregates_and_write_no_audit_rows(
    client, auth, world, table
):
    auth.login(world["analyst"].username)
    response = client.get(f"/followup/export/{table}.csv?year={YEAR}&format=csv-comma")
    assert response.status_code == 200
    rows = read_csv(response)
    assert len(rows) > 1
    text = response.get_data(as_text=True)
    for patient in ("anna", "bo", "cid", "dora"):
        assert world[patient].personal_id not in text
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.patient_id.is_not(None))
        )
        == 0
    )


def test_channel_export_has_vat_and_a_sum_row(client, auth, world):
    auth.login(world["analyst"].username)
    rows = read_csv(client.get(
        f"/followup/export/channels.csv?year={YEAR}&format=csv-comma"))  # fmt: skip
    assert rows[0] == ["Kanal", "Rader", "Patienter", "Utlånade hjälpmedel (kr)",
                       "Förbrukning (kr)", "Moms (kr)", "Exkl. moms (kr)",
                       "Totalt (kr)"]  # fmt: skip
    assert rows[3][0] == "Apotek" and rows[3][5:] == ["8212.50", "32850.00",
                                                      "41062.50"]  # fmt: skip
    assert rows[-1][0] == "Summa" and rows[-1][-1] == "65393.32"


def test_a_manager_cannot_export_another_clinics_breakdown(client, auth, world):
    auth.login(world["manager"].username)
    url = f"/followup/export/places.csv?year={YEAR}&clinic=SODR"
    assert client.get(url).status_code == 404
    other = f.make_user("prescriber", clinics=[world["north"]])
    auth.logout()
    auth.login(other.username)
    assert client.get(f"/followup/export/places.csv?year={YEAR}").status_code == 403


def test_channel_export_opens_as_xlsx_with_amounts_as_numbers(client, auth, world):
    auth.login(world["manager"].username)
    response = client.get(f"/followup/export/channels.xlsx?year={YEAR}")
    rows = list(load_workbook(io.BytesIO(response.data)).active.values)
    assert rows[0][0] == "Kanal"
    assert rows[-1][0] == "Summa" and rows[-1][2] is None
    assert float(rows[-1][-1]) == pytest.approx(41393.32)


def test_the_age_exports_name_an_unknown_age_as_the_page_does(client, auth, world):
    """A patient with no birth date is 'Okänd ålder' on the page; the exports
    said '?'."""
    world["anna"].birth_date = None
    db.session.commit()
    run_year(YEAR, full=True)
    auth.login(world["analyst"].username)
    page = client.get(f"/followup/?year={YEAR}").get_data(as_text=True)
    assert "Okänd ålder" in page
    ages = read_csv(
        client.get(f"/followup/export/ages.csv?year={YEAR}&format=csv-comma")
    )
    assert "Okänd ålder" in [row[0] for row in ages[1:]]
    assert "?" not in [row[0] for row in ages[1:]]
    systems = read_csv(client.get(
        f"/followup/export/system_ages.csv?year={YEAR}&format=csv-comma"))  # fmt: skip
    assert systems[0] == ["Pumpsystem", "Barn 0–17 år", "Vuxen 18–64 år",
                          "Äldre 65+ år", "Okänd ålder"]  # fmt: skip


def test_the_system_and_age_export_has_every_age_group_the_page_shows(
    client, auth, world
):
    """No patient is 65 or over: the page still has the column, with 0s."""
    auth.login(world["analyst"].username)
    page = client.get(f"/followup/?year={YEAR}").get_data(as_text=True)
    # Named as the patient's page and the NDR file name it (the walkthrough:
    # "18-64" here, "Vuxen 18–64 år" there).
    assert '<th scope="col" class="num">Äldre 65+ år</th>' in page
    assert ">18-64<" not in page
    rows = read_csv(client.get(
        f"/followup/export/system_ages.csv?year={YEAR}&format=csv-comma"))  # fmt: skip
    assert rows[0] == ["Pumpsystem", "Barn 0–17 år", "Vuxen 18–64 år", "Äldre 65+ år"]
    by_system = {row[0]: row[1:] for row in rows[1:]}
    assert by_system["t:slim X2"] == ["1", "0", "0"]
    assert by_system["MiniMed 640G"] == ["0", "1", "0"]
