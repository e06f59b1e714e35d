"""The manager report: a handful of SQL aggregates over the precomputed costs.

Costs per patient (with system and prescriber) come from patient_year_costs,
computed by `followup run`; statistics are taken in Python over the clinic's few
thousand totals. Volumes per article and over-use need the clinic's order lines,
so they have their own page (`articles_and_overuse`). Nothing here names a
patient: lists of patients are drill-downs (`followup.patients`), which write one
audit row per patient shown.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from sesamlike.accounts.models import User
from sesamlike.catalog import assortment
from sesamlike.catalog.models import Article
from sesamlike.common.i18n import _
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.followup import charts, compute, periods, stored_figures, summaries
from sesamlike.followup.cost_centres import paid_patients, paid_where, stored_payers
from sesamlike.followup.models import FollowupRun, PatientYearCost
from sesamlike.followup.scope import Scope
from sesamlike.followup.sqlfuncs import floor_int
from sesamlike.followup.stats import Summary, upper_fence
from sesamlike.orders.models import Order, OrderLine
from sesamlike.patients.identity import AgeGroup, age_group, age_group_label
from sesamlike.patients.models import Patient
from sesamlike.prescriptions.models import Prescription, PrescriptionStatus
from sesamlike.prescriptions.quantities import OVERUSE_FACTOR

ORE = Decimal("0.01")
NO_SYSTEM = summaries.NO_SYSTEM  # key for patients without a pump (or CGM) system
UNKNOWN_AGE = summaries.UNKNOWN_AGE


def age_label(group: str) -> str:
    """An age group as the page and the exports name it: "Okänd ålder" for no
    birth date."""
    return _("Okänd ålder") if group == UNKNOWN_AGE else age_group_label(group)


@dataclass
class Report:
    year: int
    threshold: Decimal
    overall: Summary | None = None
    pump: dict[str, Summary] = field(default_factory=dict)
    cgm: dict[str, Summary] = field(default_factory=dict)
    ages: dict[str, Summary] = field(default_factory=dict)
    system_ages: dict[str, dict[str, int]] = field(default_factory=dict)
    prescribers: list[tuple[int | None, str, Summary]] = field(default_factory=list)
    high_cost: int = 0
    compliance: dict[str, int] = field(default_factory=dict)
    deviations: list[tuple[str, int]] = field(default_factory=list)
    trend: list = field(default_factory=list)  # YearTotal
    # The day the current year's figures count up to (`periods.figures_day`).
    today: date = field(default_factory=lambda: periods.figures_day())

    def system_age_groups(self) -> list[str]:
        """The columns of users per pump system and age group, on the page and in
        its export alike: every age group, and unknown age when someone has it."""
        groups = [group.value for group in AgeGroup]
        if any(UNKNOWN_AGE in counts for counts in self.system_ages.values()):
            groups.append(UNKNOWN_AGE)
        return groups


def year_end(year: int) -> date:
    return date(year, 12, 31)


def cost_rows(scope: Scope, year: int) -> list[sa.Row]:
    """One row per patient in scope with a cost that year, with the birth date:
    a clinic's are those whose costs of the year it paid part of."""
    query = (
        sa.select(
            PatientYearCost.patient_id,
            PatientYearCost.pump_system,
            PatientYearCost.cgm_system,
            PatientYearCost.total_cost_sek,
            PatientYearCost.prescriber_id,
            Patient.birth_date,
        )
        .join(Patient, Patient.id == PatientYearCost.patient_id)
        .where(PatientYearCost.year == year,
               paid_where(scope, year, PatientYearCost.patient_id))
    )  # fmt: skip
    return db.session.execute(query).all()


@dataclass(frozen=True)
class SystemCosts:
    """One system's page: the statistics of its patients' annual costs and
    how many fall in each of `counts`' equal intervals from 0 to `maximum`."""

    summary: Summary | None
    maximum: float
    counts: list[int]
    # The patients far above the system's typical cost: whose own part of it
    # (`PART_COLUMNS`) is over `fence` (`stats.upper_fence` of the parts), as
    # the drill-down's `min_part` lists them. None for no system.
    fence: Decimal | None = None
    far_above: int = 0
    own: Summary | None = None  # the statistics of the own parts


