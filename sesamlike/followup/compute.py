"""The cost rules set-based in SQL: a few statements per year.

`followup.rules` states the same rules in Python; tests hold the two together.

1. `stage_year`: one SELECT reads the order lines once (the year's consumables,
   and durable devices and CGM transmitters delivered early enough to still be in
   use in it) and groups them by patient: the amounts, the pump and CGM device
   lines in use longest, the line the prescriber comes from, and the sensors'
   system. It fills a temporary table with CREATE TABLE AS, which PostgreSQL may
   run with parallel workers (an INSERT ... SELECT may not). Patients with
   sensors of several systems are then settled one by one (they are few).
2. `write_year`: an upsert from the stage. A full run first keeps the rows whose
   amounts or source lines differ from the stored ones; systems (from the
   catalogue) and prescriber (from the line's prescription) are looked up for
   those only, and rows whose figures did not change are left untouched.
3. `remove_stale`: rows of patients in scope that nothing of the year falls on.
4. `drop_stage`.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.elements import ClauseElement

from sesamlike.catalog.models import Article, Category, System, article_systems
from sesamlike.extensions import db
from sesamlike.followup.amounts import Amounts
from sesamlike.followup.models import PatientYearCost
from sesamlike.followup.rules import (
    CGM_DEVICE_CATEGORIES,
    COUNTED_STATUSES,
    DAYS_PER_YEAR,
)
from sesamlike.followup.sqlfuncs import (
    epoch_day,
    floor_int,
    greatest,
    least,
    money,
)
from sesamlike.orders.models import Order, OrderLine, Prescription

# Device lines older than this cannot reach the year (longest amortisation: 10).
LOOKBACK_YEARS = 12
# A device key is days in use × KEY_DAYS + delivery day number × KEY_DAY + line
# id: days are at most 366, day numbers below 2^16 (until 2149), line ids below
# 2^38, so the key stays below 2^63 and MAX compares whole numbers.
KEY_DAYS = sa.literal_column(str(2**54), sa.BigInteger)
KEY_DAY = sa.literal_column(str(2**38), sa.BigInteger)

ol = OrderLine.__table__
orders = Order.__table__
art = Article.__table__
costs = PatientYearCost.__table__


def epoch(day: date) -> int:
    return (day - date(1970, 1, 1)).days


def durable_expr() -> sa.ColumnElement[bool]:
    return sa.func.coalesce(art.c.amortisation_years, 0) > 0


def days_expr(year: int) -> sa.ColumnElement[int]:
    """Days in use inside the year: from delivery (counted) to the return (not)."""
    start = epoch_day(ol.c.delivered_on)
    use = sa.case(
        (durable_expr(), art.c.amortisation_years * DAYS_PER_YEAR),
        (
            sa.and_(art.c.category == "cgm_transmitter", art.c.units_per_day > 0),
            floor_int(ol.c.packs * art.c.pack_size / money(art.c.units_per_day)),
        ),
        else_=0,
    )
    end = sa.case(
        (ol.c.returned_on.is_(None), start + use),
        else_=least(start + use, epoch_day(ol.c.returned_on)),
    )
    first, after = epoch(date(year, 1, 1)), epoch(date(year + 1, 1, 1))
    return greatest(0, least(end, after) - greatest(start, first))


def counted(incremental: bool = False) -> sa.ColumnElement[bool]:
    """Delivered or returned lines.

    In a full run every line is read, and walking the status index is walking the
    table in order. An incremental run must be driven by the changed patients
    (orders.patient_id), so there the test is written so that no index on status
    is considered: without statistics SQLite would otherwise prefer it.
    """
    status = sa.func.coalesce(ol.c.status, "") if incremental else ol.c.status
    return status.in_(sorted(COUNTED_STATUSES))


def _int(value: int) -> sa.ColumnElement[int]:
    """An integer written into the SQL, so equal expressions compare equal
    (GROUP BY and ORDER BY of the same CASE) on PostgreSQL too."""
    return sa.literal_column(str(int(value)), sa.Integer)


def sensor_rank(systems: list[tuple[str, list[int]]]) -> sa.ColumnElement:
    """A sensor line's CGM system as its place in `systems` (name order)."""
    whens = [
        (ol.c.article_id == _int(article_id), _int(rank))
        for rank, (_name, ids) in enumerate(systems)
        for article_id in ids
    ]
    return sa.case(*whens) if whens else sa.null()


