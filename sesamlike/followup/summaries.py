"""The report's statistics over the stored per-patient costs, computed where the
rows are: the same figures as `stats.summarise` over the same rows, exactly.

One pass over a scope's patient-year rows gives every grouping the report
shows (overall, per pump and CGM system, age group, prescriber, diabetes type,
and the systems' own parts), and the counts beside them (patients per system and
age group, pump users per diabetes type, patients above the high-cost line).

Amounts travel as whole öre (integers), never as Decimal objects per row. On
PostgreSQL each grouping's values are sorted inside the database
(`array_agg(... ORDER BY ...)`) and only the order statistics the percentiles
need come back: the two values around each percentile's position, the least
and the greatest, the count and the sum; so a region's 500,000 rows never leave
the server. On SQLite the rows come back as plain integer tuples and are
sorted in Python. Either way the interpolation and rounding are done here in
Decimal, by the same arithmetic as `stats.percentile`, so the figures are equal
to it to the öre (tests compare them).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by

from sesamlike.extensions import db
from sesamlike.followup.cost_centres import paid_where
from sesamlike.followup.models import PatientYearCost
from sesamlike.followup.scope import Scope
from sesamlike.followup.sqlfuncs import literal_int
from sesamlike.followup.stats import ORE, Summary
from sesamlike.patients.identity import AgeGroup
from sesamlike.patients.models import Patient

# The percentiles of a Summary, as exact fractions (numerator, denominator).
PERCENTILES = {"p10": (1, 10), "p25": (1, 4), "median": (1, 2),
               "p75": (3, 4), "p90": (9, 10)}  # fmt: skip
NO_SYSTEM = ""
UNKNOWN_AGE = "?"


@dataclass(frozen=True)
class Grouping:
    """A grouping of the rows: by `key` (a column of the base select; None:
    one group, key None) over `value` (a column in öre). With `known`, rows
    whose key is NO_SYSTEM are left out."""

    name: str
    key: str | None
    value: str
    known: bool = False
    convert: Callable[[str], object] = str


# The base select's columns, by name (see `base_columns`).
GROUPINGS = (
    Grouping("overall", None, "total"),
    Grouping("pump", "pump", "total"),
    Grouping("cgm", "cgm", "total"),
    Grouping("age", "age", "total"),
    Grouping("prescriber", "prescriber", "total", convert=int),
    Grouping("diabetes_type", "diabetes_type", "total"),
    Grouping("pump_part", "pump", "pump_part", known=True),
    Grouping("cgm_part", "cgm", "cgm_part", known=True),
)


@dataclass
class Figures:
    """Every grouping's summaries (key -> Summary, largest groups first, as
    `stats.grouped`), and the counts."""

    groups: dict[str, dict[object, Summary]] = field(default_factory=dict)
    # pump system -> age group -> patients
    system_ages: dict[str, dict[str, int]] = field(default_factory=dict)
    # diabetes type -> patients with a pump system
    pump_users: dict[str, int] = field(default_factory=dict)
    high_cost: int = 0


def ore(column: sa.ColumnElement) -> sa.ColumnElement[int]:
    """An amount in kronor (two decimals) as whole öre."""
    return sa.cast(sa.func.round(column * 100), sa.BigInteger)


def age_key(birth_date: sa.ColumnElement, year: int) -> sa.ColumnElement[str]:
    """`report.age_key` in SQL: the age group on 31 December of the year,
    when everyone born in the year Y is year - Y years old."""
    return sa.case(
        (birth_date.is_(None), UNKNOWN_AGE),
        (birth_date >= date(year - 17, 1, 1), AgeGroup.CHILD.value),
        (birth_date >= date(year - 64, 1, 1), AgeGroup.ADULT.value),
        else_=AgeGroup.ELDERLY.value,
    )


def _sek(value: int) -> Decimal:
    return Decimal(value).scaleb(-2)


def _percentile(low_value: int, high_value: int, n: int, p: tuple[int, int]) -> Decimal:
    """`stats.percentile` from the two values around the position."""
    h = (n - 1) * (Decimal(p[0]) / Decimal(p[1]))
    low = int(h)
    a, b = _sek(low_value), _sek(high_value)
    return (a + (h - low) * (b - a)).quantize(ORE, rounding=ROUND_HALF_UP)


def _positions(n: int) -> dict[str, tuple[int, int]]:
    """Each percentile's two 0-based positions among n sorted values."""
    return {
        name: ((n - 1) * num // den, min((n - 1) * num // den + 1, n - 1))
        for name, (num, den) in PERCENTILES.items()
    }


def _summary(n: int, total: int, least: int, greatest: int,
             picks: dict[str, tuple[int, int]]) -> Summary:  # fmt: skip
    total_sek = _sek(total)
    return Summary(
        patients=n,
        total=total_sek,
        mean=(total_sek / n).quantize(ORE, rounding=ROUND_HALF_UP),
        minimum=_sek(least),
        maximum=_sek(greatest),
        **{name: _percentile(*picks[name], n, PERCENTILES[name]) for name in picks},
    )


def _ordered(summaries: dict[object, Summary]) -> dict[object, Summary]:
    """Largest groups first, then by key: `stats.grouped`'s order."""
    return dict(
        sorted(summaries.items(), key=lambda item: (-item[1].patients, str(item[0])))
    )


def base_rows(scope: Scope, year: int) -> sa.Select:
    """One row per patient in scope with a cost in the year (`report.cost_rows`),
    with what the groupings need."""
    costs = PatientYearCost
    return (
        sa.select(
            ore(costs.total_cost_sek).label("total"),
            sa.func.coalesce(costs.pump_system, NO_SYSTEM).label("pump"),
            sa.func.coalesce(costs.cgm_system, NO_SYSTEM).label("cgm"),
            age_key(Patient.birth_date, year).label("age"),
            costs.prescriber_id.label("prescriber"),
            Patient.diabetes_type.label("diabetes_type"),
            ore(sa.func.coalesce(costs.pump_part_sek, 0)).label("pump_part"),
            ore(sa.func.coalesce(costs.cgm_part_sek, 0)).label("cgm_part"),
        )
        .join(Patient, Patient.id == costs.patient_id)
        .where(costs.year == year, paid_where(scope, year, costs.patient_id))
    )


def default_threshold() -> Decimal:
    """The high-cost line the report shows when none is asked for: the one
    its figures are kept with (`warming`)."""
    return Decimal(current_app.config.get("HIGH_COST_THRESHOLD_SEK", 50000))


def scope_figures(scope: Scope, year: int,
                  threshold: Decimal | None = None) -> Figures:  # fmt: skip
    """`figures` for a scope and year, read once per request: the report, its
    diabetes types and its system parts share them. Without a threshold, any
    figures of the year already read do (high_cost is then not needed), else
    those of the report's default line (`default_threshold`): the figures
    the nightly warming keeps, which the pages without a line of their own
    (articles, channels, the clinics side by side, a system's, cost
    centres) read too. Kept once computed while the data is the same
    (`stored_figures`)."""
    from sesamlike.followup import stored_figures  # it reads Figures from here

    for key, found in scope.memo.items():
        if key[:2] == ("figures", year) and threshold in (None, key[2]):
            return found
    if threshold is None:
        threshold = default_threshold()
    found = stored_figures.figures(
        scope, year, threshold, lambda: figures(base_rows(scope, year), threshold)
    )
    scope.memo[("figures", year, threshold)] = found
    return found


def scopes_figures(scopes: Sequence[Scope], year: int) -> list[Figures]:
    """`scope_figures` (with the default line) of several scopes at once: their
    kept figures read together (`stored_figures.figures_of`)."""
    from sesamlike.followup import stored_figures  # it reads Figures from here

    threshold = default_threshold()
    found = stored_figures.figures_of(
        scopes, year, threshold, lambda one: figures(base_rows(one, year), threshold)
    )
    for scope, each in zip(scopes, found, strict=True):
        scope.memo[("figures", year, threshold)] = each
    return found


def figures(base: sa.Select, threshold: Decimal | None) -> Figures:
    """The report's statistics over `base`'s rows (one per patient, with the
    columns of `GROUPINGS` and `total`, all amounts in öre)."""
    if db.session.connection().dialect.name == "postgresql":
        return _figures_in_database(base, threshold)
    return _figures_in_python(base, threshold)


def _count(result: Figures, pump: str, age: str, kind: str, n: int) -> None:
    ages = result.system_ages.setdefault(pump, {})
    ages[age] = ages.get(age, 0) + n
    result.pump_users[kind] = result.pump_users.get(kind, 0) + (n if pump else 0)


def _figures_in_python(base: sa.Select, threshold: Decimal | None) -> Figures:
    """The rows as plain tuples of integers and strings, read once; each
    grouping's values collected per key column by column, then sorted."""
    names = ["total", "pump", "cgm", "age", "prescriber", "diabetes_type",
             "pump_part", "cgm_part"]  # fmt: skip
    rows = base.subquery("base")
    query = sa.select(*[rows.c[name] for name in names])
    tuples = db.session.connection().execute(query).all()
    columns = dict(zip(names, zip(*tuples, strict=True), strict=True)) if tuples else {}
    result = Figures()
    if not tuples:
        result.groups = {grouping.name: {} for grouping in GROUPINGS}
        return result
    limit = None if threshold is None else threshold * 100
    if limit is not None:
        result.high_cost = sum(1 for total in columns["total"] if total > limit)
    counts: dict[tuple[str, str, str], int] = defaultdict(int)
    keys = zip(columns["pump"], columns["age"], columns["diabetes_type"], strict=True)
    for key in keys:
        counts[key] += 1
    for (pump, age, kind), n in counts.items():
        _count(result, pump, age, kind, n)
    for grouping in GROUPINGS:
        values = columns[grouping.value]
        if grouping.key is None:
            groups = {None: list(values)}
        else:
            groups = defaultdict(list)
            for key, value in zip(columns[grouping.key], values, strict=True):
                groups[key].append(value)
            if grouping.known:
                groups.pop(NO_SYSTEM, None)
        summaries = {}
        for key, group in groups.items():
            group.sort()
            n = len(group)
            picks = {name: (group[low], group[high])
                     for name, (low, high) in _positions(n).items()}  # fmt: skip
            summaries[key] = _summary(n, sum(group), group[0], group[-1], picks)
        result.groups[grouping.name] = _ordered(summaries)
    return result


# The report's statement on PostgreSQL: its sorts fit in memory (the default
# 4 MB spills a region's to disk), and JIT compiling costs more than it saves.
POSTGRES_SETTINGS = {"jit": "off", "work_mem": "64MB"}
COUNTS = len(GROUPINGS)  # the branch of the counts, after the groupings


def _figures_in_database(base: sa.Select, threshold: Decimal | None) -> Figures:
    """One statement. The base rows once (a CTE); per grouping, each group's
    values sorted inside the database (array_agg ... ORDER BY), and only the
    order statistics the figures need come back from each sorted array: the
    least, the greatest and the two around each percentile's position. The
    counts per pump system, age group and diabetes type (a hash aggregate)
    come as one more branch.

    (Measured at 91,000 rows, against two alternatives giving equal figures:
    sorting each grouping's rows by key and value first, and sorting only the
    distinct (key, value) pairs with running counts. Both were slower here.)"""
    connection = db.session.connection()
    for name, value in POSTGRES_SETTINGS.items():
        connection.exec_driver_sql(f"SET LOCAL {name} = '{value}'")
    rows = base.cte("base")
    branches = []
    for number, grouping in enumerate(GROUPINGS):
        key = None if grouping.key is None else rows.c[grouping.key]
        value = rows.c[grouping.value]
        branch = sa.select(
            literal_int(number).label("grouping"),
            sa.cast(key if key is not None else sa.null(), sa.Text).label("key"),
            sa.func.count().label("n"),
            sa.func.sum(value).label("total"),
            sa.func.array_agg(aggregate_order_by(value, value)).label("sorted"),
        )
        if key is not None:
            branch = branch.group_by(key)
            if grouping.known:
                branch = branch.where(key != NO_SYSTEM)
        branches.append(branch)
    over = (
        sa.func.count().filter(rows.c.total > threshold * 100)
        if threshold is not None
        else sa.literal(0, sa.BigInteger)
    )
    separator = sa.literal("\x1f")
    branches.append(
        sa.select(
            literal_int(COUNTS),
            rows.c.pump + separator + rows.c.age + separator + rows.c.diabetes_type,
            sa.func.count(),
            over,
            sa.null(),
        ).group_by(rows.c.pump, rows.c.age, rows.c.diabetes_type)
    )
    groups = sa.union_all(*branches).subquery("groups")
    ordered = sa.type_coerce(groups.c.sorted, ARRAY(sa.BigInteger))
    n = groups.c.n
    picks = []
    for num, den in PERCENTILES.values():
        low = (n - 1) * num // den + 1  # 1-based
        picks += [ordered[low], ordered[sa.func.least(low + 1, n)]]
    query = sa.select(groups.c.grouping, groups.c.key, n, groups.c.total,
                      ordered[1], ordered[n], *picks)  # fmt: skip
    result = Figures()
    summaries: dict[str, dict[object, Summary]] = {g.name: {} for g in GROUPINGS}
    for row in connection.execute(query):
        number, key, count, total, least, greatest, *values = row
        if number == COUNTS:
            pump, age, kind = key.split("\x1f")
            _count(result, pump, age, kind, count)
            result.high_cost += int(total)  # the column is NUMERIC (SUM)
            continue
        if not count:  # the one group of no rows
            continue
        grouping = GROUPINGS[number]
        chosen = {
            p: (values[2 * i], values[2 * i + 1]) for i, p in enumerate(PERCENTILES)
        }
        summary = _summary(count, int(total), least, greatest, chosen)
        summaries[grouping.name][None if key is None else grouping.convert(key)] = (
            summary
        )
    result.groups = {name: _ordered(each) for name, each in summaries.items()}
    return result