# A patient's own part of a system of each kind: a CGM system's patients'
# totals differ most by whether they also have a pump.
PART_COLUMNS = {"pump": PatientYearCost.pump_part_sek,
                "cgm": PatientYearCost.cgm_part_sek}  # fmt: skip


def system_costs(scope: Scope, year: int, kind: str, name: str,
                 threshold: Decimal, bins: int = 20) -> SystemCosts:  # fmt: skip
    """The annual costs of the patients in scope whose pump (`kind` "pump") or
    CGM system that year was `name` ("" none): the statistics as the report's
    figures have them (kept: `summaries.scope_figures` at the report's
    high-cost line `threshold`) and the histogram's counts, by one aggregate
    over that system's rows. The region's page read all 500,000 patients' rows
    and sorted and counted a system's costs in Python: 1.9 s."""
    groups = summaries.scope_figures(scope, year, threshold).groups
    summary = groups[kind].get(name)
    if summary is None:
        return SystemCosts(None, 0.0, [])
    maximum = charts.histogram_max(summary.maximum)
    costs = PatientYearCost
    column = costs.pump_system if kind == "pump" else costs.cgm_system
    # As charts.histogram counts a value: int(float(value) / maximum * bins),
    # the whole part (SQLite's CAST truncates; floor_int adds a margin there).
    share = sa.cast(costs.total_cost_sek, sa.Float) / maximum * bins
    postgresql = compute.on_postgresql()
    interval = floor_int(share) if postgresql else sa.cast(share, sa.Integer)
    own = groups[f"{kind}_part"].get(name)
    fence = upper_fence(own) if own else None
    far = (sa.func.count().filter(PART_COLUMNS[kind] > fence)
           if fence is not None else sa.literal(0))  # fmt: skip
    counts, far_above = [0] * bins, 0
    for number, patients, above in db.session.execute(
        sa.select(interval, sa.func.count(), far)
        .where(costs.year == year, sa.func.coalesce(column, NO_SYSTEM) == name,
               paid_where(scope, year, costs.patient_id))
        .group_by(interval)
    ):  # fmt: skip
        counts[min(max(number, 0), bins - 1)] += patients
        far_above += above
    return SystemCosts(summary, maximum, counts, fence, far_above, own)


def age_key(birth_date: date | None, year: int) -> str:
    return age_group(birth_date, year_end(year)).value if birth_date else UNKNOWN_AGE