def _system_name(rank: sa.ColumnElement, systems: list[tuple[str, list[int]]]):
    if not systems:
        return sa.null()
    return sa.case(*[(rank == _int(i), name) for i, (name, _ids) in enumerate(systems)])


def line_costs(year: int, scope: sa.Select | None = None,
               systems: list[tuple[str, list[int]]] = (), *,
               amounts: Amounts, articles: bool = False) -> sa.Select:  # fmt: skip
    """Every line that may have a part in the year, with what the rules need.

    Consumables delivered in the year, and durable devices and CGM transmitters
    delivered early enough to be in use in it. `days` (in use inside the year)
    and `day` (the delivery's day number) are computed for those only; other
    lines carry NULL there. One row per line; with `articles`, also its article
    and units.
    """
    first, after = date(year, 1, 1), date(year + 1, 1, 1)
    in_use = sa.or_(durable_expr(), art.c.category == "cgm_transmitter")
    category = art.c.category
    # Packs and pack sizes are above zero (check constraints): no unit test.
    sensor = sa.case((sa.and_(category == "cgm_sensor", ol.c.delivered_on >= first),
                      sensor_rank(list(systems))))  # fmt: skip
    where = [
        counted(incremental=scope is not None),
        ol.c.delivered_on >= date(year - LOOKBACK_YEARS, 1, 1),
        ol.c.delivered_on < after,
        sa.or_(ol.c.delivered_on >= first, in_use),
    ]
    if scope is not None:
        where.append(orders.c.patient_id.in_(scope))
    select = (
        sa.select(
            orders.c.patient_id,
            ol.c.id.label("line_id"),
            category.label("category"),
            art.c.amortisation_years.label("years"),
            ol.c.delivered_on,
            amounts.value().label("value"),
            sa.case((in_use, days_expr(year))).label("days"),
            sa.case((in_use, epoch_day(ol.c.delivered_on))).label("day"),
            sensor.label("sensor_rank"),
        )
        .select_from(ol.join(orders, orders.c.id == ol.c.order_id))
        .join(art, art.c.id == ol.c.article_id)
        .where(*where)
    )  # fmt: skip
    if articles:
        select = select.add_columns(
            ol.c.article_id, (ol.c.packs * art.c.pack_size).label("units")
        )
    return select


def in_year(lines: sa.Subquery) -> sa.ColumnElement[bool]:
    """Devices not in use on any day of the year are no part of it."""
    return sa.func.coalesce(lines.c.days, 1) > 0  # days: NULL but for devices


def line_parts(lines: sa.Subquery, year: int, amounts: Amounts):
    """A line's device part and consumable part (the other NULL; both NULL for
    a CGM transmitter delivered in an earlier year, which costs nothing now),
    in the units of `amounts`."""
    durable = lines.c.years > 0  # NULL for consumables: not true
    device = sa.case(
        (durable, amounts.device_part(lines.c.value, lines.c.days, lines.c.years))
    )
    consumables = sa.case(
        (durable, None),
        (lines.c.delivered_on < date(year, 1, 1), None),
        else_=lines.c.value,
    )
    return device, consumables


