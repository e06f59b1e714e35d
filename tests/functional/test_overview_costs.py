"""The prescriber's patient overview shows what the own clinic paid for the patient.

domain.md gives prescribers the costs "own clinic's, per patient", yet a
prescriber saw none: the follow-up pages are the managers' and the region's,
and the overview had no cost. Its "Kostnad" section now shows last year and
this year from the stored follow-up figures: the own clinic's share (a patient
who moved clinic: never what the other clinic paid), the pump and CGM system,
and in words a year with nothing stored, never a zero.
"""

from __future__ import annotations

import html
import re
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from babel.dates import format_date

from sesamlike.accounts.models import AuditEvent
from sesamlike.common.errors import Forbidden, NotVisible
from sesamlike.common.formatting import format_amount
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.followup import own_clinic_costs
from sesamlike.followup.models import PatientYearCost, PatientYearPayer
from sesamlike.followup.runs import run_year
from tests import factories as f
from tests.integration.test_followup_truth import move_clinic

TODAY = region_today()
THIS_YEAR, LAST_YEAR = TODAY.year, TODAY.year - 1
SV_THIS_YEAR = f"{THIS_YEAR} (t.o.m. {format_date(TODAY, 'd MMMM', locale='sv_SE')})"
EN_THIS_YEAR = f"{THIS_YEAR} (up to {format_date(TODAY, 'd MMMM', locale='en_GB')})"
NOTHING_STORED = "Ingen kostnad är sparad för året."


def text_of(fragment: str) -> str:
    words = html.unescape(re.sub(r"<[^>]+>", " ", fragment))
    return re.sub(r"[ \t\n]+", " ", words).strip()  # not the no-break spaces


def cost_rows(page: str) -> dict[str, list[str]]:
    """The cost section's rows: the year as labelled -> the other cells' text."""
    assert 'id="costs-heading"' in page, "no cost section on the overview"
    section = page.split('id="costs-heading"')[1].split("</section>")[0]
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", section.split("<tbody>")[1], re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        cells = [text_of(cell) for cell in cells]
        rows[cells[0]] = cells[1:]
    return rows


@pytest.fixture
def pump_patient():
    """A pump and CGM patient at NORR with costs last year, computed; this
    year's not computed yet."""
    north = f.make_clinic("NORR", cost_centre="KS-100")
    pump_system = f.make_system("MiniMed 640G")
    cgm_system = f.make_system("Dexcom G6", kind="cgm")
    pump = f.make_article(category="pump", systems=[pump_system],
                          units_per_day=None, amortisation_years=4, pack_size=1,
                          pack_price_sek=Decimal("30000.00"))  # fmt: skip
    sets = f.make_article(category="infusion_set", systems=[pump_system],
                          pack_price_sek=Decimal("1150.00"))  # fmt: skip
    sensors = f.make_article(category="cgm_sensor", systems=[cgm_system], pack_size=3,
                             pack_price_sek=Decimal("2145.50"))  # fmt: skip
    patient = f.make_patient(north)
    f.make_delivered_line(patient, pump, date(LAST_YEAR, 3, 1))
    f.make_delivered_line(patient, sets, date(LAST_YEAR, 3, 1), packs=3)
    f.make_delivered_line(patient, sensors, date(LAST_YEAR, 5, 1), packs=2)
    run_year(LAST_YEAR, full=True)
    return {
        "patient": patient,
        "prescriber": f.make_user("prescriber", clinics=[north]),
        "stranger": f.make_user("prescriber", clinics=[f.make_clinic("SODR")]),
    }


