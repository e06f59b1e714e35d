"""The NDR register file names a manager's patients as the drill-down does.

A patient who moved from NORR to SODR in June 2025 is in NORR's 2025 costs (NORR
paid part of them), but NORR's care relationship has ended: NORR's manager no
longer sees them in the drill-down, and the register file must not hand out
their personnummer either.
"""

from __future__ import annotations

import sqlalchemy as sa

from sesamlike.accounts.models import Clinic
from sesamlike.extensions import db
from sesamlike.patients.identity import format_personal_id
from sesamlike.patients.models import Patient
from tests import factories as f
from tests.integration.test_followup_truth import june_mover


def _clinic(code: str) -> Clinic:
    return db.session.scalar(sa.select(Clinic).where(Clinic.code == code))


def test_register_file_leaves_out_a_patient_no_longer_in_the_managers_care(
    client, auth
):
    june_mover()
    patient = db.session.scalar(sa.select(Patient))
    number = format_personal_id(patient.personal_id)
    north = f.make_user("manager", clinics=[_clinic("NORR")])
    south = f.make_user("manager", clinics=[_clinic("SODR")])

    auth.login(north.username)
    drill = client.get("/followup/patients?year=2025").get_data(as_text=True)
    assert number not in drill  # the drill-down hides the patient who moved
    register = client.get("/followup/register.csv?year=2025")
    assert register.status_code == 200
    assert number not in register.get_data(as_text=True)
    machine = client.get("/followup/register.csv?year=2025&format=csv-comma")
    assert patient.personal_id not in machine.get_data(as_text=True)
    auth.logout()

    auth.login(south.username)  # the clinic that cares for them now still does
    register = client.get("/followup/register.csv?year=2025")
    assert number in register.get_data(as_text=True)
