"""The statements of a run: compute the year, write what changed, remove stale rows.

1. `stage`: `compute.year_costs`, compared with the stored rows, keeping the
   rows to write or remove in a temporary table (CREATE TABLE AS, which
   PostgreSQL may run with parallel workers; an INSERT ... SELECT may not). A
   full run on PostgreSQL does this in one statement with a full join; a full
   run on SQLite stages the computed rows first; an incremental run compares
   its few patients' rows as they are summed from its `followup_groups`.
   Patients with sensors of several systems are settled one by one (they are
   few).
2. `write_year`: an upsert of the changed rows. Systems (from the catalogue)
   and prescriber (from the line's prescription) are looked up only where the
   lines they come from changed; rows whose figures did not change are left
   untouched.
3. `remove_stale`: rows of patients in scope that nothing of the year falls on.
4. `drop_stage`.
5. `refresh_statistics`: ANALYZE the stored rows after many were written.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.visitors import InternalTraversal

from sesamlike.extensions import db
from sesamlike.followup.amounts import Amounts
from sesamlike.followup.compute import (
    PAYER_KEY,
    article_system,
    costs,
    costs_something,
    line_groups,
    mixed_sensor_system,
    ol,
    on_postgresql,
    sensor_systems,
    year_costs,
)
from sesamlike.followup.sqlfuncs import array_of, in_few, literal_int
from sesamlike.prescriptions.models import Prescription

STAGE = "followup_stage"
CHANGED = "followup_changed"
SCOPE = "followup_scope"
GROUPS = "followup_groups"
# What `followup_groups` holds: `compute.line_groups`'s rows.
GROUPED = ("patient_id", *PAYER_KEY, "units", "device", "consumables",
           "pump_part", "cgm_part", "pump_key", "cgm_key", "cgm_low")  # fmt: skip
# What the stage holds beside patient_id and year.
STAGED = ("device_cost_sek", "consumables_cost_sek", "total_cost_sek",
          "pump_line_id", "cgm_line_id", "prescriber_line_id",
          "sensor_system", "sensor_mixed",
          "pump_part_sek", "cgm_part_sek")  # fmt: skip
# What the stage and the stored row are compared by to find the changed rows.
# Not the total: a run writes it as the device cost plus the consumables (both
# compared), and each stored amount is turned into whole öre to compare (a
# NUMERIC product per row: at 500,000 patients a tenth of a second each).
COMPARED = ("device_cost_sek", "consumables_cost_sek",
            "pump_line_id", "cgm_line_id", "prescriber_line_id",
            "pump_part_sek", "cgm_part_sek")  # fmt: skip
# The amounts among them: staged as `Amounts.device_staged` says (whole öre on
# PostgreSQL), and written as `Amounts.staged_sek` says.
AMOUNTS = ("device_cost_sek", "consumables_cost_sek", "total_cost_sek",
           "pump_part_sek", "cgm_part_sek")  # fmt: skip
# What a changed row carries of the stored row (None: there is none), by name
# in `followup_changed`: the systems and prescriber it may keep.
WAS = {"stored_id": "id", "was_pump_line_id": "pump_line_id",
       "was_cgm_line_id": "cgm_line_id",
       "was_prescriber_line_id": "prescriber_line_id",
       "was_pump_system": "pump_system", "was_cgm_system": "cgm_system",
       "was_prescription_id": "prescription_id",
       "was_prescriber_id": "prescriber_id"}  # fmt: skip
# What later statements filter or join `followup_changed` by: its statistics
# (`_analyze`). The rest it only carries.
PLANNED = ("patient_id", "stale", "stored_id", "pump_line_id", "cgm_line_id",
           "prescriber_line_id")  # fmt: skip
# A stored row's figures: one that differs from the computed one is rewritten.
VALUES = ("pump_system", "cgm_system", "device_cost_sek", "consumables_cost_sek",
          "total_cost_sek", "prescription_id", "pump_line_id", "cgm_line_id",
          "prescriber_line_id", "pump_part_sek", "cgm_part_sek")  # fmt: skip


class CreateTempTableAs(Executable, ClauseElement):
    """CREATE TEMPORARY TABLE name AS <select>, with the select's parameters.

    Cached as its select is (by the name and the select's cache key): a run's
    statements are the same each time but for bound values, and compiling the
    large ones again cost more client time than an incremental run's database
    work on SQLite.
    """

    inherit_cache = False
    _traverse_internals = [
        ("name", InternalTraversal.dp_string),
        ("select", InternalTraversal.dp_clauseelement),
    ]

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


def _changed() -> sa.TableClause:
    return _temp(CHANGED, ("patient_id", "year", *STAGED, "stale", *WAS))


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


def _analyze(name: str, columns: tuple[str, ...] = ()) -> None:
    """Statistics for a temporary table on PostgreSQL (autovacuum never sees
    one): without them the planner guesses its size from its pages, and plans a
    few hundred patients' lookups as if they were thousands, or the reverse.

    Any ANALYZE counts the rows; `columns` limits the per-column statistics to
    those the later statements filter or join by. Each column's statistics
    cost about a millisecond: all 21 of `followup_changed` were 30 ms of an
    incremental run at 500,000 patients (5,000 changed), its six 4 ms."""
    if on_postgresql():
        listed = f" ({', '.join(columns)})" if columns else ""
        db.session.connection().exec_driver_sql(f"ANALYZE pg_temp.{name}{listed}")


def groups() -> sa.TableClause:
    """`followup_groups`: the lines of a run that stages with `payers`, summed
    per patient and payer (`compute.line_groups`), for `cost_centres.store_payers`."""
    return _temp(GROUPS, GROUPED)


def changed_rows() -> sa.Select:
    """The patients of `followup_changed`: figures new, changed or stale."""
    return sa.select(_changed().c.patient_id)


def drop_stage() -> None:
    """Drop the run's tables (PostgreSQL: in one statement)."""
    connection = db.session.connection()
    names = [f"{_temp(name).schema}.{name}" for name in (STAGE, CHANGED, SCOPE, GROUPS)]
    if on_postgresql():
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {', '.join(names)}")
        return
    for name in names:
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")


def _drop_left_over() -> None:
    """Drop the tables a run that failed left on SQLite, where DDL may
    autocommit. (PostgreSQL's DDL is part of the run's transaction: a failed
    run's tables went with its rollback, and a run drops its own before it
    commits.)"""
    if not on_postgresql():
        drop_stage()


def fix_scope(patients: sa.Select) -> sa.Select:
    """The patients an incremental run computes, read once into a table.

    Staging and removing must see the same patients: read again at the end, the
    scope would take in a patient whose line was written meanwhile, and remove
    that patient's row as if nothing fell in the year.
    """
    _drop_left_over()
    distinct = sa.select(patients.subquery().c.patient_id).distinct()
    db.session.connection().execute(CreateTempTableAs(SCOPE, distinct))
    _analyze(SCOPE)
    return sa.select(_temp(SCOPE, ("patient_id",)).c.patient_id)


def stage(year: int, scope: sa.Select | None = None, *,
          rederive: bool = False, today: date | None = None,
          payers: bool = False,
          amounts: Amounts | None = None) -> int | None:  # fmt: skip
    """Compute the year's rows of the patients in scope (all: None) and keep
    those to write or remove in `followup_changed`.

    With `payers` the lines are read once for the costs and who paid them:
    summed per patient and payer into `followup_groups` (`groups`), and the
    patients' rows summed from there. An incremental run (a scope) always
    does so, and compares its rows with the stored ones straight from there:
    its patients are those of `followup_groups` (see `remove_stale`).

    Returns how many patients have a row, where that is known without counting:
    a full run on PostgreSQL keeps only the changes, and its count is read after
    writing (None). `amounts`: the run's, passed on to `write_year` too.
    """
    if scope is None:  # else fix_scope has cleared what a failed run left
        _drop_left_over()
    connection = db.session.connection()
    systems = sensor_systems()
    amounts = amounts or Amounts.for_session()
    groups_table = None
    if payers or scope is not None:
        grouped = line_groups(year, scope, systems, amounts, today=today,
                              few=scope is not None)  # fmt: skip
        connection.execute(CreateTempTableAs(GROUPS, grouped))
        groups_table = groups()
    computed = year_costs(year, scope, systems, amounts, today=today,
                          groups=groups_table)  # fmt: skip
    if scope is None and on_postgresql():
        _keep_changes(year, computed.subquery("computed"), systems, amounts,
                      rederive=rederive, full_join=True)  # fmt: skip
        return None
    if scope is not None:
        # A few patients' rows: compared as they come, not written to a
        # table first (and counted among the groups).
        _keep_changes(year, computed.subquery("computed"), systems, amounts,
                      rederive=rederive, full_join=False)  # fmt: skip
        patients = sa.select(
            sa.func.count(sa.distinct(groups_table.c.patient_id))
        ).where(costs_something(groups_table))
        return connection.scalar(patients)
    connection.execute(CreateTempTableAs(STAGE, computed))
    staged = connection.scalar(sa.select(sa.func.count()).select_from(_stage()))
    _keep_changes(year, _stage(), systems, amounts, rederive=rederive,
                  full_join=False)  # fmt: skip
    return staged


def _keep_changes(year: int, computed, systems, amounts: Amounts, *,
                  rederive: bool, full_join: bool) -> None:  # fmt: skip
    """The computed rows whose amounts or source lines differ from the stored row
    (or that have none), with what the stored row says, into `followup_changed`:
    the rest are left alone, and need no lookups. After a catalogue change
    (`rederive`) every row is kept, its systems to be looked up again.

    With `full_join` (a full run on PostgreSQL, straight from the computation)
    the year's stored rows of patients not computed come too, marked stale. The
    computed rows are then never written to a table of their own: most of a
    rerun's rows are the same as stored, and writing them all out to compare
    them afterwards cost about a tenth of the run.

    Amounts are compared as staged (`Amounts.stored_staged`: whole öre on
    PostgreSQL). A CGM system from sensors is compared as it stands; one from a device
    follows from the device's line, as the pump system does from the pump's.
    Patients whose sensors are of several systems are always kept, and settled
    here (they are few).
    """
    if full_join:
        stored = sa.select(costs).where(costs.c.year == year).subquery("stored")
        joined = computed.join(stored, stored.c.patient_id == computed.c.patient_id,
                               full=True)  # fmt: skip
        patient = sa.func.coalesce(computed.c.patient_id, stored.c.patient_id)
        stale = sa.case((computed.c.patient_id.is_(None), 1), else_=0)
    elif on_postgresql():  # an incremental run's patients: each by its key,
        # whatever the statistics of the stored rows say (the last full run
        # may have written all of them since they were gathered). LIMIT keeps
        # the planner from making the lateral select a join again.
        stored = (
            sa.select(costs)
            .where(costs.c.patient_id == computed.c.patient_id, costs.c.year == year)
            .limit(1)
            .lateral("stored")
        )
        joined = computed.outerjoin(stored, sa.true())
        patient, stale = computed.c.patient_id, literal_int(0)
    else:  # SQLite finds each by its key
        stored = costs.alias("stored")
        on = sa.and_(stored.c.patient_id == computed.c.patient_id,
                     stored.c.year == year)  # fmt: skip
        joined = computed.outerjoin(stored, on)
        patient, stale = computed.c.patient_id, literal_int(0)
    differs = sa.or_(
        stored.c.id.is_(None),
        stale == 1,
        computed.c.sensor_mixed == 1,
        *[_as_staged(stored, name, amounts).is_distinct_from(computed.c[name])
          for name in COMPARED],
        sa.and_(computed.c.cgm_line_id.is_(None),
                stored.c.cgm_system.is_distinct_from(computed.c.sensor_system)),
    )  # fmt: skip
    select = sa.select(
        patient.label("patient_id"),
        sa.literal(year).label("year"),
        *[computed.c[name] for name in STAGED],
        stale.label("stale"),
        *[stored.c[column].label(name) for name, column in WAS.items()],
    ).select_from(joined)
    if not rederive:
        select = select.where(differs)
    connection = db.session.connection()
    connection.execute(CreateTempTableAs(CHANGED, select))
    changed = _changed()
    connection.execute(
        sa.update(changed)
        .where(changed.c.sensor_mixed == 1)
        .values(sensor_system=mixed_sensor_system(year, changed.c.patient_id, systems))
    )
    # How many changed (from none to all): the lookups' plan depends on it.
    _analyze(CHANGED, PLANNED)


def _as_staged(stored, name: str, amounts: Amounts) -> sa.ColumnElement:
    """A stored row's column as the computed row has it."""
    column = stored.c[name]
    return amounts.stored_staged(column) if name in AMOUNTS else column


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


def _prescription_of(line, chain_first) -> sa.ColumnElement[int]:
    """The prescription a line's prescriber comes from: its own; a warranty
    replacement has none, and takes that of the patient's first line of its
    chain. That is the chain's first device (`chain_first`, the line at
    `amortised_line_id`), unless the chain began with a device lent again:
    then the first device was another patient's, and the patient's own first
    line is the one that lent it to them (it continues the same amortisation
    and replaces nothing). Found through the chains' index, for the few lines
    without a prescription of their own."""
    own_first = ol.alias("own_first")
    lent_again = (
        sa.select(own_first.c.prescription_id)
        .where(
            own_first.c.amortised_line_id == line.c.amortised_line_id,
            own_first.c.patient_id == line.c.patient_id,
            own_first.c.replaces_line_id.is_(None),
            own_first.c.prescription_id.is_not(None),
        )
        .order_by(own_first.c.id)
        .limit(1)
        .scalar_subquery()
    )
    return sa.func.coalesce(
        line.c.prescription_id, lent_again, chain_first.c.prescription_id
    )


def write_year(year: int, now: datetime, *, rederive: bool = False,
               amounts: Amounts | None = None) -> int:  # fmt: skip
    """Upsert the changed rows into patient_year_costs; returns the rows written.

    A row keeps the stored row's systems when its pump and CGM device lines are
    the same (the catalogue unchanged: not `rederive`), and the stored
    prescription and prescriber when its prescriber's line is the same; only
    the lines that differ are read. That holds because a line's article and
    prescription, and a prescription's prescriber, are never changed (nothing
    writes them after the line or prescription is made). A new delivery of
    consumables thus changes the amounts and reads nothing more.

    A row whose figures are the same is left alone, computed_at included: it
    says when the row's figures were last written. `amounts`: the run's (as
    it staged them).
    """
    amounts = amounts or Amounts.for_session()
    source = _changed()
    live = source.c.stale == 0
    roles = ("pump_line_id", "cgm_line_id", "prescriber_line_id")
    same = {
        role: sa.and_(source.c.stored_id.is_not(None),
                      source.c[f"was_{role}"].is_not_distinct_from(source.c[role]))
        for role in roles
    }  # fmt: skip
    if rederive:  # the systems and the prescriber are looked up again
        same = dict.fromkeys(roles, sa.false())
    found = ol
    # A warranty replacement has no prescription of its own: its prescriber
    # is that of the first device of its chain (`amortised_line_id`).
    chain_first = ol.alias("chain_first")
    if on_postgresql():
        # The lines to read, in one pass rather than one per role. (SQLite
        # finds a line by its rowid at once; and a statement that starts with
        # WITH gets no row count from Python's sqlite3.) As an array, the
        # index is walked in the order of the ids, which is the order of the
        # table: when every row is written (a first run), a third of the time
        # of looking them up in the order they come.
        named = sa.union_all(*[
            sa.select(source.c[role]).where(live, sa.not_(same[role]))
            for role in roles
        ])  # fmt: skip
        own_or_first = _prescription_of(ol, chain_first)
        found = (
            sa.select(ol.c.id, ol.c.article_id, own_or_first.label("prescription_id"))
            .select_from(ol)
            .outerjoin(chain_first, chain_first.c.id == ol.c.amortised_line_id)
            .where(ol.c.id == sa.any_(array_of(named.scalar_subquery())))
            .cte("named_lines")
        )
        prescriptions = Prescription.__table__
        written_on = (
            sa.select(prescriptions.c.id, prescriptions.c.prescriber_id)
            .where(prescriptions.c.id == sa.any_(array_of(
                sa.select(found.c.prescription_id).scalar_subquery())))
            .cte("written_on")
        )  # fmt: skip
    else:
        written_on = Prescription.__table__.alias("written_on")
    pump_line, cgm_line = found.alias("pump_line"), found.alias("cgm_line")
    prescriber_line = found.alias("prescriber_line")
    prescriber_same = same["prescriber_line_id"]
    prescription = prescriber_line.c.prescription_id  # the CTE's: own or first
    if found is ol:
        prescription = _prescription_of(prescriber_line, chain_first)
    values = {
        "patient_id": source.c.patient_id,
        "year": source.c.year,
        # No pump, no pump system: a stored row from before the lines were
        # kept has none named either, and may still name a system.
        "pump_system": sa.case(
            (source.c.pump_line_id.is_(None), sa.null()),
            (same["pump_line_id"], source.c.was_pump_system),
            else_=_article_system_of(pump_line.c.article_id, "pump"),
        ),
        # The CGM device's system when one is in use (even none), as the rules.
        "cgm_system": sa.case(
            (source.c.cgm_line_id.is_(None), source.c.sensor_system),
            (same["cgm_line_id"], source.c.was_cgm_system),
            else_=_article_system_of(cgm_line.c.article_id, "cgm"),
        ),
        **{name: _written(source, name, amounts) for name in VALUES[2:5]},
        "prescription_id": sa.case(
            (prescriber_same, source.c.was_prescription_id),
            else_=prescription,
        ),
        **{name: _written(source, name, amounts) for name in VALUES[6:]},
        "prescriber_id": sa.case(
            (prescriber_same, source.c.was_prescriber_id),
            else_=written_on.c.prescriber_id,
        ),
        "computed_at": sa.literal(now, sa.DateTime(timezone=True)),
    }
    select = (
        sa.select(*values.values())
        .select_from(source)
        .outerjoin(pump_line, pump_line.c.id == source.c.pump_line_id)
        .outerjoin(cgm_line, cgm_line.c.id == source.c.cgm_line_id)
        .outerjoin(prescriber_line,
                   prescriber_line.c.id == source.c.prescriber_line_id)
    )  # fmt: skip
    if found is ol:
        select = select.outerjoin(
            chain_first, chain_first.c.id == prescriber_line.c.amortised_line_id
        )
    select = (
        select.outerjoin(written_on, written_on.c.id == prescription)
        .where(live)
        # In key order: the index entries and key checks of a first run's
        # rows then go page after page.
        .order_by(source.c.patient_id)
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


def _written(source, name: str, amounts: Amounts) -> sa.ColumnElement:
    """A changed row's column as it is stored."""
    column = source.c[name]
    return amounts.staged_sek(column) if name in AMOUNTS else column


def remove_stale(year: int, now: datetime, scope: sa.Select | None = None,
                 staged: int | None = None) -> int:  # fmt: skip
    """Rows of patients in scope that nothing of the year falls on any more.

    - A full run on PostgreSQL (`staged` None) has them marked stale among the
      changes.
    - A full run on SQLite: after `write_year` every staged patient has a row,
      so the year's rows are the staged ones plus the stale ones. Equal counts
      mean nothing to remove, and counting is cheaper than looking for what is
      not there.
    - An incremental run: its patients with no line of the year summed
      (`followup_groups`), each found by its key.

    A row written after this run started (by a run that overlapped it, for a
    patient this one did not compute) is never stale to this run.
    """
    stage = _stage()
    connection = db.session.connection()
    if staged is None:
        changed = _changed()
        stale = costs.c.patient_id.in_(
            sa.select(changed.c.patient_id).where(changed.c.stale == 1)
        )
    elif scope is None:
        in_year = sa.select(sa.func.count()).where(costs.c.year == year)
        if connection.scalar(in_year) == staged:
            return 0
        # NOT IN, not NOT EXISTS: SQLite indexes the list once instead of
        # scanning the stage per row.
        stale = costs.c.patient_id.not_in(sa.select(stage.c.patient_id))
    else:
        in_scope, summed = _temp(SCOPE, ("patient_id",)), groups()
        gone = sa.select(in_scope.c.patient_id).where(
            in_scope.c.patient_id.not_in(
                sa.select(summed.c.patient_id).where(costs_something(summed))
            )
        )
        # Each by its key, whatever the statistics of the stored rows say.
        stale = in_few(costs.c.patient_id, gone, postgresql=on_postgresql())
    statement = sa.delete(costs).where(
        costs.c.year == year, costs.c.computed_at < now, stale
    )
    return connection.execute(statement).rowcount


def refresh_statistics(written: int) -> None:
    """ANALYZE the stored costs and payers (PostgreSQL) when a run wrote or
    removed many rows against what their statistics say the table holds: as
    autovacuum would (50 rows and a tenth), which may be off, or not yet
    round. A region's first run into tables analyzed nearly empty left the
    planner counting 200 rows: the next night's incremental run then read the
    whole table for each of its patients' stored rows (500,000 patients x 5
    years: 117 s, not 1). Within the run's transaction, which the ANALYZE
    sees as written; a few hundred milliseconds on a first run of 24 s."""
    if not on_postgresql() or written == 0:
        return
    connection = db.session.connection()
    known = connection.exec_driver_sql(
        "SELECT reltuples FROM pg_class WHERE oid = 'patient_year_costs'::regclass"
    ).scalar()
    if written < 50 + 0.1 * max(known or 0, 0):  # -1: never analyzed
        return
    connection.exec_driver_sql("ANALYZE patient_year_costs, patient_year_payers")


def count_year(year: int, now: datetime) -> int:
    """The patients a full run computed, counted among the year's rows once it
    has written and removed: every patient it computed has one, computed at
    `now` or before. A row a later run wrote meanwhile is not this run's."""
    return db.session.scalar(
        sa.select(sa.func.count()).where(costs.c.year == year,
                                         costs.c.computed_at <= now)
    )  # fmt: skip
