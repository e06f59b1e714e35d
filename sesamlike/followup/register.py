"""The national diabetes register (NDR) export: pump and CGM model per patient-year.

For people (the default) a Swedish spreadsheet CSV: Personnummer (ÅÅÅÅMMDD-NNNN),
År, Diabetestyp, Åldersgrupp, Pumpmodell, CGM-modell, in words. For a machine
(`csv-comma`) the earlier file: UTF-8, commas, columns personal_id, year,
diabetes_type, age_group, pump_model, cgm_model with the stored codes. The models
are the pump and CGM systems the cost rules attribute to the patient for the year
(empty when none); the age group is the one on 31 December. Every patient written
gets an audit row. The region's copy names each patient by pseudonym (Patientnyckel,
or patient_key for a machine) instead of personnummer: the region analyst sees no
identity numbers. A manager's copy holds the patients the drill-down shows: those
in the scope's costs who are still in the care of one of the manager's clinics.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from sesamlike.accounts.models import User
from sesamlike.common.i18n import _
from sesamlike.common.spreadsheets import MACHINE, SWEDISH, Dialect, csv_bytes
from sesamlike.extensions import db
from sesamlike.followup import audited
from sesamlike.followup.cost_centres import clinics_read_for
from sesamlike.followup.followed import patient_years
from sesamlike.followup.models import PatientYearCost
from sesamlike.followup.scope import Scope
from sesamlike.patients.identity import (
    age_group,
    age_group_label,
    format_personal_id,
)
from sesamlike.patients.models import Patient
from sesamlike.patients.pseudonym import pseudonym

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
        query = query.where(patient_years(scope, year))
    return db.session.execute(query)


def register_file(
    year: int,
    *,
    user: User | None,
    scope: Scope | None = None,
    dialect: Dialect = SWEDISH,
) -> tuple[bytes, int]:
    """The year's register CSV and its patients; audit each patient; commit."""
    end = date(year, 12, 31)
    words = dialect is not MACHINE
    pseudonymised = scope is not None and scope.pseudonymised
    columns = ("patient_key", *COLUMNS[1:]) if pseudonymised else COLUMNS
    if words:
        who = _("Patientnyckel") if pseudonymised else _("Personnummer")
        headers = [who, _("År"), _("Diabetestyp"), _("Åldersgrupp"),
                   _("Pumpmodell"), _("CGM-modell")]  # fmt: skip
        types = {"type1": _("Typ 1-diabetes"), "type2": _("Typ 2-diabetes"),
                 "other": _("Annan diabetes")}  # fmt: skip
    ids, rows = [], []
    for row in register_rows(year, scope):
        group = age_group(row.birth_date, end).value if row.birth_date else ""
        if pseudonymised:
            key = pseudonym(row.id)
        else:
            key = format_personal_id(row.personal_id) if words else row.personal_id
        if words:
            rows.append((key, year,
                         types.get(row.diabetes_type, row.diabetes_type),
                         age_group_label(group) if group else "",
                         row.pump_system or "",
                         row.cgm_system or ""))  # fmt: skip
        else:
            rows.append((key, year, row.diabetes_type, group,
                         row.pump_system or "", row.cgm_system or ""))  # fmt: skip
        ids.append(row.id)
    read_for = {} if scope is None else clinics_read_for(scope, year, ids)
    audited.record_many("export", "register", ids, user=user,
                        detail=f"NDR export {year}",
                        clinic_codes=read_for)  # fmt: skip
    db.session.commit()
    return csv_bytes(headers if words else columns, rows, dialect), len(ids)
