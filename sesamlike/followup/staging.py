"""The statements of a run: stage the year, write what changed, remove stale rows.

1. `stage_year`: `compute.year_costs` into a temporary table with CREATE TABLE
   AS, which PostgreSQL may run with parallel workers (an INSERT ... SELECT may
   not); patients with sensors of several systems are then settled one by one
   (they are few).
2. `write_year`: an upsert from the stage. A full run first keeps the rows whose
   amounts or source lines differ from the stored ones; systems (from the
   catalogue) and prescriber (from the line's prescription) are looked up for
   those only, and rows whose figures did not change are left untouched.
3. `remove_stale`: rows of patients in scope that nothing of the year falls on.
4. `drop_stage`.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.elements import ClauseElement

from sesamlike.extensions import db
from sesamlike.followup.compute import (
    article_system,
    costs,
    mixed_sensor_system,
    ol,
    on_postgresql,
    sensor_systems,
    year_costs,
)
from sesamlike.followup.sqlfuncs import literal_int
from sesamlike.orders.models import Prescription

STAGE = "followup_stage"
CHANGED = "followup_changed"
SCOPE = "followup_scope"
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


def _temp(name: str, columns=("patient_id", "year", *STAGED)) -> sa.TableClause:
    """A table in the connection's temporary schema (never a real table)."""
    schema = "pg_temp" if on_postgresql() else "temp"
    return sa.table(name, *[sa.column(column) for column in columns], schema=schema)


def _stage() -> sa.TableClause:
    return _temp(STAGE)


# Server settings for the run's transaction on PostgreSQL. JIT compiling this
# statement costs more than it saves (over a second of a few), and the grouping
# spills to disk within the default 4 MB of work_mem.
POSTGRES_SETTINGS = {"jit": "off", "work_mem": "64MB"}


def tune_session() -> None:
    """SET LOCAL the run's settings; they end with its transaction."""
    if on_postgresql():
        connection = db.session.connection()
        for name, value in POSTGRES_SETTINGS.items():
            connection.execute(sa.text(f"SET LOCAL {name} = '{value}'"))


def drop_stage() -> None:
    connection = db.session.connection()
    for name in (STAGE, CHANGED, SCOPE):
        table = _temp(name)
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table.schema}.{name}")


def fix_scope(patients: sa.Select) -> sa.Select:
    """The patients an incremental run computes, read once into a table.

    Staging and removing must see the same patients: read again at the end, the
    scope would take in a patient whose line was written meanwhile, and remove
    that patient's row as if nothing fell in the year.
    """
    drop_stage()  # left by a run that failed on SQLite, where DDL may autocommit
    distinct = sa.select(patients.subquery().c.patient_id).distinct()
    db.session.connection().execute(CreateTempTableAs(SCOPE, distinct))
    return sa.select(_temp(SCOPE, ("patient_id",)).c.patient_id)


def stage_year(year: int, scope: sa.Select | None = None) -> int:
    """Compute the year's rows of every patient in scope (all: None) into the stage.

    Returns how many patients have a row.
    """
    if scope is None:  # else fix_scope has cleared what a failed run left
        drop_stage()  # (on SQLite, where DDL may autocommit)
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
    whens = [(article_id == literal_int(article), system) for article, system in pairs]
    return sa.case(*whens)


def _changed_rows(year: int) -> sa.TableClause:
    """The staged rows whose amounts or source lines differ from the stored row
    (or that have none), into a table of their own; the rest need no lookups.

    A CGM system from sensors is compared as it stands; one from a device
    follows from the device's line, as the pump system does from the pump's
    (and a catalogue change makes the run look every row up again).
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
                      sa.and_(stage.c.cgm_line_id.is_(None),
                              stored.c.cgm_system.is_distinct_from(
                                  stage.c.sensor_system))))
    )  # fmt: skip
    connection = db.session.connection()
    connection.execute(CreateTempTableAs(CHANGED, select))
    if on_postgresql():
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
    if on_postgresql():
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
        # The CGM device's system when one is in use (even none), as the rules.
        "cgm_system": sa.case(
            (
                source.c.cgm_line_id.is_not(None),
                _article_system_of(cgm_line.c.article_id, "cgm"),
            ),
            else_=source.c.sensor_system,
        ),  # fmt: skip
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
    dialect = postgresql if on_postgresql() else sqlite
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
    if scope is None:  # a full run counts first; an incremental run just deletes
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