def article_lines(year: int, scope: sa.Select | None = None) -> sa.Select:
    """Every line with a part in the year: patient, article, units and parts in
    kronor (unrounded)."""
    amounts = Amounts.for_session()
    lines = line_costs(year, scope, amounts=amounts, articles=True).subquery("costed")
    device, consumables = line_parts(lines, year, amounts)
    return sa.select(
        lines.c.patient_id,
        lines.c.article_id,
        lines.c.units,
        amounts.line_sek(device, device=True).label("device"),
        amounts.line_sek(consumables, device=False).label("consumables"),
    ).where(in_year(lines))


def article_system(kind: str) -> sa.Select:
    """Each article's system of one kind (by name, should it have several)."""
    systems = System.__table__
    return (
        sa.select(
            article_systems.c.article_id,
            sa.func.min(systems.c.name).label("system"),
        )
        .join(systems, systems.c.id == article_systems.c.system_id)
        .where(systems.c.kind == kind)
        .group_by(article_systems.c.article_id)
    )


def sensor_systems() -> list[tuple[str, list[int]]]:
    """Each CGM system with its sensor articles, in name order (the tie-break).

    An article in several CGM systems counts for the first by name, as
    `article_system` says.
    """
    of_article = article_system("cgm").subquery()
    rows = db.session.execute(
        sa.select(of_article.c.article_id, of_article.c.system)
        .join(art, art.c.id == of_article.c.article_id)
        .where(art.c.category == Category.CGM_SENSOR)
        .order_by(of_article.c.system, of_article.c.article_id)
    ).all()
    systems: dict[str, list[int]] = {}
    for article_id, system in rows:
        systems.setdefault(system, []).append(article_id)
    return list(systems.items())


def device_key(lines: sa.Subquery) -> sa.ColumnElement[int]:
    """A number whose MAX is the device line in use most days, then delivered
    last, then with the highest id; the line id is its remainder by KEY_DAY."""
    return lines.c.days * KEY_DAYS + lines.c.day * KEY_DAY + lines.c.line_id


Systems = list[tuple[str, list[int]]]  # CGM systems and their sensor articles


def year_costs(
    year: int,
    scope: sa.Select | None = None,
    systems: Systems | None = None,
    amounts: Amounts | None = None,
) -> sa.Select:
    """One row per patient with a cost in the year: the amounts, and the lines
    the systems and the prescriber are to be read from.

    One pass over the lines grouped by patient, as a hand-written query would.
    The pump and the CGM device in use longest are the MAX of `device_key`, so
    no window over lines is needed. The sensors' system is the one every sensor
    line of the year shares (lowest and highest place in name order agree);
    the few patients with sensors of several systems are settled afterwards by
    `mixed_sensor_system`, which sums their units per system.

    The lines' parts and keys are computed in a select of their own. SQLite
    keeps it apart from the grouping (LIMIT -1): it sorts to group, and its
    sorter then holds a few numbers per line, not the columns they come from.
    """
    systems = sensor_systems() if systems is None else systems
    amounts = amounts or Amounts.for_session()
    lines = line_costs(year, scope, systems, amounts=amounts).subquery("lines")
    durable = lines.c.years > 0  # NULL for consumables: not true
    cgm_device = lines.c.category.in_(sorted(CGM_DEVICE_CATEGORIES))
    device, consumables = line_parts(lines, year, amounts)
    parts = (
        sa.select(
            lines.c.patient_id,
            lines.c.line_id,
            device.label("device"),
            consumables.label("consumables"),
            # The cheap test first: most lines are consumables. A line with a
            # day number is a device in use (`in_year` keeps days above 0).
            sa.case((sa.and_(durable, lines.c.category == "pump"),
                     device_key(lines))).label("pump_key"),
            sa.case((sa.and_(lines.c.day.is_not(None), cgm_device),
                     device_key(lines))).label("cgm_key"),
            lines.c.sensor_rank,
        )
        .where(in_year(lines))
    )  # fmt: skip
    if not _on_postgresql():
        parts = parts.limit(-1)
    parts = parts.subquery("parts")
    sums = (
        sa.select(
            parts.c.patient_id,
            sa.func.sum(parts.c.device).label("device"),
            sa.func.sum(parts.c.consumables).label("consumables"),
            sa.func.max(parts.c.pump_key).label("pump_key"),
            sa.func.max(parts.c.cgm_key).label("cgm_key"),
            sa.func.max(parts.c.line_id).label("last_line"),
            sa.func.min(parts.c.sensor_rank).label("sensor_low"),
            sa.func.max(parts.c.sensor_rank).label("sensor_high"),
        )
        .group_by(parts.c.patient_id)
        .subquery("sums")
    )
    device = amounts.device_sek(sums.c.device)
    consumables = amounts.consumables_sek(sums.c.consumables)
    pump_line = sums.c.pump_key % KEY_DAY
    cgm_line = sums.c.cgm_key % KEY_DAY
    low, high = sums.c.sensor_low, sums.c.sensor_high
    return sa.select(
        sums.c.patient_id,
        sa.literal(year).label("year"),
        device.label("device_cost_sek"),
        consumables.label("consumables_cost_sek"),
        (device + consumables).label("total_cost_sek"),
        pump_line.label("pump_line_id"),
        cgm_line.label("cgm_line_id"),
        sa.func.coalesce(pump_line, cgm_line, sums.c.last_line)
        .label("prescriber_line_id"),
        sa.case((low == high, _system_name(low, systems))).label("sensor_system"),
        sa.case((low < high, 1), else_=0).label("sensor_mixed"),
    )  # fmt: skip