def test_a_prescriber_at_the_clinic_sees_the_stored_figures_of_last_year(
    client, auth, pump_patient
):
    patient = pump_patient["patient"]
    stored = db.session.scalar(
        sa.select(PatientYearCost).where(
            PatientYearCost.patient_id == patient.id, PatientYearCost.year == LAST_YEAR
        )
    )
    auth.login(pump_patient["prescriber"].username)
    page = client.get(f"/patients/{patient.id}/overview").text

    rows = cost_rows(page)
    assert rows[str(LAST_YEAR)] == [
        "MiniMed 640G",
        "Dexcom G6",
        format_amount(stored.device_cost_sek, "sv"),
        format_amount(stored.consumables_cost_sek, "sv"),
        format_amount(stored.total_cost_sek, "sv"),
    ]
    assert stored.total_cost_sek > 0


def test_a_year_without_stored_figures_says_so_and_shows_no_zero(
    client, auth, pump_patient
):
    patient = pump_patient["patient"]
    auth.login(pump_patient["prescriber"].username)
    page = client.get(f"/patients/{patient.id}/overview").text

    rows = cost_rows(page)
    assert list(rows) == [str(LAST_YEAR), SV_THIS_YEAR]
    (said,) = rows[SV_THIS_YEAR]
    assert said.startswith(NOTHING_STORED) and "varje natt" in said
    assert "0,00" not in said


def test_this_years_figures_are_labelled_as_counted_to_their_day(
    client, auth, pump_patient
):
    patient = pump_patient["patient"]
    run_year(THIS_YEAR, full=True)  # the pump is written off this year too
    stored = db.session.scalar(
        sa.select(PatientYearCost).where(
            PatientYearCost.patient_id == patient.id, PatientYearCost.year == THIS_YEAR
        )
    )
    auth.login(pump_patient["prescriber"].username)
    rows = cost_rows(client.get(f"/patients/{patient.id}/overview").text)
    assert rows[SV_THIS_YEAR][-1] == format_amount(stored.total_cost_sek, "sv")

    client.post("/language", data={"locale": "en"})
    rows = cost_rows(client.get(f"/patients/{patient.id}/overview").text)
    assert rows[EN_THIS_YEAR][-1] == format_amount(stored.total_cost_sek, "en")


def test_a_prescriber_of_another_clinic_still_cannot_open_the_patient(
    client, auth, pump_patient
):
    auth.login(pump_patient["stranger"].username)
    answer = client.get(f"/patients/{pump_patient['patient'].id}/overview")
    assert answer.status_code == 404
    assert "MiniMed 640G" not in answer.text


def test_the_cost_read_adds_no_row_to_the_patients_access_log(
    client, auth, pump_patient
):
    """The overview's read of the patient is logged once ("Läste översikten");
    its cost section is part of that read, not a second one."""
    patient = pump_patient["patient"]
    auth.login(pump_patient["prescriber"].username)
    before = db.session.scalar(sa.select(sa.func.max(AuditEvent.id))) or 0
    client.get(f"/patients/{patient.id}/overview")

    rows = db.session.execute(
        sa.select(AuditEvent.action, AuditEvent.object_type, AuditEvent.detail).where(
            AuditEvent.id > before, AuditEvent.patient_id == patient.id
        )
    ).all()
    assert rows == [("read", "patient", "overview")]


@pytest.fixture
def mover():
    """A patient at NORR (KS-100) moves to SODR (KS-200) on 1 June last year:
    NORR paid 2 packs of sets in March, SODR 1 pack in September."""
    north = f.make_clinic("NORR", cost_centre="KS-100")
    south = f.make_clinic("SODR", cost_centre="KS-200")
    sets = f.make_article("S1", category="infusion_set", pack_size=10,
                          pack_price_sek=Decimal("1000.00"))  # fmt: skip
    patient = f.make_patient(north)
    at_north = f.make_prescription(patient, sets, clinic=north,
                                   valid_from=date(LAST_YEAR, 1, 1))  # fmt: skip
    f.make_delivery(patient, at_north, date(LAST_YEAR, 3, 15), packs=2)
    move_clinic(patient, south, date(LAST_YEAR, 6, 1))
    at_south = f.make_prescription(patient, sets, clinic=south,
                                   valid_from=date(LAST_YEAR, 6, 1))  # fmt: skip
    f.make_delivery(patient, at_south, date(LAST_YEAR, 9, 15), packs=1)
    run_year(LAST_YEAR, full=True)
    return {
        "patient": patient,
        "north": f.make_user("prescriber", clinics=[north]),
        "south": f.make_user("prescriber", clinics=[south]),
    }


