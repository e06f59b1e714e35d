"""The cost rules set-based in SQL: a few statements per year.

`followup.rules` states the same rules in Python; tests hold the two together.

1. `stage_year`: one SELECT reads the order lines once (the year's consumables,
   and durable devices and CGM transmitters delivered early enough to still be in
   use in it), groups them by patient and attributes systems and prescriber. It
   fills a temporary table with CREATE TABLE AS, which PostgreSQL may run with
   parallel workers (an INSERT ... SELECT may not).
2. `write_year`: an upsert from the stage that leaves rows whose figures did not
   change untouched (a nightly full run rewrites almost nothing).
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
from sesamlike.followup.models import PatientYearCost
from sesamlike.followup.rules import COUNTED_STATUSES, DAYS_PER_YEAR
from sesamlike.followup.sqlfuncs import (
    argmax_key,
    epoch_day,
    floor_int,
    greatest,
    key_article,
    key_prescription,
    least,
    money,
    round_ore,
)
from sesamlike.orders.models import Order, OrderLine, Prescription

# Device lines older than this cannot reach the year (longest amortisation: 10).
LOOKBACK_YEARS = 12
# line id × base + prescription id: a number whose MAX is the patient's last line
# and whose remainder is that line's prescription (ids below 2^31, lines below
# 2^32: a 64-bit integer holds it).
LAST_KEY_BASE = 2**31

ol = OrderLine.__table__
orders = Order.__table__
art = Article.__table__
costs = PatientYearCost.__table__


def epoch(day: date) -> int:
    return (day - date(1970, 1, 1)).days


def durable_expr() -> sa.ColumnElement[bool]:
    return sa.func.coalesce(art.c.amortisation_years, 0) > 0


def value_expr() -> sa.ColumnElement:
    """Packs × pack price, with VAT on pharmacy lines (the line's snapshots)."""
    vat = sa.case((ol.c.channel == "pharmacy", 1 + money(ol.c.vat_rate)), else_=1)
    return ol.c.packs * money(ol.c.pack_price_sek) * vat


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


def line_costs(year: int, scope: sa.Select | None = None) -> sa.Select:
    """Every line with a part in the year, with what the rules make of it.

    Consumables delivered in the year, and durable devices and CGM transmitters
    in use on at least one of its days. One row per line. Written for SQLite,
    which shares no common subexpressions: plain consumable lines (nine in ten)
    pass only cheap tests, and days in use are computed only for devices.
    """
    first, after = date(year, 1, 1), date(year + 1, 1, 1)
    durable = art.c.amortisation_years > 0  # NULL for consumables: not true
    in_use = sa.or_(durable_expr(), art.c.category == "cgm_transmitter")
    days = sa.case((in_use, days_expr(year)), else_=0)
    key = argmax_key(days, epoch_day(ol.c.delivered_on), ol.c.id, ol.c.article_id,
                     ol.c.prescription_id)  # fmt: skip
    where = [
        counted(incremental=scope is not None),
        ol.c.delivered_on >= date(year - LOOKBACK_YEARS, 1, 1),
        ol.c.delivered_on < after,
        sa.or_(sa.and_(ol.c.delivered_on >= first, sa.not_(in_use)), days > 0),
    ]
    if scope is not None:
        where.append(orders.c.patient_id.in_(scope))
    amortised = value_expr() * days / (art.c.amortisation_years * DAYS_PER_YEAR)
    category = art.c.category
    return (
        sa.select(
            orders.c.patient_id,
            ol.c.id.label("line_id"),
            ol.c.article_id,
            # NULL, not 0, where a line has no part: SUM skips a NULL and
            # adding a NUMERIC zero nine lines in ten is not free.
            sa.case((durable, amortised)).label("device"),
            # A transmitter delivered in an earlier year costs nothing now.
            sa.case((durable, None),
                    (ol.c.delivered_on < first, None),
                    else_=value_expr()).label("consumables"),
            (ol.c.packs * art.c.pack_size).label("units"),
            # MAX picks the last line; its prescription is the remainder.
            (sa.cast(ol.c.id, sa.BigInteger) * LAST_KEY_BASE
             + sa.func.coalesce(ol.c.prescription_id, 0)).label("last_key"),
            sa.case((category == "pump", key)).label("pump_key"),
            sa.case((category.in_(("cgm_reader", "cgm_transmitter")), key))
            .label("cgm_key"),
        )
        .select_from(ol.join(orders, orders.c.id == ol.c.order_id))
        .join(art, art.c.id == ol.c.article_id)
        .where(*where)
    )  # fmt: skip


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


def _sensor_system(sums: sa.Subquery, systems: list[tuple[str, list[int]]]):
    """The system with the most sensor units (then the first name); else NULL."""
    if not systems:
        return sa.null()
    units = [sa.func.coalesce(sums.c[f"sensor_{i}"], 0) for i in range(len(systems))]
    most = units[0] if len(units) == 1 else greatest(*units)
    names = [name for name, _ids in systems]
    first = sa.case(*[(u == most, n) for u, n in zip(units, names, strict=True)])
    return sa.case((most > 0, first), else_=sa.null())


def year_costs(year: int, scope: sa.Select | None = None) -> sa.Select:
    """One row per patient with a cost in the year, in patient_year_costs' shape.

    One pass over the lines grouped by patient, as a hand-written query would.
    The device in use longest is the MAX of `argmax_key` over lines with days in
    use, so no window over lines is needed; the sensors' units are summed per CGM
    system in one column each (the catalogue's systems, read first), so no
    second grouping either. The prescription the prescriber comes from rides in
    the winning key, else in the patient's last line (`last_key`); its
    prescriber is looked up by `write_year`, for the rows it writes only.
    """
    lines = line_costs(year, scope).subquery("lines")
    systems = sensor_systems()
    sums = (
        sa.select(
            lines.c.patient_id,
            sa.func.sum(lines.c.device).label("device"),
            sa.func.sum(lines.c.consumables).label("consumables"),
            sa.func.max(lines.c.pump_key).label("pump_key"),
            sa.func.max(lines.c.cgm_key).label("cgm_key"),
            sa.func.max(lines.c.last_key).label("last_key"),
            *[
                # The ids are sensors': no need to test the category again.
                sa.func.sum(sa.case((lines.c.article_id.in_(ids),
                                     lines.c.units))).label(f"sensor_{i}")
                for i, (_name, ids) in enumerate(systems)
            ],
        )
        .group_by(lines.c.patient_id)
        .subquery("sums")
    )  # fmt: skip
    pump_of = article_system("pump").subquery("pump_of")
    reader_of = article_system("cgm").subquery("reader_of")
    device = round_ore(sa.func.coalesce(sums.c.device, 0))
    consumables = round_ore(sa.func.coalesce(sums.c.consumables, 0))
    prescription_id = sa.case(
        (sums.c.pump_key.is_not(None), key_prescription(sums.c.pump_key)),
        (sums.c.cgm_key.is_not(None), key_prescription(sums.c.cgm_key)),
        else_=sa.func.nullif(sums.c.last_key % LAST_KEY_BASE, 0),
    )
    return (
        sa.select(
            sums.c.patient_id,
            sa.literal(year).label("year"),
            pump_of.c.system.label("pump_system"),
            sa.func.coalesce(reader_of.c.system, _sensor_system(sums, systems))
            .label("cgm_system"),
            device.label("device_cost_sek"),
            consumables.label("consumables_cost_sek"),
            (device + consumables).label("total_cost_sek"),
            prescription_id.label("prescription_id"),
        )
        .select_from(sums)
        .outerjoin(pump_of, pump_of.c.article_id == key_article(sums.c.pump_key))
        .outerjoin(reader_of, reader_of.c.article_id == key_article(sums.c.cgm_key))
    )  # fmt: skip


# The statements ----------------------------------------------------------------

STAGE = "followup_stage"
VALUES = ("pump_system", "cgm_system", "device_cost_sek", "consumables_cost_sek",
          "total_cost_sek", "prescription_id")  # fmt: skip


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


def _stage() -> sa.TableClause:
    """The stage in the connection's temporary schema (never a real table)."""
    schema = "pg_temp" if _on_postgresql() else "temp"
    return sa.table(STAGE, sa.column("patient_id"), sa.column("year"),
                    *[sa.column(name) for name in VALUES], schema=schema)  # fmt: skip


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
    stage = _stage()
    db.session.connection().exec_driver_sql(
        f"DROP TABLE IF EXISTS {stage.schema}.{STAGE}"
    )


def stage_year(year: int, scope: sa.Select | None = None) -> int:
    """Compute the year's rows of every patient in scope (all: None) into the stage.

    Returns how many patients have a row.
    """
    drop_stage()  # left by a run that failed on SQLite, where DDL may autocommit
    connection = db.session.connection()
    connection.execute(CreateTempTableAs(STAGE, year_costs(year, scope)))
    if _on_postgresql():
        # Statistics, so that joining a few changed patients' rows probes the
        # index instead of reading the whole year (autovacuum skips temp tables).
        connection.exec_driver_sql(f"ANALYZE pg_temp.{STAGE}")
    return connection.scalar(sa.select(sa.func.count()).select_from(_stage()))


def write_year(year: int, now: datetime) -> int:
    """Upsert the stage into patient_year_costs; returns the rows that changed.

    A row whose figures are the same is left alone, computed_at included: it
    says when the row's figures were last written.
    """
    stage = _stage()
    names = ["patient_id", "year", *VALUES, "prescriber_id", "computed_at"]
    # Only new and changed rows go to the upsert: one join finds them, where
    # probing the unique index row by row for unchanged ones would cost more.
    # A prescription's prescriber never changes, so it is looked up only here.
    stored = costs.alias("stored")
    written_on = Prescription.__table__.alias("written_on")
    prescriber = (
        sa.select(written_on.c.prescriber_id)
        .where(written_on.c.id == stage.c.prescription_id)
        .scalar_subquery()
    )
    select = (
        sa.select(
            *[stage.c[name] for name in names[:-2]],
            prescriber,
            sa.literal(now, sa.DateTime(timezone=True)),
        )
        .outerjoin(stored, sa.and_(stored.c.patient_id == stage.c.patient_id,
                                   stored.c.year == year))
        .where(sa.or_(stored.c.id.is_(None),
                      *[stored.c[name].is_distinct_from(stage.c[name])
                        for name in VALUES]))
    )  # fmt: skip
    connection = db.session.connection()
    dialect = postgresql if _on_postgresql() else sqlite
    statement = dialect.insert(costs).from_select(names, select)
    statement = statement.on_conflict_do_update(
        index_elements=["patient_id", "year"],
        set_={name: statement.excluded[name] for name in names[2:]},
        where=sa.or_(*[costs.c[name].is_distinct_from(statement.excluded[name])
                       for name in VALUES]),
    )  # fmt: skip
    statement = statement.execution_options(preserve_rowcount=True)  # an INSERT's
    return connection.execute(statement).rowcount


def remove_stale(year: int, now: datetime, scope: sa.Select | None = None) -> int:
    """Rows of patients in scope that are not in the stage: nothing falls in it.

    After `write_year` every staged patient has a row, so the rows in scope are
    the staged ones plus the stale ones: equal counts mean nothing to remove,
    and counting is cheaper than looking for what is not there. A row written
    after this run started (by a run that overlapped it, for a patient this
    one's stage did not have yet) is never stale to this run.
    """
    stage = _stage()
    connection = db.session.connection()
    in_scope = sa.select(sa.func.count()).select_from(costs).where(costs.c.year == year)
    staged = sa.select(sa.func.count()).select_from(stage)
    if scope is not None:
        in_scope = in_scope.where(costs.c.patient_id.in_(scope))
        staged = staged.where(stage.c.patient_id.in_(scope))
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