def mixed_sensor_system(
    year: int, patient_id: sa.ColumnElement, systems: Systems
) -> sa.ScalarSelect:
    """A patient's CGM system by sensor units summed per system (then name)."""
    first, after = date(year, 1, 1), date(year + 1, 1, 1)
    rank = sensor_rank(systems)
    units = ol.c.packs * art.c.pack_size
    best = (
        sa.select(rank)
        .select_from(ol.join(orders, orders.c.id == ol.c.order_id))
        .join(art, art.c.id == ol.c.article_id)
        .where(orders.c.patient_id == patient_id, counted(incremental=True),
               ol.c.delivered_on >= first, ol.c.delivered_on < after,
               art.c.category == "cgm_sensor", units > 0, rank.is_not(None))
        .group_by(rank)
        .order_by(sa.func.sum(units).desc(), rank)
        .limit(1)
        .scalar_subquery()
    )  # fmt: skip
    return _system_name(best, systems)


# The statements ----------------------------------------------------------------

STAGE = "followup_stage"
CHANGED = "followup_changed"
# What the stage holds beside patient_id and year.
STAGED = ("device_cost_sek", "consumables_cost_sek", "total_cost_sek",
          "pump_line_id", "cgm_line_id", "prescriber_line_id",
          "sensor_system", "sensor_mixed")  # fmt: skip
# A stored row's figures: one that differs from the computed one is rewritten.
VALUES = ("pump_system", "cgm_system", "device_cost_sek", "consumables_cost_sek",
          "total_cost_sek", "prescription_id", "pump_line_id", "cgm_line_id",
          "prescriber_line_id")  # fmt: skip


class CreateTempTableAs(Executable, ClauseElement):
    """CREATE TEMPORARY TABLE name AS <select>, with the select's parameters."""

    inherit_cache = False

    def __init__(self, name: str, select: sa.Select):
        self.name = name
        self.select = select


@compiles(CreateTempTableAs)
def _create_temp_table_as(element, compiler, **kw):
    select = compiler.process(element.select, **kw)
    return f"CREATE TEMPORARY TABLE {element.name} AS {select}"


def _on_postgresql() -> bool:
    return db.session.connection().dialect.name == "postgresql"


def _temp(name: str) -> sa.TableClause:
    """A table in the connection's temporary schema (never a real table)."""
    schema = "pg_temp" if _on_postgresql() else "temp"
    columns = [sa.column(column) for column in ("patient_id", "year", *STAGED)]
    return sa.table(name, *columns, schema=schema)


