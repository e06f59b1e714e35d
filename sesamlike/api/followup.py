"""Follow-up: GET /followup/patient-costs and GET /followup/system-costs.

Managers get their own clinics (all of them, or the one named by clinic_code);
a clinic_code that is not theirs answers 404, exactly like an unknown one, so
codes cannot be probed. The region role gets every clinic or one. Other roles:
403. Statistics are over total_cost_sek; percentiles by linear interpolation
between closest ranks (numpy's default; see followup.stats).
"""

from __future__ import annotations

import sqlalchemy as sa
from marshmallow import Schema, fields, validate

from sesamlike.accounts.models import Role
from sesamlike.api.routing import operation
from sesamlike.common.i18n import N_
from sesamlike.extensions import db
from sesamlike.followup import audited, report
from sesamlike.followup.models import PatientYearCost
from sesamlike.followup.scope import resolve
from sesamlike.followup.stats import grouped

ROLES = (Role.MANAGER, Role.REGION)
REQUIRED = {"required": N_("Obligatoriskt."), "null": N_("Obligatoriskt.")}


class CostQuerySchema(Schema):
    error_messages = {"unknown": N_("Okänt fält.")}

    year = fields.Integer(
        required=True,
        validate=validate.Range(min=2000, max=2100, error=N_("Ange ett år 2000–2100.")),
        error_messages={**REQUIRED, "invalid": N_("Ange ett heltal.")},
    )
    clinic_code = fields.String(
        load_default=None,
        metadata={"description": "One clinic; default: every clinic you follow up"},
    )


class PatientCostSchema(Schema):
    patient_id = fields.Integer()
    pump_system = fields.String(allow_none=True)
    cgm_system = fields.String(allow_none=True)
    device_cost_sek = fields.Float()
    consumables_cost_sek = fields.Float()
    total_cost_sek = fields.Float()


class PatientCostsSchema(Schema):
    year = fields.Integer()
    patients = fields.List(fields.Nested(PatientCostSchema))


class SystemCostSchema(Schema):
    system = fields.String()
    kind = fields.String(metadata={"description": "pump or cgm"})
    patients = fields.Integer()
    mean_sek = fields.Float()
    median_sek = fields.Float()
    p10_sek = fields.Float()
    p90_sek = fields.Float()


class SystemCostsSchema(Schema):
    year = fields.Integer()
    systems = fields.List(fields.Nested(SystemCostSchema))


@operation("GET", "/followup/patient-costs", query=CostQuerySchema,
           response=PatientCostsSchema, roles=ROLES, tag="followup",
           summary="Annual cost per patient", errors=(404,))  # fmt: skip
def patient_costs(user, query):
    """Each patient's device, consumables and total cost for the year, with the
    pump and CGM system the cost rules attribute to them (null when none).

    One audit row per patient listed. A clinic_code that is not yours: 404.
    """
    scope = resolve(user, query["clinic_code"])
    statement = (
        sa.select(PatientYearCost)
        .where(
            PatientYearCost.year == query["year"],
            scope.where(PatientYearCost.patient_id),
        )
        .order_by(PatientYearCost.patient_id)
    )
    rows = db.session.scalars(statement).all()
    detail = f"API patient-costs {query['year']}"
    ids = [row.patient_id for row in rows]
    audited.record_many("read", "patient_year_cost", ids, user=user, detail=detail)
    return {"year": query["year"], "patients": rows}


@operation("GET", "/followup/system-costs", query=CostQuerySchema,
           response=SystemCostsSchema, roles=ROLES, tag="followup",
           summary="Annual cost statistics per pump and CGM system",
           errors=(404,))  # fmt: skip
def system_costs(user, query):
    """Per pump system (kind pump) and per CGM system (kind cgm): patients and
    mean, median, p10 and p90 of their total_cost_sek that year.

    Percentiles interpolate linearly between the closest ranks. Patients without
    a system count for neither kind. A clinic_code that is not yours: 404.
    """
    scope = resolve(user, query["clinic_code"])
    rows = report.cost_rows(scope, query["year"])
    systems = []
    for kind, column in (("pump", "pump_system"), ("cgm", "cgm_system")):
        pairs = ((getattr(r, column), r.total_cost_sek) for r in rows)
        for name, s in grouped((k, v) for k, v in pairs if k).items():
            systems.append(dict(system=name, kind=kind, patients=s.patients,
                                mean_sek=s.mean, median_sek=s.median,
                                p10_sek=s.p10, p90_sek=s.p90))  # fmt: skip
    return {"year": query["year"], "systems": systems}
