"""The patients behind a figure of the report. Every patient listed is audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from sesamlike.common import paging
from sesamlike.common.collation import swedish
from sesamlike.extensions import db
from sesamlike.followup import audited, cost_centres, report
from sesamlike.followup.followed import paid_years, patient_years, visible_years
from sesamlike.followup.models import PatientYearCost
from sesamlike.followup.scope import Scope
from sesamlike.patients.identity import AgeGroup
from sesamlike.patients.models import Patient

PAGE_SIZE = 100
IDENTITY_COLUMNS = ("personal_id", "first_name", "last_name")
FILTER_NAMES = ("pump_system", "cgm_system", "age_group", "prescriber", "min_total",
                "min_part", "overuse", "sort", "reverse")  # fmt: skip
# The list's orders, each as it first comes: amounts highest first, names and
# systems A to Ö (no system last; in Swedish order, `common.collation`: "t:slim
# X2" under T); the region's list has no names to sort by.
# Reversed (`Filters.reverse`): amounts lowest first, names and systems Ö to A
# (no system still last, and within a system still the costliest first).
SORTS = {
    "total": (PatientYearCost.total_cost_sek,),
    "devices": (PatientYearCost.device_cost_sek,),
    "consumables": (PatientYearCost.consumables_cost_sek,),
    "name": (swedish(Patient.last_name), swedish(Patient.first_name)),
    "pump_system": (swedish(PatientYearCost.pump_system),),
    "cgm_system": (swedish(PatientYearCost.cgm_system),),
}
AMOUNT_SORTS = ("total", "devices", "consumables")  # highest first, unreversed
SYSTEM_SORTS = ("pump_system", "cgm_system")
DEFAULT_SORT = "total"


@dataclass(frozen=True)
class Filters:
    pump_system: str | None = None  # "" for patients without a pump system
    cgm_system: str | None = None
    age_group: str | None = None
    prescriber: str | None = None  # a user id, or "" for none
    min_total: Decimal | None = None
    # The own part of the system filtered on (the pump part with `pump_system`,
    # else the CGM part with `cgm_system`) above this; nothing without one.
    min_part: Decimal | None = None
    overuse: bool = False
    sort: str = DEFAULT_SORT  # one of SORTS
    reverse: bool = False  # the sort's other way round (`SORTS`)

    @property
    def part_kind(self) -> str | None:
        """The kind of system whose own part `min_part` is of: the pump's
        when a pump system is chosen, else the CGM's; None without either."""
        if self.pump_system is not None:
            return "pump"
        return "cgm" if self.cgm_system is not None else None

    @property
    def descending(self) -> bool:
        """Whether the sorted column runs from high to low (Ö to A)."""
        return (self.sort in AMOUNT_SORTS) != self.reverse

    def as_args(self) -> dict[str, str]:
        args = {}
        for name in FILTER_NAMES:
            value = getattr(self, name)
            if name == "sort" and value == DEFAULT_SORT:
                continue
            if value is not None and value is not False:
                args[name] = "1" if value is True else str(value)
        return args


def sort_of(typed: str | None, scope: Scope) -> str:
    """The list's order asked for; the default for anything else, and for
    names in a pseudonymised list."""
    if typed not in SORTS or (typed == "name" and scope.pseudonymised):
        return DEFAULT_SORT
    return typed


def order_of(filters: Filters, patient_id: sa.ColumnElement[int]
             ) -> tuple[sa.ColumnElement, ...]:  # fmt: skip
    """The ORDER BY of the filters' sort (`SORTS`), one way or the other; the
    patient id (`patient_id`: the column of the statement's own table) last,
    so pages follow each other the same way every time."""
    descending = filters.descending
    ordered = [column.desc() if descending else column.asc()
               for column in SORTS[filters.sort]]  # fmt: skip
    if filters.sort in SYSTEM_SORTS:  # none last; the costliest first within one
        ordered = [ordered[0].nulls_last(), PatientYearCost.total_cost_sek.desc()]
    return (*ordered, patient_id)


def _age_clause(group: str, year: int) -> sa.ColumnElement[bool]:
    adult_from = date(year - 18, 12, 31)  # 18 on 31 December of the year
    elderly_from = date(year - 65, 12, 31)
    born = Patient.birth_date
    clauses = {
        AgeGroup.CHILD.value: born > adult_from,
        AgeGroup.ADULT.value: sa.and_(born <= adult_from, born > elderly_from),
        AgeGroup.ELDERLY.value: born <= elderly_from,
    }
    return clauses.get(group, born.is_(None))


def _system_clause(column, value: str) -> sa.ColumnElement[bool]:
    return column.is_(None) if value == report.NO_SYSTEM else column == value


