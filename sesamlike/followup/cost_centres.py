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
from sesamlike.extensions import db
from sesamlike.followup.amounts import Amounts
from sesamlike.followup.compute import in_year, line_costs, line_parts
from sesamlike.followup.scope import Scope
from sesamlike.followup.sqlfuncs import money, round_ore
from sesamlike.orders.models import OrderLine
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


def paid_lines(year: int, today: date | None = None) -> sa.Select:
    """Every line with a part in the year: patient, payer (cost centre and
    clinic), units, and its device, consumable and VAT parts in kronor
    (unrounded)."""
    amounts = Amounts.for_session()
    lines = line_costs(year, amounts=amounts, articles=True,
                       today=today).subquery("costed")  # fmt: skip
    device, consumables = line_parts(lines, year, amounts)
    device = amounts.line_sek(device, device=True)
    consumables = amounts.line_sek(consumables, device=False)
    paid = ol.alias("paid_line")
    vat_rate = money(paid.c.vat_rate)
    vat = sa.case(
        (paid.c.channel == "pharmacy", consumables * vat_rate / (1 + vat_rate)),
    )
    return (
        sa.select(
            lines.c.patient_id,
            sa.func.coalesce(prescriptions.c.cost_centre, paid.c.cost_centre).label(
                "cost_centre"
            ),
            sa.func.coalesce(prescriptions.c.clinic_id, paid.c.cost_clinic_id).label(
                "clinic_id"
            ),
            lines.c.units,
            device.label("device"),
            consumables.label("consumables"),
            vat.label("vat"),
        )
        .join(paid, paid.c.id == lines.c.line_id)
        .outerjoin(prescriptions, prescriptions.c.id == paid.c.prescription_id)
        .where(in_year(lines, year))
    )


def cost_centre_sums(
    scope: Scope, year: int, today: date | None = None
) -> list[CostCentreSum]:
    """Per cost centre and paying clinic in scope: patients, units, and the
    device, consumable and VAT amounts, each rounded half up after summing."""
    lines = paid_lines(year, today).subquery("paid")
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
        .where(scope.clinic_where(lines.c.clinic_id))
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
    of (a subquery); None for the whole region."""
    if scope.clinic_ids() is None:
        return None
    lines = paid_lines(year, today).subquery("paid")
    return sa.select(lines.c.patient_id).where(scope.clinic_where(lines.c.clinic_id))


def _ore(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))