def _stage() -> sa.TableClause:
    return _temp(STAGE)


# Server settings for the run's transaction on PostgreSQL. JIT compiling this
# statement costs more than it saves (over a second of a few), and the grouping
# spills to disk within the default 4 MB of work_mem.
POSTGRES_SETTINGS = {"jit": "off", "work_mem": "64MB"}


def tune_session() -> None:
    """SET LOCAL the run's settings; they end with its transaction."""
    if _on_postgresql():
        connection = db.session.connection()
        for name, value in POSTGRES_SETTINGS.items():
            connection.execute(sa.text(f"SET LOCAL {name} = '{value}'"))


def drop_stage() -> None:
    connection = db.session.connection()
    for name in (STAGE, CHANGED):
        table = _temp(name)
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table.schema}.{name}")


def stage_year(year: int, scope: sa.Select | None = None) -> int:
    """Compute the year's rows of every patient in scope (all: None) into the stage.

    Returns how many patients have a row.
    """
    drop_stage()  # left by a run that failed on SQLite, where DDL may autocommit
    connection = db.session.connection()
    systems = sensor_systems()
    connection.execute(CreateTempTableAs(STAGE, year_costs(year, scope, systems)))
    stage = _stage()
    # The few patients with sensors of several systems: units summed per system.
    connection.execute(
        sa.update(stage)
        .where(stage.c.sensor_mixed == 1)
        .values(sensor_system=mixed_sensor_system(year, stage.c.patient_id, systems))
    )
    return connection.scalar(sa.select(sa.func.count()).select_from(stage))


def _article_system_of(article_id: sa.ColumnElement, kind: str):
    """The article's system of a kind, from the catalogue read once per run (a
    few dozen articles): a CASE, where a join would make the planner guess."""
    of_article = article_system(kind).subquery()
    pairs = db.session.execute(
        sa.select(of_article.c.article_id, of_article.c.system).order_by(
            of_article.c.article_id
        )
    ).all()
    if not pairs:
        return sa.null()
    whens = [(article_id == _int(article), system) for article, system in pairs]
    return sa.case(*whens)


def _changed_rows(year: int) -> sa.TableClause:
    """The staged rows whose amounts or source lines differ from the stored row
    (or that have none), into a table of their own; the rest need no lookups.

    A CGM system from sensors is compared as it stands; one from a device
    follows from the device's line, as the pump system does from the pump's.
    """
    stage = _stage()
    stored = costs.alias("stored")
    compared = ("device_cost_sek", "consumables_cost_sek", "total_cost_sek",
                "pump_line_id", "cgm_line_id", "prescriber_line_id")  # fmt: skip
    select = (
        sa.select(stage)
        .outerjoin(stored, sa.and_(stored.c.patient_id == stage.c.patient_id,
                                   stored.c.year == year))
        .where(sa.or_(stored.c.id.is_(None),
                      *[stored.c[name].is_distinct_from(stage.c[name])
                        for name in compared],
                      stored.c.cgm_system.is_distinct_from(stage.c.sensor_system)))
    )  # fmt: skip
    connection = db.session.connection()
    connection.execute(CreateTempTableAs(CHANGED, select))
    if _on_postgresql():
        # How many changed (from none to all): the lookups' plan depends on it.
        connection.exec_driver_sql(f"ANALYZE pg_temp.{CHANGED}")
    return _temp(CHANGED)


