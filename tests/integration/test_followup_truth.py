"""Issue 16: the follow-up tells the truth. Hand-computed cases, SQL and rules.

- A warranty replacement continues the first pump's period and daily rate.
- Packs returned to stock and issued to another patient cost once.
- A patient who moves clinic leaves the old clinic's costs where they fell.
- The current year counts a device's days up to and including today.
"""

import csv
import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from sesamlike.extensions import db
from sesamlike.followup import rules
from sesamlike.followup.cost_centres import cost_centre_sums
from sesamlike.followup.lines import load_cost_lines
from sesamlike.followup.models import PatientYearCost
from sesamlike.followup.runs import run_year
from sesamlike.followup.scope import resolve
from tests import factories as f

AFTER = datetime(2029, 2, 5, 3, 0, tzinfo=UTC)  # 2024-2028 are whole past years


def stored(year):
    rows = db.session.scalars(
        sa.select(PatientYearCost).where(PatientYearCost.year == year)
    )
    return {row.patient_id: row for row in rows}


@pytest.fixture
def pump():
    system = f.make_system("MiniMed 640G")
    return f.make_pump(systems=[system], pack_price_sek=Decimal("30000.00"))


def swapped_pump(patient, pump, *, replacement_price=Decimal("0")):
    """Delivered 10 Jan 2024, swapped under warranty on 1 Apr 2025."""
    first = f.make_delivered_line(
        patient, pump, date(2024, 1, 10), returned_on=date(2025, 4, 1)
    )
    return first, f.make_delivered_line(
        patient, pump, date(2025, 4, 1), replaces_line_id=first.id,
        amortised_line_id=first.id, pack_price_sek=replacement_price,
    )  # fmt: skip


EXPECTED_SWAP = {2024: "7335.62", 2025: "7500.00", 2026: "7500.00",
                 2027: "7500.00", 2028: "164.38"}  # fmt: skip


def test_a_pump_swapped_under_warranty_costs_over_its_original_period(pump):
    patient = f.make_patient(f.make_clinic())
    swapped_pump(patient, pump)
    for year, expected in EXPECTED_SWAP.items():
        run_year(year, full=True, now=AFTER)
        row = stored(year)[patient.id]
        assert (year, row.device_cost_sek) == (year, Decimal(expected))
        assert row.pump_system == "MiniMed 640G"
        assert row.pump_part_sek == Decimal(expected)
    run_year(2029, full=True, now=AFTER)
    assert stored(2029) == {}


def test_the_rules_cost_a_swapped_pump_as_the_sql(pump):
    patient = f.make_patient(f.make_clinic())
    # The history import snapshots the article's price on the replacement too:
    # it adds nothing all the same.
    swapped_pump(patient, pump, replacement_price=Decimal("30000.00"))
    lines = load_cost_lines()
    for year, expected in EXPECTED_SWAP.items():
        cost = rules.patient_year_cost(lines, year, AFTER.date())
        assert cost.device_cost_sek == Decimal(expected)
        run_year(year, full=True, now=AFTER)
        assert stored(year)[patient.id].device_cost_sek == Decimal(expected)


def test_a_second_swap_still_runs_on_the_first_pumps_period(pump):
    patient = f.make_patient(f.make_clinic())
    first, second = swapped_pump(patient, pump)
    db.session.execute(
        sa.update(type(second)).where(type(second).id == second.id)
        .values(status="returned", returned_on=date(2026, 6, 1))
    )  # fmt: skip
    db.session.commit()
    f.make_delivered_line(
        patient, pump, date(2026, 6, 1), replaces_line_id=second.id,
        amortised_line_id=first.id, pack_price_sek=Decimal("0"),
    )  # fmt: skip
    for year, expected in EXPECTED_SWAP.items():
        run_year(year, full=True, now=AFTER)
        assert stored(year)[patient.id].device_cost_sek == Decimal(expected)
        reference = rules.patient_year_cost(load_cost_lines(), year, AFTER.date())
        assert reference.device_cost_sek == Decimal(expected)


