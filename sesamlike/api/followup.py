"""Follow-up: GET /followup/patient-costs, /followup/system-costs and
/followup/cost-centres.

Managers get their own clinics (all of them, or the one named by clinic_code);
a clinic_code that is not theirs answers 404, exactly like an unknown one, so
codes cannot be probed. The region role gets every clinic or one. Other roles:
403. Statistics are over total_cost_sek; percentiles by linear interpolation
between closest ranks (numpy's default; see followup.stats). A clinic_code
selects the patients whose costs that clinic's cost centre paid any part of in
the year (followup.cost_centres). patient-costs lists the patients the
drill-down pages list (followup.followed): a manager's, only those still in the
care of one of their clinics; system-costs and cost-centres count every paying
patient, as the report does.
"""

from __future__ import annotations

import sqlalchemy as sa
from marshmallow import Schema, fields, validate

from sesamlike.accounts.models import Role
from sesamlike.api.routing import operation
from sesamlike.common.i18n import N_
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.followup import cost_centres, drilldown, periods
from sesamlike.followup.models import PatientYearCost
from sesamlike.followup.patient_costs import year_list
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


def counted_to_field() -> fields.Date:
    return fields.Date(
        allow_none=True,
        metadata={
            "description": "The last day the year's figures count: 31 December "
            "of a past year; in the current year the region's today (the cost "
            "rules count it up to today, so it is part of a year); null for a "
            "year not begun"
        },
    )


def _answer(year: int, **rows) -> dict:
    """`year`, `counted_to` and the rows."""
    return {"year": year, "counted_to": periods.counted_to(year, periods.figures_day()),
            **rows}  # fmt: skip


class PatientCostSchema(Schema):
    patient_id = fields.Integer(
        allow_none=True,
        metadata={"description": "The patient's id; null for the region role"},
    )
    patient_key = fields.String(
        metadata={
            "description": "Region role only: the patient's stable pseudonym "
            "(as in the drill-down and the register export)"
        },
    )
    pump_system = fields.String(allow_none=True)
    cgm_system = fields.String(allow_none=True)
    device_cost_sek = fields.Float()
    consumables_cost_sek = fields.Float()
    total_cost_sek = fields.Float()
    pump_part_sek = fields.Float(
        allow_none=True,
        metadata={"description": "Pump, infusion sets, reservoirs, pods, batteries"},
    )
    cgm_part_sek = fields.Float(
        allow_none=True, metadata={"description": "CGM readers, transmitters, sensors"}
    )


class PatientCostsSchema(Schema):
    year = fields.Integer()
    counted_to = counted_to_field()
    patients = fields.List(fields.Nested(PatientCostSchema))
    patients_not_listed = fields.Integer(
        metadata={
            "description": "Patients the clinic paid part of the year for who "
            "are no longer in its care: counted in system-costs and "
            "cost-centres, not listed here (0 for the region role)"
        }
    )


class SystemCostSchema(Schema):
    system = fields.String()
    kind = fields.String(metadata={"description": "pump or cgm"})
    patients = fields.Integer()
    mean_sek = fields.Float()
    median_sek = fields.Float()
    p10_sek = fields.Float()
    p25_sek = fields.Float(metadata={"description": "Lower quartile"})
    p75_sek = fields.Float(metadata={"description": "Upper quartile"})
    p90_sek = fields.Float()
    system_mean_sek = fields.Float(
        metadata={"description": "Mean of the pump part (pump rows) or CGM part"}
    )
    system_median_sek = fields.Float(
        metadata={"description": "Median of the pump part (pump rows) or CGM part"}
    )


class SystemCostsSchema(Schema):
    year = fields.Integer()
    counted_to = counted_to_field()
    systems = fields.List(fields.Nested(SystemCostSchema))


@operation("GET", "/followup/patient-costs", query=CostQuerySchema,
           response=PatientCostsSchema, roles=ROLES, tag="followup",
           summary="Annual cost per patient", errors=(404,))  # fmt: skip