def write_year(year: int, now: datetime, *, compare: bool = True) -> int:
    """Upsert the stage into patient_year_costs; returns the rows that changed.

    With `compare`, the staged rows are first compared with the stored ones, and
    systems and prescriber are looked up only for those that differ: a rerun
    with little changed reads almost nothing more. Without (an incremental run's
    few patients, or every row after a catalogue change), all staged rows are
    looked up. Either way a row whose figures are the same is left alone,
    computed_at included: it says when the row's figures were last written.
    """
    source = _changed_rows(year) if compare else _stage()
    found = ol
    if _on_postgresql():
        # The lines named, read in one pass rather than one per role. (SQLite
        # finds a line by its rowid at once; and a statement that starts with
        # WITH gets no row count from Python's sqlite3.)
        roles = ("pump_line_id", "cgm_line_id", "prescriber_line_id")
        named = sa.union_all(*[sa.select(source.c[name]) for name in roles])
        found = (
            sa.select(ol.c.id, ol.c.article_id, ol.c.prescription_id)
            .where(ol.c.id.in_(named))
            .cte("named_lines")
        )
    pump_line, cgm_line = found.alias("pump_line"), found.alias("cgm_line")
    prescriber_line = found.alias("prescriber_line")
    written_on = Prescription.__table__.alias("written_on")
    values = {
        "patient_id": source.c.patient_id,
        "year": source.c.year,
        "pump_system": _article_system_of(pump_line.c.article_id, "pump"),
        "cgm_system": sa.func.coalesce(
            _article_system_of(cgm_line.c.article_id, "cgm"), source.c.sensor_system
        ),
        **{name: source.c[name] for name in VALUES[2:5]},
        "prescription_id": prescriber_line.c.prescription_id,
        **{name: source.c[name] for name in VALUES[6:]},
        "prescriber_id": written_on.c.prescriber_id,
        "computed_at": sa.literal(now, sa.DateTime(timezone=True)),
    }
    select = (
        sa.select(*values.values())
        .select_from(source)
        .outerjoin(pump_line, pump_line.c.id == source.c.pump_line_id)
        .outerjoin(cgm_line, cgm_line.c.id == source.c.cgm_line_id)
        .outerjoin(prescriber_line,
                   prescriber_line.c.id == source.c.prescriber_line_id)
        .outerjoin(written_on, written_on.c.id == prescriber_line.c.prescription_id)
    )  # fmt: skip
    names = list(values)
    dialect = postgresql if _on_postgresql() else sqlite
    statement = dialect.insert(costs).from_select(names, select)
    statement = statement.on_conflict_do_update(
        index_elements=["patient_id", "year"],
        set_={name: statement.excluded[name] for name in names[2:]},
        where=sa.or_(*[costs.c[name].is_distinct_from(statement.excluded[name])
                       for name in VALUES]),
    )  # fmt: skip
    statement = statement.execution_options(preserve_rowcount=True)  # an INSERT's
    return db.session.connection().execute(statement).rowcount


def remove_stale(year: int, now: datetime, scope: sa.Select | None = None) -> int:
    """Rows of patients in scope that are not in the stage: nothing falls in it.

    After `write_year` every staged patient has a row, so in a full run the
    year's rows are the staged ones plus the stale ones: equal counts mean
    nothing to remove, and counting is cheaper than looking for what is not
    there. An incremental run deletes among its few patients' rows. A row written
    after this run started (by a run that overlapped it, for a patient this
    one's stage did not have yet) is never stale to this run.
    """
    stage = _stage()
    connection = db.session.connection()
    if scope is None:  # an incremental run's few rows are simply deleted
        in_scope = sa.select(sa.func.count()).where(costs.c.year == year)
        staged = sa.select(sa.func.count()).select_from(stage)
        if connection.scalar(in_scope) == connection.scalar(staged):
            return 0
    statement = sa.delete(costs).where(
        costs.c.year == year,
        costs.c.computed_at < now,
        # NOT IN, not NOT EXISTS: SQLite indexes the list once instead of
        # scanning the stage per row; PostgreSQL hashes it.
        costs.c.patient_id.not_in(sa.select(stage.c.patient_id)),
    )
    if scope is not None:
        statement = statement.where(costs.c.patient_id.in_(scope))
    return connection.execute(statement).rowcount