def test_packs_returned_to_stock_and_issued_again_cost_once():
    sets = f.make_article(category="infusion_set", pack_price_sek=Decimal("1150.00"),
                          channel="central")  # fmt: skip
    clinic = f.make_clinic()
    first, second = f.make_patient(clinic), f.make_patient(clinic)
    f.make_delivered_line(first, sets, date(2025, 3, 3), packs=4,
                          returned_on=date(2025, 3, 10), packs_returned=4,
                          packs_restocked=4)  # fmt: skip
    f.make_delivered_line(second, sets, date(2025, 3, 12), packs=4)

    run_year(2025, full=True)

    rows = stored(2025)
    assert first.id not in rows  # nothing of theirs costs in 2025
    assert rows[second.id].consumables_cost_sek == Decimal("4600.00")
    region = resolve(f.make_user("region"), None)
    (centre,) = cost_centre_sums(region, 2025)
    assert (centre.consumables_cost_sek, centre.units, centre.patients) == (
        Decimal("4600.00"), 4 * sets.pack_size, 1)  # fmt: skip
    assert rules.costs_by_patient(load_cost_lines(), 2025)[
        second.id
    ].consumables_cost_sek == Decimal("4600.00")
    assert first.id not in rules.costs_by_patient(load_cost_lines(), 2025)


def test_a_partial_return_to_stock_comes_off_its_line():
    sets = f.make_article(category="infusion_set", pack_price_sek=Decimal("1150.00"),
                          channel="central")  # fmt: skip
    patient = f.make_patient(f.make_clinic())
    # 10 packs delivered; 4 came back, 3 of them fit for stock, 1 scrapped.
    f.make_delivered_line(patient, sets, date(2025, 3, 3), packs=10,
                          packs_returned=4, packs_restocked=3)  # fmt: skip

    run_year(2025, full=True)

    assert stored(2025)[patient.id].consumables_cost_sek == Decimal("8050.00")


def move_clinic(patient, clinic, on: date) -> None:
    """The patient moves: the care relationship ends and one at `clinic` starts."""
    from sesamlike.patients.models import CareRelationship

    relationship = db.session.scalar(
        sa.select(CareRelationship).where(CareRelationship.patient_id == patient.id)
    )
    relationship.ended_on = on
    db.session.add(
        CareRelationship(patient_id=patient.id, clinic_id=clinic.id, started_on=on)
    )
    db.session.commit()


def test_a_patient_who_moves_clinic_leaves_the_old_clinics_costs_there():
    north = f.make_clinic("NORR", cost_centre="KS-100")
    south = f.make_clinic("SODR", cost_centre="KS-200")
    sets = f.make_article(category="infusion_set", pack_price_sek=Decimal("1000.00"),
                          channel="central")  # fmt: skip
    patient = f.make_patient(north)
    at_north = f.make_prescription(patient, sets, clinic=north,
                                   valid_from=date(2025, 1, 1))  # fmt: skip
    for month in range(1, 6):  # January to May: north prescribes and pays
        f.make_delivery(patient, at_north, date(2025, month, 15), packs=2)
    # June: the patient moves; north's care relationship ends.
    move_clinic(patient, south, date(2025, 6, 1))
    at_south = f.make_prescription(patient, sets, clinic=south,
                                   valid_from=date(2025, 6, 1))  # fmt: skip
    for month in range(6, 13):
        f.make_delivery(patient, at_south, date(2025, month, 15), packs=1)

    run_year(2025, full=True)

    region = resolve(f.make_user("region"), None)
    sums = {c.clinic_code: c for c in cost_centre_sums(region, 2025)}
    assert sums["NORR"].consumables_cost_sek == Decimal("10000.00")
    assert sums["NORR"].cost_centre == "KS-100"
    assert sums["SODR"].consumables_cost_sek == Decimal("7000.00")
    total = stored(2025)[patient.id].total_cost_sek
    assert sums["NORR"].total_cost_sek + sums["SODR"].total_cost_sek == total
    north_only = resolve(f.make_user("region"), "NORR")
    assert [c.clinic_code for c in cost_centre_sums(north_only, 2025)] == ["NORR"]


def test_the_current_year_counts_device_days_up_to_today(pump):
    patient = f.make_patient(f.make_clinic())
    f.make_delivered_line(patient, pump, date(2026, 7, 1))
    # 2 December 2026: 1 July to 2 December, both counted, is 155 days.
    run_year(2026, full=True, now=datetime(2026, 12, 2, 10, 0, tzinfo=UTC))
    assert stored(2026)[patient.id].device_cost_sek == Decimal("3184.93")
    reference = rules.patient_year_cost(load_cost_lines(), 2026, date(2026, 12, 2))
    assert reference.device_cost_sek == Decimal("3184.93")
    # The next day's run counts one more day, though no line changed.
    run_year(2026, now=datetime(2026, 12, 3, 10, 0, tzinfo=UTC))
    assert stored(2026)[patient.id].device_cost_sek == Decimal("3205.48")


