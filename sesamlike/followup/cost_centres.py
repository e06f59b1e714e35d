"""Who paid: each line's cost centre, the sums per cost centre, and the patients
whose costs a clinic's cost centre paid any part of.

A line is paid by its prescription's cost centre and clinic; a line without a
prescription (imported history) by the clinic stored on it when imported (the
patient's clinic then). A patient who moves clinic leaves the old clinic's
costs where they fell.

`followup run` stores it per patient, paying clinic and cost centre
(`patient_year_payers`, `store_payers`) with the patient's costs, from the same
lines; the reports read that table (a clinic's patients: an EXISTS on its
index). A prescription's clinic and cost centre are never changed once written,
so what is stored goes stale only as the costs do, until the next run. A year
with no stored payers (computed before they were stored, or never) is worked
out from the lines when asked, as before.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from sesamlike.accounts.models import Clinic, Role
from sesamlike.common.sql import in_ids
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.followup.amounts import Amounts
from sesamlike.followup.compute import (
    costs_something,
    in_year,
    line_costs,
    line_groups,
    line_parts,
    on_postgresql,
    who_pays,
    year_units,
)
from sesamlike.followup.models import PatientYearCost, PatientYearPayer
from sesamlike.followup.scope import Scope
from sesamlike.followup.sqlfuncs import in_few, money, round_ore
from sesamlike.orders.models import OrderLine
from sesamlike.patients import access
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


payers = PatientYearPayer.__table__


def paid_lines(year: int, today: date | None = None,
               clinic_ids: list[int] | None = None, *,
               elsewhere: bool = False) -> sa.Select:  # fmt: skip
    """Every line with a part in the year: patient, payer (cost centre and
    clinic), units, and its device, consumable and VAT parts in kronor
    (unrounded). With `clinic_ids`, only the lines those clinics paid; and
    `elsewhere`, only those other clinics (or none) paid, of the patients
    those clinics paid some line of."""
    amounts = Amounts.for_session()
    patients = None if clinic_ids is None else _patients_paid_by(clinic_ids)
    lines = line_costs(year, patients, amounts=amounts, articles=True, payer=True,
                       today=today).subquery("costed")  # fmt: skip
    device, consumables = line_parts(lines, year, amounts)
    device = amounts.line_sek(device, device=True)
    consumables = amounts.line_sek(consumables, device=False)
    vat_rate = money(lines.c.vat_rate)
    vat = sa.case(
        (lines.c.channel == "pharmacy", consumables * vat_rate / (1 + vat_rate)),
    )
    payer, centre = who_pays(lines)
    where = [in_year(lines, year)]
    if clinic_ids is not None and elsewhere:
        where.append(sa.or_(payer.is_(None), payer.not_in(clinic_ids)))
    elif clinic_ids is not None:
        where.append(payer.in_(clinic_ids))
    return (
        sa.select(
            lines.c.patient_id,
            centre.label("cost_centre"),
            payer.label("clinic_id"),
            year_units(lines, year).label("units"),
            device.label("device"),
            consumables.label("consumables"),
            vat.label("vat"),
        )
        .select_from(lines)
        .outerjoin(prescriptions, prescriptions.c.id == lines.c.prescription_id)
        .where(*where)
    )


def _patients_paid_by(clinic_ids: list[int]) -> sa.Select:
    """Patients with a prescription of these clinics or a line they pay: the
    only ones whose lines need reading."""
    return sa.union(
        sa.select(prescriptions.c.patient_id).where(
            prescriptions.c.clinic_id.in_(clinic_ids)
        ),
        sa.select(ol.c.patient_id).where(ol.c.cost_clinic_id.in_(clinic_ids)),
    )


def cost_centre_sums(
    scope: Scope, year: int, today: date | None = None
) -> list[CostCentreSum]:
    """Per cost centre and paying clinic in scope: patients, units, and the
    device, consumable and VAT amounts, each rounded half up after summing.
    From the stored payers when the year has them (then as of the run: `today`
    is the run's), else from the lines."""
    if stored_payers(scope, year):
        return _stored_cost_centre_sums(scope, year)
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
    return _sums(db.session.execute(query))


def paid_elsewhere(scope: Scope, year: int,
                   today: date | None = None) -> CostCentreSum | None:  # fmt: skip
    """What clinics out of scope (or no clinic) paid of the costs of the
    patients in scope: a patient who moved clinic, a prescription of another
    clinic. With the cost centres in scope it makes the patients' total, as
    the report shows it. None for the whole region, or when nothing was."""
    clinic_ids = scope.clinic_ids()
    if clinic_ids is None:
        return None
    if stored_payers(scope, year):
        paid = payers.alias("elsewhere")
        figures = (paid.c.patient_id, paid.c.units, paid.c.device_sek,
                   paid.c.consumables_sek, paid.c.vat_sek)  # fmt: skip
        where = [
            paid.c.year == year,
            sa.or_(paid.c.clinic_id.is_(None), paid.c.clinic_id.not_in(clinic_ids)),
            paid_where(scope, year, paid.c.patient_id),
        ]
    else:
        day = today or region_today()
        paid = paid_lines(year, day, clinic_ids, elsewhere=True).subquery("paid")
        figures = (paid.c.patient_id, paid.c.units, paid.c.device,
                   paid.c.consumables, paid.c.vat)  # fmt: skip
        where = [paid_where(scope, year, paid.c.patient_id, day)]
    patient, units, device, consumables, vat = figures
    row = db.session.execute(
        sa.select(
            sa.func.count(sa.distinct(patient)),
            sa.func.coalesce(sa.func.sum(units), 0),
            round_ore(sa.func.coalesce(sa.func.sum(device), 0)),
            round_ore(sa.func.coalesce(sa.func.sum(consumables), 0)),
            round_ore(sa.func.coalesce(sa.func.sum(vat), 0)),
        ).where(*where)
    ).one()
    if not row[0]:
        return None
    return _sums([(None, None, *row)])[0]


def _stored_cost_centre_sums(scope: Scope, year: int) -> list[CostCentreSum]:
    """`cost_centre_sums` from the stored payers."""
    return stored_cost_centre_sums_by_year(scope, [year]).get(year, [])


def stored_cost_centre_sums_by_year(
    scope: Scope, years: list[int]
) -> dict[int, list[CostCentreSum]]:
    """`cost_centre_sums` of each of these years from the stored payers, in
    one statement. A patient has one row per clinic and cost centre, so the
    rows of a group are its patients."""
    clinic_ids = scope.clinic_ids()
    where = [payers.c.year.in_(years)]
    if clinic_ids is not None:
        where.append(payers.c.clinic_id.in_(clinic_ids))
    query = (
        sa.select(
            payers.c.year,
            payers.c.cost_centre,
            Clinic.code,
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(payers.c.units), 0),
            round_ore(sa.func.coalesce(sa.func.sum(payers.c.device_sek), 0)),
            round_ore(sa.func.coalesce(sa.func.sum(payers.c.consumables_sek), 0)),
            round_ore(sa.func.coalesce(sa.func.sum(payers.c.vat_sek), 0)),
        )
        .outerjoin(Clinic, Clinic.id == payers.c.clinic_id)
        .where(*where)
        .group_by(payers.c.year, payers.c.cost_centre, Clinic.code)
        .order_by(payers.c.year, payers.c.cost_centre, Clinic.code)
    )
    by_year: dict[int, list] = {}
    for year, *row in db.session.execute(query):
        by_year.setdefault(year, []).append(row)
    return {year: _sums(rows) for year, rows in by_year.items()}


