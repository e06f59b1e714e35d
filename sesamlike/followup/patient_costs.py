"""Patients' annual costs: the year's list, and one patient's with the order lines
behind them. Both audited; the region names patients by pseudonym only."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from sesamlike.common.errors import NotVisible
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.followup import audited, rules
from sesamlike.followup.article_use import ArticleUse, article_use
from sesamlike.followup.cost_centres import clinics_read_for, paid_where
from sesamlike.followup.followed import patient_years
from sesamlike.followup.lines import load_cost_lines
from sesamlike.followup.models import PatientYearCost
from sesamlike.followup.scope import Scope
from sesamlike.patients import access
from sesamlike.patients.models import Patient
from sesamlike.patients.pseudonym import pseudonym

AMOUNTS = ("pump_system", "cgm_system", "device_cost_sek", "consumables_cost_sek",
           "total_cost_sek", "pump_part_sek", "cgm_part_sek")  # fmt: skip


@dataclass(frozen=True)
class LineCost:
    line: rules.CostLine
    days: int
    cost: Decimal
    # A device still in use after its amortisation: its days name the system,
    # it costs nothing and no clinic pays it.
    written_off: bool = False


@dataclass(frozen=True)
class PatientCosts:
    patient: Patient
    years: list[PatientYearCost]
    lines: list[LineCost]  # lines with a cost in the chosen year
    reference: rules.YearCost | None  # the rules applied to today's lines
    use: list[ArticleUse]  # the chosen year's consumables against expected use
    # What the scope's cost centres paid of the chosen year; None: the region.
    own_share: Decimal | None = None
    # The chosen year's lines another clinic paid: a manager's are not listed.
    not_listed: int = 0


def _paid_in(scope: Scope, patient_id: int, year: int) -> bool:
    """The scope paid part of the patient's costs of the year (the region:
    every year), the drill-down's rule (`followed.patient_years`)."""
    if scope.clinic_ids() is None:
        return True
    patient = sa.literal(patient_id, sa.Integer)
    return bool(db.session.scalar(sa.select(paid_where(scope, year, patient))))


def detail(scope: Scope, patient_id: int, year: int) -> PatientCosts:
    """Load a patient visible to the user (NotVisible otherwise); audit; commit.

    A manager sees the years whose costs the clinic paid part of: a patient
    who came from another clinic shows none of the years there (NotVisible
    for such a year, before anything of the patient is read). Of such a
    year, a manager sees the lines the clinic's cost centres paid, as the
    articles page lists them, not what another clinic delivered (need to
    know: the own clinic's costs); the year's totals are the patient's, as
    in the report, with the clinic's share beside them."""
    if not _paid_in(scope, patient_id, year):
        raise NotVisible()
    patient = access.followup_patient(
        scope.user, patient_id, detail=f"follow-up {year}"
    )
    years = [
        row
        for row in db.session.scalars(
            sa.select(PatientYearCost)
            .where(PatientYearCost.patient_id == patient.id)
            .order_by(PatientYearCost.year.desc())
        )
        if _paid_in(scope, patient.id, row.year)
    ]
    all_lines = load_cost_lines([patient.id])
    today = region_today()
    lines = []
    clinic_ids = scope.clinic_ids()

    def paid_here(line) -> bool:
        return clinic_ids is None or line.payer_clinic_id in clinic_ids

    own = not_listed = 0
    for line in rules.continue_warranties(all_lines):
        cost = rules.line_cost(line, year, today)
        days = line.days_in_year(year, today) if line.durable else 0
        if (cost or days) and paid_here(line):
            lines.append(LineCost(line, days, rules.round_half_up(cost)))
        elif cost or days:
            not_listed += 1
        elif (
            paid_here(line) and line.durable and (used := line.in_use_days(year, today))
        ):
            # Written off: nobody pays it now. Shown where it was paid (its
            # prescription's clinic) and to the region, not to the clinic the
            # patient moved to (another clinic's delivery: need to know).
            lines.append(LineCost(line, used, rules.round_half_up(0), True))
        if clinic_ids is not None and paid_here(line):
            own += cost
    db.session.commit()  # the audit row
    reference = rules.patient_year_cost(all_lines, year, today)
    own_share = None if clinic_ids is None else rules.round_half_up(own)
    # Against the expected use, as the report's overuse flag: the lines the
    # clinic paid (another clinic's deliveries are not the manager's to see).
    use = article_use(filter(paid_here, all_lines), year)
    return PatientCosts(patient, years, lines, reference, use, own_share, not_listed)


def year_list(scope: Scope, year: int, *, detail: str) -> list[dict]:
    """Each patient in scope with costs in the year; one audit row per patient.

    The patients are the drill-down's (`followed.patient_years`): a manager's,
    those still in the care of one of their clinics. The region gets
    `patient_key` (the pseudonym of the drill-down and the register export)
    and a null `patient_id`, so no row id links the list to other data of the
    patient; managers get the contract's `patient_id`.
    """
    rows = db.session.scalars(
        sa.select(PatientYearCost)
        .where(patient_years(scope, year, region_today()))
        .order_by(PatientYearCost.patient_id)
    ).all()
    ids = [row.patient_id for row in rows]
    audited.record_many("read", "patient_year_cost", ids, user=scope.user,
                        detail=detail,
                        clinic_codes=clinics_read_for(scope, year, ids))  # fmt: skip
    listed = []
    for row in rows:
        amounts = {name: getattr(row, name) for name in AMOUNTS}
        if scope.pseudonymised:
            who = {"patient_id": None, "patient_key": pseudonym(row.patient_id)}
        else:
            who = {"patient_id": row.patient_id}
        listed.append(who | amounts)
    if scope.pseudonymised:  # in key order: row ids tell who was registered when
        listed.sort(key=lambda row: row["patient_key"])
    return listed