def test_the_weekly_full_run_catches_a_deleted_line_the_nightly_run_cannot_see():
    from sesamlike.followup import jobs
    from sesamlike.orders.models import Order

    sets = f.make_article(category="infusion_set", pack_price_sek=Decimal("1000.00"))
    patient = f.make_patient(f.make_clinic())
    line = f.make_delivered_line(patient, sets, date(2025, 3, 3), packs=2)
    now = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)
    jobs.run(now)
    assert stored(2025)[patient.id].consumables_cost_sek == Decimal("2000.00")
    db.session.delete(db.session.get(Order, line.order_id))  # nothing left to see
    db.session.commit()

    jobs.run(datetime(2026, 12, 7, 2, 0, tzinfo=UTC))
    assert patient.id in stored(2025)  # the nightly run cannot know
    counts = jobs.run_full(datetime(2026, 12, 7, 3, 0, tzinfo=UTC))

    assert counts["full_2025"] == 1
    assert stored(2025) == {}


def report_patients(client, year, clinic) -> int:
    """The report page's 'patients with a cost' (0 when it shows none)."""
    html = client.get(f"/followup/?year={year}&clinic={clinic}").get_data(as_text=True)
    found = re.search(r"<dt>Patienter med kostnad</dt><dd><a [^>]*>(\d+)</a>", html)
    return int(found.group(1)) if found else 0


def trend_export(client, clinic) -> dict[str, list[str]]:
    response = client.get(f"/followup/export/trend.csv?year=2025&clinic={clinic}"
                          "&format=csv-comma")  # fmt: skip
    text = response.get_data(as_text=True).lstrip("\ufeff")
    # Patients, mean and sum (the last day counted follows: test_followup_part_year).
    return {row[0]: row[1:4] for row in list(csv.reader(io.StringIO(text)))[1:]}


def test_the_report_pages_follow_who_paid_in_the_year_shown(client, auth):
    """Issue 16 item 3: a patient who moves clinic in June 2025 is in the old
    clinic's 2024 and in both clinics' 2025, in the pages and the exports."""
    north = f.make_clinic("NORR", cost_centre="KS-100")
    south = f.make_clinic("SODR", cost_centre="KS-200")
    sets = f.make_article(category="infusion_set", pack_price_sek=Decimal("1000.00"),
                          channel="central")  # fmt: skip
    patient = f.make_patient(north)
    at_north = f.make_prescription(patient, sets, clinic=north,
                                   valid_from=date(2024, 1, 1))  # fmt: skip
    f.make_delivery(patient, at_north, date(2024, 3, 15), packs=3)
    f.make_delivery(patient, at_north, date(2025, 3, 15), packs=2)
    move_clinic(patient, south, date(2025, 6, 1))
    at_south = f.make_prescription(patient, sets, clinic=south,
                                   valid_from=date(2025, 6, 1))  # fmt: skip
    f.make_delivery(patient, at_south, date(2025, 9, 15), packs=1)
    run_year(2024, full=True)
    run_year(2025, full=True)
    manager = f.make_user("manager", clinics=[north, south])

    auth.login(manager.username)
    assert report_patients(client, 2024, "NORR") == 1
    assert report_patients(client, 2024, "SODR") == 0
    assert report_patients(client, 2025, "NORR") == 1
    assert report_patients(client, 2025, "SODR") == 1
    north_trend, south_trend = (
        trend_export(client, "NORR"),
        trend_export(client, "SODR"),
    )
    assert north_trend["2024"] == ["1", "3000.00", "3000.00"]
    assert north_trend["2025"] == ["1", "3000.00", "3000.00"]
    assert "2024" not in south_trend
    assert south_trend["2025"] == ["1", "3000.00", "3000.00"]


def test_a_clinic_of_any_size_is_one_bound_list_of_paying_patients():
    """A manager's scope lists its paying patients; 300,000 of them (more than
    PostgreSQL's 65,535 and SQLite's 250,000 parameters) still select the rows."""
    from sesamlike.common.sql import in_ids
    from sesamlike.followup.compute import on_postgresql
    from sesamlike.patients.models import Patient

    patients = [f.make_patient() for _ in range(3)]
    db.session.commit()
    ids = [*range(10_000_000, 10_300_000), patients[0].id, patients[2].id]
    chosen = db.session.scalars(
        sa.select(Patient.id).where(in_ids(Patient.id, ids, postgresql=on_postgresql()))
    ).all()
    assert sorted(chosen) == sorted([patients[0].id, patients[2].id])


def article_units(client, clinic: str = "") -> dict[str, tuple[int, str]]:
    """The article volumes export: article number -> (units, cost)."""
    response = client.get(f"/followup/articles.csv?year=2025&clinic={clinic}"
                          "&format=csv-comma")  # fmt: skip
    text = response.get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))[1:]
    return {row[0]: (int(row[3]), row[6]) for row in rows}