def test_a_moved_patient_shows_only_the_own_clinics_share(client, auth, mover):
    patient = mover["patient"]
    whole = db.session.scalar(
        sa.select(PatientYearCost.total_cost_sek).where(
            PatientYearCost.patient_id == patient.id
        )
    )
    assert whole == Decimal("3000.00")  # both clinics' lines

    auth.login(mover["south"].username)
    page = client.get(f"/patients/{patient.id}/overview").text

    assert cost_rows(page)[str(LAST_YEAR)][-3:] == ["0,00", "1\u00a0000,00",
                                                   "1\u00a0000,00"]  # fmt: skip
    assert "3\u00a0000,00" not in page and "2\u00a0000,00" not in page


def test_the_old_clinic_no_longer_opens_a_moved_patient(client, auth, mover):
    auth.login(mover["north"].username)
    assert client.get(f"/patients/{mover['patient'].id}/overview").status_code == 404


def test_a_year_whose_payers_are_not_stored_shows_no_share(client, auth, mover):
    """Costs computed before the run stored who paid them: the clinic's share
    is not known until the next run, and the page says so."""
    db.session.execute(sa.delete(PatientYearPayer))
    db.session.commit()
    auth.login(mover["south"].username)
    page = client.get(f"/patients/{mover['patient'].id}/overview").text

    said = " ".join(cost_rows(page)[str(LAST_YEAR)])
    assert "inte sparad" in said and "varje natt" in said
    assert "3\u00a0000,00" not in page and "0,00" not in said


def test_a_clinic_that_paid_nothing_of_the_year_says_so(client, auth, mover):
    """The year the patient came to SODR, NORR paid everything before the
    move; had SODR paid nothing, it says so in words."""
    db.session.execute(
        sa.delete(PatientYearPayer).where(PatientYearPayer.cost_centre == "KS-200")
    )
    db.session.commit()
    auth.login(mover["south"].username)
    page = client.get(f"/patients/{mover['patient'].id}/overview").text

    said = " ".join(cost_rows(page)[str(LAST_YEAR)])
    assert "har inte betalat något" in said
    assert "2\u00a0000,00" not in page and "0,00" not in said


# The service: the access check goes with the figures -----------------------------


@pytest.mark.parametrize("role", ["manager", "region", "depot", "admin", "patient"])
def test_only_prescribers_read_a_patients_costs_this_way(pump_patient, role):
    clinic = pump_patient["prescriber"].clinics[0]
    patient = pump_patient["patient"]
    user = f.make_user(role, clinics=[clinic] if role == "manager" else [],
                       patients=[patient] if role == "patient" else [])  # fmt: skip
    with pytest.raises(Forbidden):
        own_clinic_costs.patient_costs(user, patient.id)


def test_a_prescriber_of_another_clinic_gets_no_costs(pump_patient):
    with pytest.raises(NotVisible):
        own_clinic_costs.patient_costs(
            pump_patient["stranger"], pump_patient["patient"].id
        )


def test_costs_read_outside_a_read_of_the_patient_are_audited(pump_patient):
    patient = pump_patient["patient"]
    before = db.session.scalar(sa.select(sa.func.max(AuditEvent.id))) or 0
    found = own_clinic_costs.patient_costs(pump_patient["prescriber"], patient.id)
    db.session.commit()

    assert [y.state for y in found.years] == ["figures", "not_stored"]
    rows = db.session.execute(
        sa.select(AuditEvent.action, AuditEvent.object_type, AuditEvent.detail).where(
            AuditEvent.id > before
        )
    ).all()
    assert rows == [("read", "patient", "costs")]