def overuse_query(scope: Scope, year: int) -> sa.Select:
    """(patient, article) pairs delivered above 1.5 × the expected use that year.

    Expected use is units_per_day × the days of the whole year, also for the
    current year: deliveries ahead of use must not flag patients in spring.
    """
    days = (date(year + 1, 1, 1) - date(year, 1, 1)).days
    # The packs kept: those put back on stock were not used (as the volumes).
    kept = OrderLine.packs - OrderLine.packs_restocked
    units = sa.func.sum(kept * Article.pack_size)
    expected = Article.units_per_day * days
    return (
        sa.select(
            Order.patient_id,
            Article.article_no,
            Article.name,
            units.label("units"),
            expected.label("expected"),
        )
        .select_from(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .join(Article, Article.id == OrderLine.article_id)
        .where(
            compute.counted(incremental=not scope.region_wide),
            OrderLine.delivered_on >= date(year, 1, 1),
            OrderLine.delivered_on < date(year + 1, 1, 1),
            Article.units_per_day > 0,
            sa.func.coalesce(Article.amortisation_years, 0) == 0,
            paid_where(scope, year, Order.patient_id),
        )
        .group_by(Order.patient_id, Article.id)
        .having(units > expected * OVERUSE_FACTOR)
    )


@dataclass(frozen=True)
class ArticleRow:
    article_no: str
    name: str
    category: str
    units: int
    lines: int
    patients: int
    cost: Decimal


def articles_and_overuse(scope: Scope, year: int) -> tuple[list[ArticleRow], int]:
    """Volume and cost (by the cost rules) per article, and how many patients
    used some article above 1.5 × its expected use: one pass over the lines,
    aggregated twice in SQL (per patient and article, then per article). The
    lines are those with a part in the year (`compute.article_lines`: a CGM
    transmitter delivered the year before and still in use is not), so the
    count is the drill-down's list (`overuse_query`) as the lines were then.

    Kept until the next run of the year (`stored_figures`), as the lines were
    when first computed after it (the nightly warming computes it right after
    the run): at 500,000 patients the region's statement took 3.4 s, a
    25,000-patient clinic's 0.7 s."""
    return stored_figures.kept_until_run(
        "articles", scope, year,
        lambda: _articles_and_overuse(scope, year),
        lambda found: {
            "rows": [[r.article_no, r.name, r.category, r.units, r.lines,
                      r.patients, str(r.cost)] for r in found[0]],
            "overuse": found[1],
        },
        lambda kept: (
            [ArticleRow(no, name, category, units, lines, patients, Decimal(cost))
             for no, name, category, units, lines, patients, cost in kept["rows"]],
            kept["overuse"],
        ),
    )  # fmt: skip


def _articles_and_overuse(scope: Scope, year: int) -> tuple[list[ArticleRow], int]:
    # Device days of the current year up to today, as the run and the
    # channels count them: not to 31 December.
    today = region_today()
    paying = paid_patients(scope, year, today)
    lines = compute.article_lines(
        year, paying, today=today, clinic_ids=scope.clinic_ids()
    ).subquery("lines")
    days = (date(year + 1, 1, 1) - date(year, 1, 1)).days
    units = sa.func.sum(lines.c.units)
    limit = Article.units_per_day * days * OVERUSE_FACTOR
    pairs = (
        sa.select(
            lines.c.patient_id,
            lines.c.article_id,
            units.label("units"),
            sa.func.count().label("lines"),
            # A line has a device part or a consumable part (the other is
            # NULL), or neither: a CGM transmitter from an earlier year.
            sa.func.sum(sa.func.coalesce(lines.c.device, lines.c.consumables, 0))
            .label("cost"),
            sa.case((sa.and_(Article.units_per_day > 0,
                             sa.func.coalesce(Article.amortisation_years, 0) == 0,
                             units > limit), 1), else_=0).label("over"),
        )
        .join(Article, Article.id == lines.c.article_id)
        .group_by(lines.c.patient_id, lines.c.article_id, Article.units_per_day,
                  Article.amortisation_years)
        .cte("pairs")
    )  # fmt: skip
    per_article = sa.select(
        pairs.c.article_id,
        sa.func.sum(pairs.c.units).label("units"),
        sa.func.sum(pairs.c.lines).label("lines"),
        sa.func.count().label("patients"),
        sa.func.sum(pairs.c.cost).label("cost"),
    ).group_by(pairs.c.article_id)
    overusers = sa.select(
        sa.null(), sa.null(), sa.null(),
        sa.func.count(sa.distinct(pairs.c.patient_id)), sa.null(),
    ).where(pairs.c.over == 1)  # fmt: skip
    facts = {
        row.id: row
        for row in db.session.execute(
            sa.select(Article.id, Article.article_no, Article.name, Article.category)
        )
    }
    rows, overuse = [], 0
    for row in db.session.execute(sa.union_all(per_article, overusers)):
        if row[0] is None:
            overuse = row[3]
            continue
        fact = facts[row[0]]
        cost = Decimal(str(row[4] or 0)).quantize(ORE, rounding=ROUND_HALF_UP)
        # Units and lines are whole numbers (PostgreSQL sums integers as numeric).
        rows.append(ArticleRow(fact.article_no, fact.name, fact.category,
                               int(row[1] or 0), int(row[2]), int(row[3]),
                               cost))  # fmt: skip
    return sorted(rows, key=lambda row: -row.cost), overuse


class _FirstChoiceByDay:
    """First choice as the prescriber met it: among the articles in contract on
    the day the prescription was written. The set changes only when a contract
    starts or ends, so it is worked out once per distinct assortment."""

    def __init__(self) -> None:
        self.articles = db.session.scalars(
            sa.select(Article).options(selectinload(Article.systems))
        ).all()
        self.by_assortment: dict[frozenset[int], set[int]] = {}
        self.by_day: dict[date, set[int]] = {}

    def on(self, day: date) -> set[int]:
        if day not in self.by_day:
            offered = [a for a in self.articles if a.in_contract_on(day)]
            key = frozenset(a.id for a in offered)
            if key not in self.by_assortment:
                self.by_assortment[key] = assortment.first_choice_ids(offered)
            self.by_day[day] = self.by_assortment[key]
        return self.by_day[day]

    def period_of(self, day: sa.ColumnElement[date], year: int) -> sa.ColumnElement:
        """The first day of the period `day` falls in: the year cut where some
        contract starts or ends (an article's first day, or the day after its
        last). Within a period every article is in contract or not all along,
        so the first choice of its first day is that of each of its days; the
        year's prescriptions are counted per period, not per day (a day each
        gave 244,000 rows for the region's 44 clinics at 500,000 patients)."""
        first, last = date(year, 1, 1), year_end(year)
        cuts = {first}
        for article in self.articles:
            cuts.add(article.valid_from)
            if article.valid_to is not None and article.valid_to < last:
                cuts.add(article.valid_to + timedelta(days=1))  # (9999-12-31 too)
        starts = sorted(cut for cut in cuts if first <= cut <= last)
        branches = [(day < start, before) for before, start in pairwise(starts)]
        return sa.case(*branches, else_=starts[-1]) if branches else sa.literal(first)


def compliance(scope: Scope, year: int) -> tuple[dict[str, int], list]:
    """Prescriptions written in the year at the clinics in scope, cancelled ones
    left out: on procured and first-choice articles (ranked per system, as the
    prescribing rules rank them, among the articles in contract the day each
    was written), and the reason codes given for the others."""
    first = _FirstChoiceByDay()
    written = _written(year, first).where(scope.clinic_where(Prescription.clinic_id))
    return _tally(db.session.execute(written), first)


def compliance_per_clinic(year: int) -> dict[int, dict[str, int]]:
    """`compliance`'s counts for each clinic with prescriptions written in the
    year, from one statement and one reading of the assortment: the region's
    clinics page asked both of every clinic, 305 statements and 2.4 s for 44
    clinics at 500,000 patients."""
    first = _FirstChoiceByDay()
    rows: dict[int, list[sa.Row]] = {}
    written = _written(year, first).add_columns(Prescription.clinic_id)
    for row in db.session.execute(written.group_by(Prescription.clinic_id)):
        rows.setdefault(row.clinic_id, []).append(row)
    return {clinic_id: _tally(mine, first)[0] for clinic_id, mine in rows.items()}


def _written(year: int, first: _FirstChoiceByDay) -> sa.Select:
    """The year's prescriptions, cancelled ones left out, counted per article,
    its procurement, reason code and period of the assortment they were
    written in (`valid_from`: its first day)."""
    period = first.period_of(Prescription.valid_from, year).label("valid_from")
    return (
        sa.select(
            Prescription.article_id,
            Article.procured,
            Prescription.reason_code,
            period,
            sa.func.count().label("n"),
        )
        .join(Article, Article.id == Prescription.article_id)
        .where(
            Prescription.valid_from >= date(year, 1, 1),
            Prescription.valid_from <= year_end(year),
            Prescription.status != PrescriptionStatus.CANCELLED,
        )
        .group_by(
            Prescription.article_id,
            Article.procured,
            Prescription.reason_code,
            period,
        )  # fmt: skip
    )


def _tally(rows, first: _FirstChoiceByDay) -> tuple[dict[str, int], list]:
    counts = {"total": 0, "procured": 0, "first_choice": 0, "deviations": 0}
    reasons: dict[str, int] = {}
    for row in rows:
        first_choice = row.article_id in first.on(row.valid_from)
        counts["total"] += row.n
        counts["procured"] += row.n if row.procured else 0
        counts["first_choice"] += row.n if first_choice else 0
        if not (row.procured and first_choice):
            counts["deviations"] += row.n
            key = row.reason_code or ""
            reasons[key] = reasons.get(key, 0) + row.n
    return counts, sorted(reasons.items(), key=lambda item: (-item[1], item[0]))


@dataclass(frozen=True)
class YearTotal:
    year: int
    patients: int
    total: Decimal
    mean: Decimal


def trend(scope: Scope) -> list[YearTotal]:
    """Patients, total and mean cost per year: SQL aggregates only. A clinic's
    patients of each year are those whose costs it paid part of that year."""
    total = sa.func.sum(PatientYearCost.total_cost_sek)
    per_year = sa.select(
        PatientYearCost.year, sa.func.count().label("n"), total.label("amount")
    ).group_by(PatientYearCost.year)
    if scope.clinic_ids() is None:
        query = per_year.order_by(PatientYearCost.year)
    else:
        years = db.session.scalars(
            sa.select(PatientYearCost.year).distinct().order_by(PatientYearCost.year)
        ).all()
        if not years:
            return []
        query = sa.union_all(*(
            per_year.where(PatientYearCost.year == year,
                           paid_where(scope, year, PatientYearCost.patient_id))
            for year in years
        )).order_by("year")  # fmt: skip
    rows = []
    for row in db.session.execute(query):
        amount = Decimal(str(row.amount)).quantize(ORE)
        mean = (amount / row.n).quantize(ORE, rounding=ROUND_HALF_UP)
        rows.append(YearTotal(row.year, row.n, amount, mean))
    return rows


def trend_keepable(scope: Scope) -> bool:
    """The region's trend is kept; a clinic's while every year computed has
    stored payers (else some year's patients come from today's lines)."""
    if scope.region_wide:
        return True
    years = db.session.scalars(sa.select(FollowupRun.year).distinct())
    return all(stored_payers(scope, year) for year in years)


def kept_trend(scope: Scope) -> list[YearTotal]:
    """`trend`, kept until the next run of any year (`stored_figures`) where
    `trend_keepable`: the region's sums every year's stored costs."""

    def token() -> str | None:
        return stored_figures.run_token(None) if trend_keepable(scope) else None

    return stored_figures.kept(
        stored_figures.scope_key("trend", scope),
        token,
        lambda: trend(scope),
        lambda rows: [[t.year, t.patients, str(t.total), str(t.mean)] for t in rows],
        lambda rows: [YearTotal(y, n, Decimal(total), Decimal(mean))
                      for y, n, total, mean in rows],
    )  # fmt: skip


def prescriber_names(
    ids: set[int], clinic_ids: list[int] | None = None
) -> dict[int, str]:
    """Each prescriber's name; with `clinic_ids` (a clinic's report), one
    who works at none of them says so: a patient who moved is counted for
    the new clinic's prescriber in the old clinic's report too. Not which
    clinic: beside a row of one patient, that would tell the old clinic where
    its former patient is cared for now (the drill-down leaves them out)."""
    if not ids:
        return {}
    users = db.session.scalars(
        sa.select(User).where(User.id.in_(ids)).options(selectinload(User.clinics))
    ).all()
    in_scope = None if clinic_ids is None else set(clinic_ids)
    # Two of one name (two Anna Lind) are told apart by their logins' names.
    shared = Counter(user.display_name or user.username for user in users)
    names = {}
    for user in users:
        name = user.display_name or user.username
        if shared[name] > 1 and name != user.username:
            name = f"{name} ({user.username})"
        if in_scope is not None and user.clinics and not user.clinic_ids & in_scope:
            name = _("{name} (annan mottagning)", name=name)
        names[user.id] = name
    return names


def build(scope: Scope, year: int, threshold: Decimal) -> Report:
    """The report: its statistics in one pass over the scope's patient-year
    rows (`summaries`), equal to `stats` over `cost_rows`."""
    report = Report(year, threshold)
    found = summaries.scope_figures(scope, year, threshold)
    groups = found.groups
    report.overall = groups["overall"].get(None)
    report.pump = groups["pump"]
    report.cgm = groups["cgm"]
    order = [group.value for group in AgeGroup] + [UNKNOWN_AGE]
    report.ages = dict(sorted(groups["age"].items(), key=lambda i: order.index(i[0])))
    report.system_ages = found.system_ages
    by_prescriber = groups["prescriber"]
    names = prescriber_names({pid for pid in by_prescriber if pid},
                             scope.clinic_ids())  # fmt: skip
    report.prescribers = [
        (pid, names.get(pid, ""), summary) for pid, summary in by_prescriber.items()
    ]
    report.high_cost = found.high_cost
    report.compliance, report.deviations = compliance(scope, year)
    report.trend = kept_trend(scope)
    return report


def years_with_costs() -> list[int]:
    """Years computed (from the small runs table), newest first, and this year."""
    years = db.session.scalars(sa.select(FollowupRun.year).distinct())
    return sorted(set(years) | {region_today().year}, reverse=True)
