"""The cost rules set-based in SQL: one INSERT ... SELECT ... ON CONFLICT per year.

`followup.rules` states the same rules in Python; tests hold the two together.
The statement reads the order lines once: the year's consumables, and durable
devices and CGM transmitters delivered early enough to still be in use in it.
Everything else is grouping.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from sesamlike.catalog.models import Article, System, article_systems
from sesamlike.extensions import db
from sesamlike.followup.models import PatientYearCost
from sesamlike.followup.rules import COUNTED_STATUSES, DAYS_PER_YEAR
from sesamlike.followup.sqlfuncs import (
    argmax_key,
    epoch_day,
    floor_int,
    greatest,
    key_article,
    key_line,
    least,
    money,
    round_ore,
)
from sesamlike.orders.models import Order, OrderLine, Prescription

# Device lines older than this cannot reach the year (longest amortisation: 10).
LOOKBACK_YEARS = 12

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
    key = argmax_key(days, epoch_day(ol.c.delivered_on), ol.c.id, ol.c.article_id)
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
            sa.case((durable, amortised), else_=0).label("device"),
            # A transmitter delivered in an earlier year costs nothing now.
            sa.case((durable, 0),
                    (ol.c.delivered_on < first, 0),
                    else_=value_expr()).label("consumables"),
            (ol.c.packs * art.c.pack_size).label("units"),
            sa.case((category == "pump", key)).label("pump_key"),
            sa.case((category.in_(("cgm_reader", "cgm_transmitter")), key))
            .label("cgm_key"),
            sa.case((category == "cgm_sensor", ol.c.article_id))
            .label("sensor_article"),
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


def year_costs(year: int, scope: sa.Select | None = None) -> sa.Select:
    """One row per patient with a cost in the year, in patient_year_costs' shape.

    One pass over the lines, grouped by patient and sensor article, then by
    patient. The device in use longest is the MAX of `argmax_key` over lines with
    days in use, so no window over lines is needed.
    """
    lines = line_costs(year, scope).subquery("lines")
    partial = (
        sa.select(
            lines.c.patient_id,
            lines.c.sensor_article,
            sa.func.sum(lines.c.device).label("device"),
            sa.func.sum(lines.c.consumables).label("consumables"),
            sa.func.sum(lines.c.units).label("units"),
            sa.func.max(lines.c.pump_key).label("pump_key"),
            sa.func.max(lines.c.cgm_key).label("cgm_key"),
            sa.func.max(lines.c.line_id).label("last_line"),
        )
        .group_by(lines.c.patient_id, lines.c.sensor_article)
        .cte("partial")
    )  # fmt: skip
    sums = (
        sa.select(
            partial.c.patient_id,
            sa.func.sum(partial.c.device).label("device"),
            sa.func.sum(partial.c.consumables).label("consumables"),
            sa.func.max(partial.c.pump_key).label("pump_key"),
            sa.func.max(partial.c.cgm_key).label("cgm_key"),
            sa.func.max(partial.c.last_line).label("last_line"),
        )
        .group_by(partial.c.patient_id)
        .subquery("sums")
    )
    pump_of = article_system("pump").subquery("pump_of")
    cgm_of = article_system("cgm").cte("cgm_of")
    reader_of = cgm_of.alias("reader_of")
    units = sa.func.sum(partial.c.units)
    sensors = (
        sa.select(
            partial.c.patient_id,
            cgm_of.c.system,
            sa.func.row_number()
            .over(partition_by=partial.c.patient_id,
                  order_by=(units.desc(), cgm_of.c.system))
            .label("rank"),
        )
        .join(cgm_of, cgm_of.c.article_id == partial.c.sensor_article)
        .group_by(partial.c.patient_id, cgm_of.c.system)
        .subquery("sensors")
    )  # fmt: skip
    device = round_ore(sums.c.device)
    consumables = round_ore(sums.c.consumables)
    by_line = ol.alias("by_line")
    written_on = Prescription.__table__.alias("written_on")
    line_of = sa.func.coalesce(key_line(sums.c.pump_key), key_line(sums.c.cgm_key),
                               sums.c.last_line)  # fmt: skip
    return (
        sa.select(
            sums.c.patient_id,
            sa.literal(year).label("year"),
            pump_of.c.system.label("pump_system"),
            sa.func.coalesce(reader_of.c.system, sensors.c.system).label("cgm_system"),
            device.label("device_cost_sek"),
            consumables.label("consumables_cost_sek"),
            (device + consumables).label("total_cost_sek"),
            written_on.c.prescriber_id,
        )
        .select_from(sums)
        .outerjoin(pump_of, pump_of.c.article_id == key_article(sums.c.pump_key))
        .outerjoin(reader_of, reader_of.c.article_id == key_article(sums.c.cgm_key))
        .outerjoin(sensors, sa.and_(sensors.c.patient_id == sums.c.patient_id,
                                    sensors.c.rank == 1))
        .outerjoin(by_line, by_line.c.id == line_of)
        .outerjoin(written_on, written_on.c.id == by_line.c.prescription_id)
        .where(sa.true())  # SQLite: an upsert's SELECT needs a WHERE
    )  # fmt: skip


def upsert_year(year: int, now: datetime, scope: sa.Select | None = None) -> int:
    """Insert or update the year's rows of every patient in scope (all: None)."""
    select = year_costs(year, scope)
    names = [c.name for c in select.selected_columns] + ["computed_at"]
    select = select.add_columns(sa.literal(now, sa.DateTime(timezone=True)))
    connection = db.session.connection()
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(costs).from_select(names, select)
    statement = statement.on_conflict_do_update(
        index_elements=["patient_id", "year"],
        set_={name: statement.excluded[name] for name in names[2:]},
    )
    written = connection.execute(statement).rowcount
    if written < 0:  # sqlite3 reports no count for a statement starting WITH
        written = connection.scalar(
            sa.select(sa.func.count())
            .select_from(costs)
            .where(costs.c.year == year, costs.c.computed_at == now)
        )
    return written


def remove_stale(year: int, now: datetime, scope: sa.Select | None = None) -> int:
    """Rows of patients in scope that this run did not write: nothing falls in it."""
    statement = sa.delete(costs).where(costs.c.year == year, costs.c.computed_at < now)
    if scope is not None:
        statement = statement.where(costs.c.patient_id.in_(scope))
    return db.session.connection().execute(statement).rowcount