def june_mover() -> None:
    """A patient at NORR (cost centre KS-100) moves to SODR (KS-200) on 1 June
    2025: 2 packs of S1 paid by NORR in March, 1 by SODR in September."""
    north = f.make_clinic("NORR", cost_centre="KS-100")
    south = f.make_clinic("SODR", cost_centre="KS-200")
    sets = f.make_article("S1", category="infusion_set", pack_size=10,
                          pack_price_sek=Decimal("1000.00"),
                          channel="central")  # fmt: skip
    patient = f.make_patient(north)
    at_north = f.make_prescription(patient, sets, clinic=north,
                                   valid_from=date(2025, 1, 1))  # fmt: skip
    f.make_delivery(patient, at_north, date(2025, 3, 15), packs=2)
    move_clinic(patient, south, date(2025, 6, 1))
    at_south = f.make_prescription(patient, sets, clinic=south,
                                   valid_from=date(2025, 6, 1))  # fmt: skip
    f.make_delivery(patient, at_south, date(2025, 9, 15), packs=1)
    run_year(2025, full=True)


def test_each_clinics_article_volumes_count_only_the_lines_it_paid(client, auth):
    """Issue 16 item 8: a patient who moves clinic in June 2025 is on both
    clinics' article pages, each with the lines it paid; together they make the
    region's volume."""
    june_mover()

    auth.login(f.make_user("region").username)
    region = article_units(client)
    north_page, south_page = (
        article_units(client, "NORR"),
        article_units(client, "SODR"),
    )

    assert north_page["S1"] == (20, "2000.00")
    assert south_page["S1"] == (10, "1000.00")
    assert north_page["S1"][0] + south_page["S1"][0] == region["S1"][0] == 30


def test_each_clinics_channels_hold_only_the_lines_it_paid():
    """The channel page of a clinic: a patient who moves clinic in June 2025
    counts at each clinic for its own lines, and the clinics make the region."""
    from sesamlike.followup.breakdowns import channel_costs

    june_mover()

    region = f.make_user("region")
    shown = {
        code: [(c.channel, c.lines, c.consumables)
               for c in channel_costs(resolve(region, code), 2025)]
        for code in (None, "NORR", "SODR")
    }  # fmt: skip
    assert shown["NORR"] == [("central", 1, Decimal("2000.00"))]
    assert shown["SODR"] == [("central", 1, Decimal("1000.00"))]
    assert shown[None] == [("central", 2, Decimal("3000.00"))]


def test_the_pump_systems_cost_without_cgm_and_its_consumables_share(
    pump, client, auth
):
    """TLV's comparable figure on the report's first screen: per patient with
    the pump and no CGM, the pump written off plus its consumables."""
    from sesamlike.followup.system_parts import pump_systems_without_cgm

    system = pump.systems[0]
    sets = f.make_article(systems=[system], pack_price_sek=Decimal("1000.00"))
    sensor = f.make_article(
        category="cgm_sensor", systems=[f.make_system("Dexcom G7", "cgm")],
        pack_price_sek=Decimal("2000.00"),
    )  # fmt: skip
    clinic = f.make_clinic()
    ann, bo, cgm_user = (f.make_patient(clinic) for _ in range(3))
    for patient, packs in ((ann, 22), (bo, 24), (cgm_user, 20)):
        f.make_delivered_line(patient, pump, date(2024, 1, 1))  # whole 2025 in use
        f.make_delivered_line(patient, sets, date(2025, 2, 1), packs=packs)
    f.make_delivered_line(cgm_user, sensor, date(2025, 3, 1), packs=10)
    run_year(2025, full=True, now=AFTER)

    # Ann 7,500 + 22,000; Bo 7,500 + 24,000; the CGM user is left out.
    region = resolve(f.make_user("region"), None)
    (row,) = pump_systems_without_cgm(region, 2025)
    assert (row.system, row.patients, row.mean) == (
        "MiniMed 640G",
        2,
        Decimal("30500.00"),
    )
    assert row.consumables_share == Decimal(46000) / Decimal(61000)  # 75.4 %

    manager = f.make_user("manager", clinics=[clinic])
    auth.login(manager.username)
    html = client.get("/followup/?year=2025").get_data(as_text=True)
    table = html.split('id="without-cgm"')[1].split("</table>")[0]
    assert "TLV:s jämförbara siffra" in table
    assert "30\u00a0500,00" in table and "75,4\u00a0%" in table
    assert html.index('id="without-cgm"') < html.index('id="pump"')  # first screen