def _sums(rows) -> list[CostCentreSum]:
    """(cost centre, clinic code, patients, units, device, consumables, VAT)
    rows as sums in öre."""
    return [
        CostCentreSum(
            centre,
            code,
            patients,
            int(units),
            ore_amount(device),
            ore_amount(consumables),
            ore_amount(vat),
        )  # fmt: skip
        for centre, code, patients, units, device, consumables, vat in rows
    ]


def payer_rows(year: int, today: date | None = None,
               patients: sa.Select | None = None, *,
               groups: sa.FromClause | None = None,
               amounts: Amounts | None = None) -> sa.Select:  # fmt: skip
    """What `patient_year_payers` holds for a year (all patients, or those in
    `patients`): the lines with a part in the year summed per patient, paying
    clinic and cost centre, as `paid_lines` says who pays.

    From `compute.line_groups`, its rows read from the lines (one pass: the
    parts are summed in the units of `Amounts`, whole numbers on PostgreSQL,
    per patient, payer and VAT rate of pharmacy lines), or given as `groups`
    (the run's table of them, which its costs are summed from too); then
    turned into kronor and VAT once per such group, not once per line.
    `amounts`: the run's, which `groups` were summed in."""
    amounts = amounts or Amounts.for_session()
    if groups is None:
        groups = line_groups(year, patients, systems=[], amounts=amounts,
                             today=today).subquery("sums")  # fmt: skip
    consumables = amounts.line_sek(groups.c.consumables, device=False)
    vat_rate = money(groups.c.vat_rate)
    vat = sa.case(
        (groups.c.vat_rate.is_not(None), consumables * vat_rate / (1 + vat_rate))
    )
    device = amounts.line_sek(groups.c.device, device=True)
    return (
        sa.select(
            sa.literal(year, sa.Integer).label("year"),
            groups.c.clinic_id,
            groups.c.patient_id,
            groups.c.cost_centre,
            sa.func.coalesce(sa.func.sum(groups.c.units), 0).label("units"),
            sa.func.sum(device).label("device_sek"),
            sa.func.sum(consumables).label("consumables_sek"),
            sa.func.sum(vat).label("vat_sek"),
        )
        .where(
            # Not a group of devices whose amortisation is over alone: no one pays
            # them, and they cost nothing (`compute._line_parts`).
            costs_something(groups)
        )
        .group_by(groups.c.patient_id, groups.c.clinic_id, groups.c.cost_centre)
    )


