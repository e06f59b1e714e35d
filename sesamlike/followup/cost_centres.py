"""Who paid: each line's cost centre, the sums per cost centre, and the patients
whose costs a clinic's cost centre paid any part of.

A line is paid by its prescription's cost centre and clinic; a line without a
prescription (imported history) by the clinic stored on it when imported (the
patient's clinic then). A patient who moves clinic leaves the old clinic's
costs where they fell. Computed from the lines when asked (a report's query,
not the nightly run's): a prescription's cost centre is then never stale.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from sesamlike.accounts.models import Clinic
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.followup.amounts import Amounts
from sesamlike.followup.compute import in_year, line_costs, line_parts, on_postgresql
from sesamlike.followup.scope import Scope
from sesamlike.followup.sqlfuncs import in_ids, money, round_ore
from sesamlike.orders.models import Order, OrderLine
from sesamlike.patients.models import Patient
from sesamlike.prescriptions.models import Prescription

ol = OrderLine.__table__
prescriptions = Prescription.__table__


@dataclass(frozen=True)
class CostCentreSum:
    cost_centre: str | None
    clinic_code: str | None
    patients: int
    units: int
    device_cost_sek: Decimal
    consumables_cost_sek: Decimal
    vat_sek: Decimal

    @property
    def total_cost_sek(self) -> Decimal:
        return self.device_cost_sek + self.consumables_cost_sek


def paid_lines(year: int, today: date | None = None,
               clinic_ids: list[int] | None = None) -> sa.Select:  # fmt: skip
    """Every line with a part in the year: patient, payer (cost centre and
    clinic), units, and its device, consumable and VAT parts in kronor
    (unrounded). With `clinic_ids`, only the lines those clinics paid."""
    amounts = Amounts.for_session()
    patients = None if clinic_ids is None else _patients_paid_by(clinic_ids)
    lines = line_costs(year, patients, amounts=amounts, articles=True,
                       today=today).subquery("costed")  # fmt: skip
    device, consumables = line_parts(lines, year, amounts)
    device = amounts.line_sek(device, device=True)
    consumables = amounts.line_sek(consumables, device=False)
    paid = ol.alias("paid_line")
    vat_rate = money(paid.c.vat_rate)
    vat = sa.case(
        (paid.c.channel == "pharmacy", consumables * vat_rate / (1 + vat_rate)),
    )
    payer = sa.func.coalesce(prescriptions.c.clinic_id, paid.c.cost_clinic_id)
    where = [in_year(lines, year)]
    if clinic_ids is not None:
        where.append(payer.in_(clinic_ids))
    return (
        sa.select(
            lines.c.patient_id,
            sa.func.coalesce(prescriptions.c.cost_centre, paid.c.cost_centre).label(
                "cost_centre"
            ),
            payer.label("clinic_id"),
            lines.c.units,
            device.label("device"),
            consumables.label("consumables"),
            vat.label("vat"),
        )
        .join(paid, paid.c.id == lines.c.line_id)
        .outerjoin(prescriptions, prescriptions.c.id == paid.c.prescription_id)
        .where(*where)
    )


def _patients_paid_by(clinic_ids: list[int]) -> sa.Select:
    """Patients with a prescription of these clinics or a line they pay: the
    only ones whose lines need reading."""
    ordered = sa.select(Order.patient_id).join(ol, ol.c.order_id == Order.id)
    return sa.union(
        sa.select(prescriptions.c.patient_id).where(
            prescriptions.c.clinic_id.in_(clinic_ids)
        ),
        ordered.where(ol.c.cost_clinic_id.in_(clinic_ids)),
    )


def cost_centre_sums(
    scope: Scope, year: int, today: date | None = None
) -> list[CostCentreSum]:
    """Per cost centre and paying clinic in scope: patients, units, and the
    device, consumable and VAT amounts, each rounded half up after summing."""
    lines = paid_lines(year, today, scope.clinic_ids()).subquery("paid")
    query = (
        sa.select(
            lines.c.cost_centre,
            Clinic.code,
            sa.func.count(sa.distinct(lines.c.patient_id)),
            sa.func.coalesce(sa.func.sum(lines.c.units), 0),
            round_ore(sa.func.coalesce(sa.func.sum(lines.c.device), 0)),
            round_ore(sa.func.coalesce(sa.func.sum(lines.c.consumables), 0)),
            round_ore(sa.func.coalesce(sa.func.sum(lines.c.vat), 0)),
        )
        .outerjoin(Clinic, Clinic.id == lines.c.clinic_id)
        .group_by(lines.c.cost_centre, Clinic.code)
        .order_by(lines.c.cost_centre, Clinic.code)
    )
    rows = db.session.execute(query).all()
    return [
        CostCentreSum(
            centre,
            code,
            patients,
            int(units),
            _ore(device),
            _ore(consumables),
            _ore(vat),
        )  # fmt: skip
        for centre, code, patients, units, device, consumables, vat in rows
    ]


def paying_patient_ids(scope: Scope, year: int,
                       today: date | None = None) -> sa.Select | None:  # fmt: skip
    """The patients whose costs of the year a clinic in scope paid any part
    of (a subquery); None for the whole region. Device days of the current
    year up to `today` (the region's today by default)."""
    clinic_ids = scope.clinic_ids()
    if clinic_ids is None:
        return None
    lines = paid_lines(year, today or region_today(), clinic_ids).subquery("paid")
    return sa.select(lines.c.patient_id)


def paid_where(scope: Scope, year: int, column: sa.ColumnElement[int],
               today: date | None = None) -> sa.ColumnElement[bool]:  # fmt: skip
    """`column` (a patient id) is one of `paying_patient_ids`: the follow-up's
    one rule for a clinic's patients in a year, for the API, pages and exports.
    The patients are read once per scope and year: a page asks several times."""
    if scope.clinic_ids() is None:
        return sa.true()
    day = today or region_today()
    key = ("paying", year, day)
    if key not in scope.memo:
        paying = paying_patient_ids(scope, year, day).subquery("paying")
        scope.memo[key] = sorted(
            db.session.scalars(sa.select(paying.c.patient_id).distinct())
        )
    return in_ids(column, scope.memo[key], postgresql=on_postgresql())


def paid_patients(scope: Scope, year: int,
                  today: date | None = None) -> sa.Select | None:  # fmt: skip
    """`paid_where` as a subquery of patient ids, for `compute.line_costs`;
    None for the whole region."""
    if scope.clinic_ids() is None:
        return None
    return sa.select(Patient.id).where(paid_where(scope, year, Patient.id, today))


def _ore(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))
