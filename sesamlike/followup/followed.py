"""The patients a follow-up scope lists one by one in a year: one rule for the
drill-down pages, their exports, the register export and the API.

A patient-year is listed when the scope's cost centres paid part of that year's
costs (`cost_centres.paid_where`: a patient who moved stays in the old clinic's
earlier years) and the user may see the patient now
(`access.visible_patient_id`): a manager, only patients still in the care of
one of their clinics (need to know); the region, everyone, pseudonymised.
Aggregates (the report, system and cost-centre figures) count every patient
the scope paid for, identity or not.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from sesamlike.followup.cost_centres import paid_where
from sesamlike.followup.models import PatientYearCost
from sesamlike.followup.scope import Scope
from sesamlike.patients.access import visible_patient_id


def patient_years(
    scope: Scope, year: int, today: date | None = None
) -> sa.ColumnElement[bool]:
    """A WHERE clause on PatientYearCost: the scope's listed patients' `year`."""
    return sa.and_(paid_years(scope, year, today), visible_years(scope))


def visible_years(scope: Scope) -> sa.ColumnElement[bool]:
    """Whether the user may see a PatientYearCost row's patient now: of the
    `paid_years`, those not visible are in the scope's figures but not in its
    lists (a manager's: no longer in the care of one of their clinics)."""
    return visible_patient_id(scope.user, PatientYearCost.patient_id)


def paid_years(
    scope: Scope, year: int, today: date | None = None
) -> sa.ColumnElement[bool]:
    """The patient-years of `year` that the scope paid part of."""
    return sa.and_(
        PatientYearCost.year == year,
        paid_where(scope, year, PatientYearCost.patient_id, today),
    )