def store_payers(year: int, today: date | None = None,
                 patients: sa.Select | None = None, *,
                 groups: sa.FromClause | None = None,
                 few: bool = False, amounts: Amounts | None = None) -> int:  # fmt: skip
    """Replace the year's stored payers (all, or those of `patients`) with what
    the lines say now (or `groups`, the run's `line_groups` of those
    patients); returns the rows written. Part of `followup run`.

    With `few` (an incremental run's patients) PostgreSQL finds their rows by
    their key, whatever the statistics of the stored rows say: gathered before
    the last full run stored the year, they made it read every row of the year
    to find a thousand patients' (100,000 patients: a fifth of the run)."""
    connection = db.session.connection()
    delete = sa.delete(payers).where(payers.c.year == year)
    if patients is not None:
        delete = delete.where(
            in_few(payers.c.patient_id, patients, postgresql=few and on_postgresql())
        )
    connection.execute(delete)
    rows = payer_rows(year, today, patients, groups=groups, amounts=amounts)
    names = [column.name for column in rows.selected_columns]
    statement = sa.insert(payers).from_select(names, rows)
    statement = statement.execution_options(preserve_rowcount=True)  # an INSERT's
    return connection.execute(statement).rowcount


def remove_stale_payers(year: int) -> int:
    """Remove the year's payers of patients with no cost row in it any more."""
    costs = PatientYearCost.__table__
    kept = sa.select(costs.c.patient_id).where(costs.c.year == year)
    statement = sa.delete(payers).where(
        payers.c.year == year, payers.c.patient_id.not_in(kept)
    )
    return db.session.connection().execute(statement).rowcount


def stored_payers(scope: Scope, year: int) -> bool:
    """Whether a run has stored the year's payers (read once per scope)."""
    key = ("stored_payers", year)
    if key not in scope.memo:
        found = db.session.scalar(
            sa.select(payers.c.id).where(payers.c.year == year).limit(1)
        )
        scope.memo[key] = found is not None
    return scope.memo[key]


