"""One patient's annual costs and the order lines behind them (audited)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.followup import rules
from sesamlike.followup.lines import load_cost_lines
from sesamlike.followup.models import PatientYearCost
from sesamlike.followup.scope import Scope
from sesamlike.patients import access
from sesamlike.patients.models import Patient


@dataclass(frozen=True)
class LineCost:
    line: rules.CostLine
    days: int
    cost: Decimal


@dataclass(frozen=True)
class PatientCosts:
    patient: Patient
    years: list[PatientYearCost]
    lines: list[LineCost]  # lines with a cost in the chosen year
    reference: rules.YearCost | None  # the rules applied to today's lines


def detail(scope: Scope, patient_id: int, year: int) -> PatientCosts:
    """Load a patient visible to the user (NotVisible otherwise); audit; commit."""
    patient = access.followup_patient(
        scope.user, patient_id, detail=f"follow-up {year}"
    )
    years = list(
        db.session.scalars(
            sa.select(PatientYearCost)
            .where(PatientYearCost.patient_id == patient.id)
            .order_by(PatientYearCost.year.desc())
        )
    )
    all_lines = load_cost_lines([patient.id])
    today = region_today()
    lines = []
    for line in rules.continue_warranties(all_lines):
        cost = rules.line_cost(line, year, today)
        days = line.days_in_year(year, today) if line.durable else 0
        if cost or days:
            lines.append(LineCost(line, days, rules.round_half_up(cost)))
    db.session.commit()  # the audit row
    reference = rules.patient_year_cost(all_lines, year, today)
    return PatientCosts(patient, years, lines, reference)
