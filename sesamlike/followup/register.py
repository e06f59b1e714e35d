"""The national diabetes register (NDR) export: pump and CGM model per patient-year.

CSV columns: personal_id, year, diabetes_type, age_group, pump_model, cgm_model.
The models are the pump and CGM systems the cost rules attribute to the patient
for the year (empty when none); the age group is the one on 31 December. Every
patient written gets an audit row.
"""

from __future__ import annotations

import csv
from datetime import date
from typing import TextIO

import sqlalchemy as sa

from sesamlike.accounts.models import User
from sesamlike.extensions import db
from sesamlike.followup import audited
from sesamlike.followup.models import PatientYearCost
from sesamlike.followup.scope import Scope
from sesamlike.patients.identity import age_group
from sesamlike.patients.models import Patient

COLUMNS = ("personal_id", "year", "diabetes_type", "age_group", "pump_model",
           "cgm_model")  # fmt: skip


def register_rows(year: int, scope: Scope | None = None):
    query = (
        sa.select(
            Patient.id,
            Patient.personal_id,
            Patient.diabetes_type,
            Patient.birth_date,
            PatientYearCost.pump_system,
            PatientYearCost.cgm_system,
        )
        .join(PatientYearCost, PatientYearCost.patient_id == Patient.id)
        .where(PatientYearCost.year == year)
        .order_by(Patient.personal_id)
    )
    if scope is not None:
        query = query.where(scope.where(Patient.id))
    return db.session.execute(query)


def write_register_csv(
    out: TextIO, year: int, *, user: User | None, scope: Scope | None = None
) -> int:
    """Write the year's register rows; audit each patient; commit. Return count."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    end = date(year, 12, 31)
    ids = []
    for row in register_rows(year, scope):
        group = age_group(row.birth_date, end).value if row.birth_date else ""
        writer.writerow(
            (row.personal_id, year, row.diabetes_type, group,
             row.pump_system or "", row.cgm_system or "")
        )  # fmt: skip
        ids.append(row.id)
    audited.record_many("export", "register", ids, user=user,
                        detail=f"NDR export {year}")  # fmt: skip
    db.session.commit()
    return len(ids)