def remember_stored_payers(scope: Scope, year: int, stored: bool) -> None:
    """Tell a scope what `stored_payers` found for another of the same
    request (the clinics side by side ask once, not once a clinic)."""
    scope.memo[("stored_payers", year)] = stored


def paying_patient_ids(scope: Scope, year: int,
                       today: date | None = None) -> sa.Select | None:  # fmt: skip
    """The patients whose costs of the year a clinic in scope paid any part
    of (a subquery; a patient may come more than once); None for the whole
    region. From the stored payers when the year has them, else from the lines
    with device days of the current year up to `today` (the region's today by
    default)."""
    clinic_ids = scope.clinic_ids()
    if clinic_ids is None:
        return None
    if stored_payers(scope, year):
        return sa.select(payers.c.patient_id).where(
            payers.c.year == year, payers.c.clinic_id.in_(clinic_ids)
        )
    lines = paid_lines(year, today or region_today(), clinic_ids).subquery("paid")
    return sa.select(lines.c.patient_id)


def paid_where(scope: Scope, year: int, column: sa.ColumnElement[int],
               today: date | None = None) -> sa.ColumnElement[bool]:  # fmt: skip
    """`column` (a patient id) is one of `paying_patient_ids`: the follow-up's
    one rule for a clinic's patients in a year, for the API, pages and exports.
    From the stored payers an EXISTS on their index; else the patients are read
    from the lines once per scope and year (a page asks several times)."""
    clinic_ids = scope.clinic_ids()
    if clinic_ids is None:
        return sa.true()
    if stored_payers(scope, year):
        return (
            sa.select(payers.c.patient_id)
            .where(payers.c.year == year, payers.c.clinic_id.in_(clinic_ids),
                   payers.c.patient_id == column)
            .exists()
        )  # fmt: skip
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
    if stored_payers(scope, year):
        return paying_patient_ids(scope, year)
    return sa.select(Patient.id).where(paid_where(scope, year, Patient.id, today))


def ore_amount(value) -> Decimal:
    """A sum rounded to öre in SQL, as a Decimal of two places."""
    return Decimal(str(value)).quantize(Decimal("0.01"))


def clinics_read_for(scope: Scope, year: int, patient_ids: Iterable[int],
                     today: date | None = None) -> dict[int, str]:  # fmt: skip
    """The clinic a manager of several clinics reads each listed patient's
    year for, for the patient's access log: the clinic chosen, else the one of
    theirs whose cost centre paid part of the year when exactly one did, else
    the one of theirs that cares for the patient (`access.clinics_read_for`).

    One statement for the whole list (two when some patient was paid for by
    several of the manager's clinics). Empty for the region, which reads for
    no clinic, and for a manager of one clinic (`audit.acting_clinic_code`)."""
    clinic_ids = scope.clinic_ids()
    ids = sorted(set(patient_ids))
    if clinic_ids is None or scope.user.role != Role.MANAGER or not ids:
        return {}
    if scope.clinic is not None:
        return dict.fromkeys(ids, scope.clinic.code)
    if len(clinic_ids) < 2:
        return {}
    if stored_payers(scope, year):
        source = payers
        where = [payers.c.year == year, payers.c.clinic_id.in_(clinic_ids)]
    else:
        source = paid_lines(year, today or region_today(), clinic_ids).subquery()
        where = []
    listed = in_ids(source.c.patient_id, ids, postgresql=on_postgresql())
    paid = (
        sa.select(source.c.patient_id, source.c.clinic_id)
        .where(*where, listed)
        .subquery("paid")
    )
    found = {
        patient_id: code
        for patient_id, code in db.session.execute(
            sa.select(paid.c.patient_id, sa.func.min(Clinic.code))
            .join(Clinic, Clinic.id == paid.c.clinic_id)
            .group_by(paid.c.patient_id)
            .having(sa.func.count(sa.distinct(paid.c.clinic_id)) == 1)
        )
    }
    several = [i for i in ids if i not in found]
    return access.clinics_read_for(scope.user, several) | found
