"""A device still with the patient after its amortisation names the systems.

The cost audit: a pump delivered in March 2020 (written off over four years)
and still on loan in 2025, with the year's infusion sets, gave the patient no
pump system. The contract names "the pump with the most days in use that
year", and the days that cost had stopped with the amortisation: the patient
fell out of every pump system's figures, and the NDR file had no pump model.
Such a device costs nothing and no clinic pays it (its prescription's clinic
may be one the patient left years ago), but it is the patient's pump.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from sesamlike.extensions import db
from sesamlike.followup import rules
from sesamlike.followup.lines import load_cost_lines
from sesamlike.followup.models import PatientYearCost, PatientYearPayer
from sesamlike.followup.runs import run_year
from tests import factories as f
from tests.integration.test_followup_truth import move_clinic


def stored(year: int) -> dict[int, PatientYearCost]:
    rows = db.session.scalars(
        sa.select(PatientYearCost).where(PatientYearCost.year == year)
    )
    return {row.patient_id: row for row in rows}


def payers(year: int) -> list[tuple[int, int | None, Decimal, Decimal]]:
    """Each stored payer of the year: patient, clinic, device and consumables."""
    rows = db.session.scalars(
        sa.select(PatientYearPayer).where(PatientYearPayer.year == year)
    )
    ore = Decimal("0.01")
    return sorted((row.patient_id, row.clinic_id,
                   Decimal(row.device_sek or 0).quantize(ore),
                   Decimal(row.consumables_sek or 0).quantize(ore))
                  for row in rows)  # fmt: skip


@pytest.fixture
def old_pump_mover():
    """A pump prescribed at NORR in March 2020, still on loan; the patient
    moved to SODR in 2024, which prescribes and pays the 2025 sets."""
    north = f.make_clinic("NORR", cost_centre="KS-100")
    south = f.make_clinic("SODR", cost_centre="KS-200")
    system = f.make_system("MiniMed 640G")
    pump = f.make_pump(systems=[system], pack_price_sek=Decimal("30000.00"))
    sets = f.make_article(category="infusion_set", systems=[system],
                          pack_price_sek=Decimal("1000.00"))  # fmt: skip
    doctor = f.make_user("prescriber", clinics=[north])
    patient = f.make_patient(north)
    at_north = f.make_prescription(patient, pump, doctor, clinic=north,
                                   valid_from=date(2020, 3, 1))  # fmt: skip
    f.make_delivered_line(patient, pump, date(2020, 3, 1),
                          prescription_id=at_north.id)  # fmt: skip
    move_clinic(patient, south, date(2024, 1, 1))
    at_south = f.make_prescription(patient, sets, clinic=south,
                                   valid_from=date(2025, 1, 1))  # fmt: skip
    for month in (1, 4, 7, 10):
        f.make_delivery(patient, at_south, date(2025, month, 10), packs=6)
    return patient, north, south, doctor, at_north


def test_a_pump_past_its_amortisation_is_the_patients_pump(old_pump_mover):
    patient, north, south, doctor, at_north = old_pump_mover
    run_year(2025, full=True)

    row = stored(2025)[patient.id]
    assert row.pump_system == "MiniMed 640G"
    assert (row.device_cost_sek, row.consumables_cost_sek) == (
        Decimal("0.00"), Decimal("24000.00"))  # fmt: skip
    # The prescriber is the pump's, as for any patient on a pump.
    assert (row.prescription_id, row.prescriber_id) == (at_north.id, doctor.id)
    # Only SODR paid: NORR, whose pump it was, is no payer of the year, so
    # the patient is in SODR's report and not in NORR's.
    assert payers(2025) == [
        (patient.id, south.id, Decimal("0.00"), Decimal("24000.00"))
    ]
    # The rules in plain Python say the same.
    reference = rules.costs_by_patient(load_cost_lines(), 2025)[patient.id]
    assert reference.pump_system == row.pump_system
    assert reference.total_cost_sek == row.total_cost_sek


def test_the_pump_still_names_the_system_on_an_incremental_run(old_pump_mover):
    patient, *_ = old_pump_mover
    run_year(2025, full=True)
    sets = db.session.scalar(
        sa.select(PatientYearCost).where(PatientYearCost.patient_id == patient.id)
    )
    assert sets.pump_system == "MiniMed 640G"
    # A new delivery: the patient's row is computed again, the pump kept.
    at_south = f.make_prescription(patient, f.make_article(pack_price_sek=Decimal(
        "500.00")), valid_from=date(2025, 1, 1))  # fmt: skip
    f.make_delivery(patient, at_south, date(2025, 11, 10), packs=1)
    run_year(2025)
    row = stored(2025)[patient.id]
    assert (row.pump_system, row.consumables_cost_sek) == (
        "MiniMed 640G", Decimal("24500.00"))  # fmt: skip


def test_a_pump_returned_ends_its_days_in_use():
    """Back at the aids centre in 2024: in 2025 the patient has no pump."""
    system = f.make_system("MiniMed 640G")
    pump = f.make_pump(systems=[system], pack_price_sek=Decimal("30000.00"))
    sets = f.make_article(category="infusion_set", pack_price_sek=Decimal("100.00"))
    clinic = f.make_clinic()
    patient = f.make_patient(clinic)
    f.make_delivered_line(patient, pump, date(2019, 3, 1),
                          returned_on=date(2024, 6, 1))  # fmt: skip
    f.make_delivery(patient, f.make_prescription(patient, sets, clinic=clinic),
                    date(2025, 2, 1))  # fmt: skip
    run_year(2025, full=True)
    assert stored(2025)[patient.id].pump_system is None


def test_a_pump_left_in_a_drawer_makes_no_row_of_its_own():
    """Never returned, nothing else in the year: no row (a patient at no cost
    would pull every mean down), and no payer."""
    system = f.make_system("MiniMed 640G")
    pump = f.make_pump(systems=[system], pack_price_sek=Decimal("30000.00"))
    patient = f.make_patient(f.make_clinic())
    f.make_delivered_line(patient, pump, date(2019, 3, 1))
    run_year(2025, full=True)
    assert patient.id not in stored(2025) and payers(2025) == []


def test_an_incremental_run_removes_the_row_when_only_the_old_pump_is_left(
    old_pump_mover,
):
    from sesamlike.orders.models import OrderLine

    patient, *_ = old_pump_mover
    run_year(2025, full=True)
    for line in db.session.scalars(
        sa.select(OrderLine).where(OrderLine.patient_id == patient.id,
                                   OrderLine.delivered_on >= date(2025, 1, 1))
    ):  # fmt: skip
        # Every set back on the shelf.
        line.packs_returned = line.packs_restocked = line.packs
    db.session.commit()
    run_year(2025)
    assert patient.id not in stored(2025) and payers(2025) == []


def test_the_benchmarks_write_floor_stores_the_same_row(old_pump_mover):
    """Issue 19's write floor stores "the same per-patient rows": the pump
    past its amortisation names its system there too, and the drawer's pump
    alone makes no row."""
    from bench import floor

    patient, *_ = old_pump_mover
    drawer = f.make_patient(f.make_clinic())
    f.make_delivered_line(drawer, f.make_pump(), date(2019, 3, 1))
    run_year(2025, full=True)
    floor.prepare_write_floor(db.session)
    floor.write_floor(db.session, 2025)
    rows = db.session.execute(sa.text(
        f"SELECT patient_id, pump_system, prescriber_id, total_cost_sek "
        f"FROM {floor.WRITE_FLOOR_TABLE} WHERE year = 2025"
    )).all()  # fmt: skip
    row = stored(2025)[patient.id]
    assert [(r[0], r[1], r[2], Decimal(str(r[3]))) for r in rows] == [
        (patient.id, row.pump_system, row.prescriber_id, row.total_cost_sek)
    ]


def test_the_patient_cost_page_lists_the_pump_at_no_cost(client, auth, old_pump_mover):
    """The page's heading named the pump system; its lines had no pump. The
    region sees it, at no cost; the clinic the patient moved to does not (it
    is NORR's delivery: need to know, the review of this change), nor counts
    it as a line paid elsewhere."""
    import html

    from sesamlike.patients.pseudonym import pseudonym

    patient, north, south, *_ = old_pump_mover
    run_year(2025, full=True)

    def cost_lines(path: str) -> tuple[str, str]:
        page = html.unescape(client.get(path).text)
        start = page.index('id="cost-lines"')
        return page[start : page.index("</table>", start)], page

    auth.login(f.make_user("region").username)
    lines, _page = cost_lines(f"/followup/patients/{pseudonym(patient.id)}?year=2025")
    assert "Avskrivet: används fortfarande och kostar inget mer" in lines
    assert lines.count("<tr>") == 1 + 1 + 4  # heading, the pump, four deliveries
    auth.logout()
    auth.login(f.make_user("manager", clinics=[south]).username)
    lines, page = cost_lines(f"/followup/patients/{patient.id}?year=2025")
    assert "Avskrivet" not in lines and "KS-100" not in lines
    assert lines.count("<tr>") == 1 + 4
    assert 'id="not-listed"' not in page  # no other clinic paid a line


def test_a_new_pump_in_its_period_wins_over_a_written_off_one():
    """The review of this change: a MiniMed pump of 2019, its return never
    recorded, and an Omnipod pump delivered on 1 March 2025 (a switch of
    system). The old one was with the patient more days, and named the year's
    system, with the new pump's cost in MiniMed's figures. A device in its
    amortisation period wins, however few its days; the rules agree."""
    old_system, new_system = f.make_system("MiniMed 640G"), f.make_system("Omnipod")
    old = f.make_pump(systems=[old_system], pack_price_sek=Decimal("30000.00"))
    new = f.make_pump(systems=[new_system], pack_price_sek=Decimal("30000.00"))
    patient = f.make_patient(f.make_clinic())
    f.make_delivered_line(patient, old, date(2019, 3, 1))
    f.make_delivered_line(patient, new, date(2025, 3, 1))
    run_year(2025, full=True)
    row = stored(2025)[patient.id]
    reference = rules.costs_by_patient(load_cost_lines(), 2025)[patient.id]
    assert row.pump_system == reference.pump_system == "Omnipod"


def test_a_pump_delivered_over_twelve_years_before_names_nothing():
    """The review of this change: the run reads no line delivered more than
    12 years before the year, while the rules had no such limit, so they
    disagreed on a pump of 2012 never returned. Neither names it now."""
    system = f.make_system("MiniMed 640G")
    pump = f.make_pump(systems=[system], pack_price_sek=Decimal("30000.00"))
    sets = f.make_article(category="infusion_set", pack_price_sek=Decimal("100.00"))
    clinic = f.make_clinic()
    patient = f.make_patient(clinic)
    f.make_delivered_line(patient, pump, date(2012, 3, 1))
    f.make_delivered_line(patient, pump, date(2013, 1, 1))  # within 12 years
    f.make_delivery(patient, f.make_prescription(patient, sets, clinic=clinic),
                    date(2025, 2, 1))  # fmt: skip
    run_year(2025, full=True)
    reference = rules.costs_by_patient(load_cost_lines(), 2025)[patient.id]
    assert stored(2025)[patient.id].pump_system == reference.pump_system
    assert reference.pump_system == "MiniMed 640G"  # the one of 2013
    f.make_delivered_line(patient, sets, date(2026, 2, 1))
    run_year(2026, full=True)
    reference = rules.costs_by_patient(load_cost_lines(), 2026)[patient.id]
    assert stored(2026)[patient.id].pump_system is reference.pump_system is None