def patient_costs(user, query):
    """Each patient's device, consumables and total cost for the year, with the
    pump and CGM system the cost rules attribute to them (null when none).

    The patients of the drill-down pages: for a manager, those still in the care
    of one of your clinics (an ended care relationship leaves the patient out,
    though the clinic paid part of the year; patients_not_listed counts them, so
    the rows' sum can be set against system-costs and cost-centres). One audit
    row per patient listed.
    The region role gets each patient's pseudonym in patient_key and null in
    patient_id. A clinic_code that is not yours: 404.
    """
    scope = resolve(user, query["clinic_code"])
    year = query["year"]
    rows = year_list(scope, year, detail=f"API patient-costs {year}")
    _listed, not_listed = drilldown.counts(scope, year, drilldown.Filters())
    return _answer(year, patients=rows, patients_not_listed=not_listed)


@operation("GET", "/followup/system-costs", query=CostQuerySchema,
           response=SystemCostsSchema, roles=ROLES, tag="followup",
           summary="Annual cost statistics per pump and CGM system",
           errors=(404,))  # fmt: skip
def system_costs(user, query):
    """Per pump system (kind pump) and per CGM system (kind cgm): patients and
    mean, median, p10, the quartiles (p25, p75) and p90 of their
    total_cost_sek that year.

    Percentiles interpolate linearly between the closest ranks. Patients without
    a system count for neither kind. A clinic_code that is not yours: 404.
    """
    scope = resolve(user, query["clinic_code"])
    year = query["year"]
    paid = cost_centres.paid_where(scope, year, PatientYearCost.patient_id,
                                   region_today())  # fmt: skip
    rows = db.session.execute(
        sa.select(PatientYearCost.pump_system, PatientYearCost.cgm_system,
                  PatientYearCost.total_cost_sek, PatientYearCost.pump_part_sek,
                  PatientYearCost.cgm_part_sek)
        .where(PatientYearCost.year == year, paid)
    ).all()  # fmt: skip
    systems = []
    kinds = (("pump", "pump_system", "pump_part_sek"),
             ("cgm", "cgm_system", "cgm_part_sek"))  # fmt: skip
    for kind, column, part in kinds:
        mine = [r for r in rows if getattr(r, column)]
        totals = grouped((getattr(r, column), r.total_cost_sek) for r in mine)
        parts = grouped((getattr(r, column), getattr(r, part) or 0) for r in mine)
        for name, s in totals.items():
            own = parts[name]
            systems.append(dict(system=name, kind=kind, patients=s.patients,
                                mean_sek=s.mean, median_sek=s.median,
                                p10_sek=s.p10, p25_sek=s.p25, p75_sek=s.p75,
                                p90_sek=s.p90,
                                system_mean_sek=own.mean,
                                system_median_sek=own.median))  # fmt: skip
    return _answer(year, systems=systems)


class CostCentreSchema(Schema):
    cost_centre = fields.String(allow_none=True)
    clinic_code = fields.String(allow_none=True)
    patients = fields.Integer()
    units = fields.Integer(metadata={"description": "Units delivered and kept"})
    device_cost_sek = fields.Float()
    consumables_cost_sek = fields.Float()
    vat_sek = fields.Float(metadata={"description": "VAT paid through pharmacies"})
    total_cost_sek = fields.Float()


class CostCentresSchema(Schema):
    year = fields.Integer()
    counted_to = counted_to_field()
    cost_centres = fields.List(fields.Nested(CostCentreSchema))


@operation("GET", "/followup/cost-centres", query=CostQuerySchema,
           response=CostCentresSchema, roles=ROLES, tag="followup",
           summary="Annual cost and volume per paying cost centre",
           errors=(404,))  # fmt: skip
def cost_centre_costs(user, query):
    """Per cost centre and paying clinic: the patients whose lines it paid, the
    units, and the device, consumable and VAT amounts of those lines that year.

    A line is paid by its prescription's cost centre (imported history: the
    patient's clinic when imported). Aggregates only: no audit row per patient.
    A clinic_code that is not yours: 404.
    """
    scope = resolve(user, query["clinic_code"])
    sums = cost_centres.cost_centre_sums(scope, query["year"], region_today())
    return _answer(query["year"], cost_centres=sums)