def _where(
    scope: Scope, year: int, filters: Filters, patients: sa.ColumnElement[bool]
) -> list[sa.ColumnElement[bool]]:
    """`patients` (a clause on PatientYearCost) narrowed by the filters."""
    where = [patients]
    if filters.pump_system is not None:
        where.append(_system_clause(PatientYearCost.pump_system, filters.pump_system))
    if filters.cgm_system is not None:
        where.append(_system_clause(PatientYearCost.cgm_system, filters.cgm_system))
    if filters.age_group is not None:
        where.append(_age_clause(filters.age_group, year))
    if filters.min_total is not None:
        where.append(PatientYearCost.total_cost_sek > filters.min_total)
    if filters.min_part is not None and filters.part_kind is not None:
        column = report.PART_COLUMNS[filters.part_kind]
        where.append(column > filters.min_part)
    if filters.overuse:
        flagged = report.overuse_query(scope, year).subquery()
        where.append(PatientYearCost.patient_id.in_(sa.select(flagged.c.patient_id)))
    if filters.prescriber is not None:
        column = PatientYearCost.prescriber_id
        by_id = filters.prescriber.isdecimal() and len(filters.prescriber) < 10
        where.append(column == int(filters.prescriber) if by_id
                     else column.is_(None))  # fmt: skip
    return where


def query(scope: Scope, year: int, filters: Filters) -> sa.Select:
    """Patients in scope and visible to the user, with their cost for the year."""
    where = _where(scope, year, filters, patient_years(scope, year))
    return _listed(scope, where, filters)


def _listed(scope: Scope, where: list[sa.ColumnElement[bool]],
            filters: Filters) -> sa.Select:  # fmt: skip
    """The list's columns of the patient-years `where` names, in its order."""
    if scope.pseudonymised:  # the region: no name or number leaves the database
        identity = [sa.literal_column("''").label(name) for name in IDENTITY_COLUMNS]
    else:
        identity = [getattr(Patient, name) for name in IDENTITY_COLUMNS]
    return (
        sa.select(
            Patient.id,
            *identity,
            Patient.birth_date,
            PatientYearCost.pump_system,
            PatientYearCost.cgm_system,
            PatientYearCost.device_cost_sek,
            PatientYearCost.consumables_cost_sek,
            PatientYearCost.total_cost_sek,
        )
        .join(PatientYearCost, PatientYearCost.patient_id == Patient.id)
        .where(*where)
        .order_by(*order_of(filters, Patient.id))
    )


def _narrowed(scope: Scope, year: int, filters: Filters,
              patients: sa.ColumnElement[bool], *columns) -> sa.Select:  # fmt: skip
    """`columns` (the patient id) of the patient-years `patients` names,
    narrowed by the filters: from the costs alone, joined to the patients only
    where a filter or the order reads them (age group, name). A clinic's
    25,000 patients were joined one by one before the count and the sort,
    for a page of 100."""
    statement = (
        sa.select(*(columns or [PatientYearCost.patient_id]))
        .select_from(PatientYearCost)
        .where(*_where(scope, year, filters, patients))
    )
    if filters.age_group is not None or filters.sort == "name":
        statement = statement.join(Patient, Patient.id == PatientYearCost.patient_id)
    return statement


def counts(scope: Scope, year: int, filters: Filters) -> tuple[int, int]:
    """How many patients the list has, and how many of the same figure it
    leaves out: in the report's figures (the scope paid for them) but no
    longer the user's to see. One pass over the paid patient-years; nothing
    of those left out is read."""
    paid, listed = db.session.execute(
        _narrowed(scope, year, filters, paid_years(scope, year),
                  sa.func.count(), sa.func.count().filter(visible_years(scope)))
    ).one()  # fmt: skip
    return listed, paid - listed


def page_count(total: int, per_page: int = PAGE_SIZE) -> int:
    """The pages a list of `total` patients fills; one for none."""
    return paging.page_count(total, per_page)


def patients(
    scope: Scope,
    year: int,
    filters: Filters,
    page: int = 1,
    *,
    per_page=PAGE_SIZE,
    exported: bool = False,
    total: int | None = None,
) -> tuple[list[sa.Row], int]:
    """One page of patients (all with per_page=None) and the total (`total`:
    as `counts` found it in this request); audited, as an export when
    `exported` (a file leaves the system with them). A page past the last
    gives the last (an old link after the list shrank)."""
    if per_page is None:  # all of them: each is read anyway
        statement = query(scope, year, filters)
        rows = db.session.execute(statement).all()
        total = len(rows)
    else:
        # The page's ids first, then their names and costs: 100 patients
        # joined, not all of the clinic's.
        listed = _narrowed(scope, year, filters, patient_years(scope, year))
        if total is None:
            total = db.session.scalar(
                sa.select(sa.func.count()).select_from(listed.subquery())
            )
        page = min(page, page_count(total, per_page))
        ids = (
            listed.order_by(*order_of(filters, PatientYearCost.patient_id))
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
        where = [PatientYearCost.year == year, PatientYearCost.patient_id.in_(ids)]
        rows = db.session.execute(_listed(scope, where, filters)).all()
    ids = [row.id for row in rows]
    audited.record_many(
        "export" if exported else "read", "patient_year_cost", ids,
        detail=f"follow-up drill-down {year}: "
        + ", ".join(f"{k}={v}" for k, v in filters.as_args().items()),
        clinic_codes=cost_centres.clinics_read_for(scope, year, ids),
    )  # fmt: skip
    db.session.commit()
    return rows, total
