"""The cost rules set-based in SQL: one INSERT ... SELECT ... ON CONFLICT per year.

`followup.rules` states the same rules in Python; tests hold the two together.
The statement reads two slices of the order lines: device lines (durable devices
and CGM transmitters, which may have been delivered in an earlier year and still
be in use) and the year's consumable lines. Everything else is grouping.
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
    epoch_day,
    floor_int,
    greatest,
    least,
    money,
    round_ore,
)
from sesamlike.orders.models import Order, OrderLine

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


def _counted(scope: sa.Select | None) -> list[sa.ColumnElement[bool]]:
    where = [ol.c.status.in_(sorted(COUNTED_STATUSES))]
    if scope is not None:
        where.append(orders.c.patient_id.in_(scope))
    return where


def device_lines(year: int, scope: sa.Select | None = None) -> sa.Select:
    """Durable devices and transmitters delivered early enough to reach the year."""
    lower = date(year - LOOKBACK_YEARS, 1, 1)
    return (
        sa.select(
            orders.c.patient_id,
            ol.c.id.label("line_id"),
            ol.c.article_id,
            ol.c.delivered_on,
            art.c.category,
            durable_expr().label("durable"),
            art.c.amortisation_years,
            value_expr().label("value"),
            days_expr(year).label("days"),
        )
        .select_from(ol.join(orders, orders.c.id == ol.c.order_id))
        .join(art, art.c.id == ol.c.article_id)
        .where(
            ol.c.delivered_on >= lower,
            ol.c.delivered_on < date(year + 1, 1, 1),
            sa.or_(durable_expr(), art.c.category == "cgm_transmitter"),
            *_counted(scope),
        )
    )


def consumable_lines(year: int, scope: sa.Select | None = None) -> sa.Select:
    """Lines delivered in the year of articles without amortisation."""
    return (
        sa.select(
            orders.c.patient_id,
            ol.c.article_id,
            art.c.category,
            value_expr().label("value"),
            (ol.c.packs * art.c.pack_size).label("units"),
        )
        .select_from(ol.join(orders, orders.c.id == ol.c.order_id))
        .join(art, art.c.id == ol.c.article_id)
        .where(
            ol.c.delivered_on >= date(year, 1, 1),
            ol.c.delivered_on < date(year + 1, 1, 1),
            sa.not_(durable_expr()),
            *_counted(scope),
        )
    )


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
    """One row per patient with a cost in the year, in patient_year_costs' shape."""
    dev = device_lines(year, scope).cte("dev")
    cons = consumable_lines(year, scope).cte("cons")
    pump_of = article_system("pump").cte("pump_of")
    cgm_of = article_system("cgm").cte("cgm_of")

    per_line = sa.union_all(
        sa.select(
            dev.c.patient_id,
            (
                dev.c.value * dev.c.days / (dev.c.amortisation_years * DAYS_PER_YEAR)
            ).label("device"),
            sa.literal(0).label("consumables"),
        ).where(dev.c.durable, dev.c.days > 0),
        sa.select(cons.c.patient_id, sa.literal(0), cons.c.value),
    ).subquery("per_line")
    sums = (
        sa.select(
            per_line.c.patient_id,
            sa.func.sum(per_line.c.device).label("device"),
            sa.func.sum(per_line.c.consumables).label("consumables"),
        )
        .group_by(per_line.c.patient_id)
        .cte("sums")
    )

    def in_use(categories: tuple[str, ...], of, name: str):
        rank = sa.func.row_number().over(
            partition_by=dev.c.patient_id,
            order_by=(dev.c.days.desc(), dev.c.delivered_on.desc(),
                      dev.c.line_id.desc()),
        )  # fmt: skip
        ranked = (
            sa.select(dev.c.patient_id, of.c.system, rank.label("rank"))
            .join(of, of.c.article_id == dev.c.article_id)
            .where(dev.c.category.in_(categories), dev.c.days > 0)
            .subquery(name)
        )
        return ranked

    pumps = in_use(("pump",), pump_of, "pumps")
    readers = in_use(("cgm_reader", "cgm_transmitter"), cgm_of, "readers")
    units = sa.func.sum(cons.c.units)
    sensors = (
        sa.select(
            cons.c.patient_id,
            cgm_of.c.system,
            sa.func.row_number()
            .over(
                partition_by=cons.c.patient_id, order_by=(units.desc(), cgm_of.c.system)
            )  # fmt: skip
            .label("rank"),
        )
        .join(cgm_of, cgm_of.c.article_id == cons.c.article_id)
        .where(cons.c.category == "cgm_sensor")
        .group_by(cons.c.patient_id, cgm_of.c.system)
        .subquery("sensors")
    )
    device = round_ore(sums.c.device)
    consumables = round_ore(sums.c.consumables)
    return (
        sa.select(
            sums.c.patient_id,
            sa.literal(year).label("year"),
            pumps.c.system.label("pump_system"),
            sa.func.coalesce(readers.c.system, sensors.c.system).label("cgm_system"),
            device.label("device_cost_sek"),
            consumables.label("consumables_cost_sek"),
            (device + consumables).label("total_cost_sek"),
        )
        .select_from(sums)
        .outerjoin(pumps, sa.and_(pumps.c.patient_id == sums.c.patient_id,
                                  pumps.c.rank == 1))
        .outerjoin(readers, sa.and_(readers.c.patient_id == sums.c.patient_id,
                                    readers.c.rank == 1))
        .outerjoin(sensors, sa.and_(sensors.c.patient_id == sums.c.patient_id,
                                    sensors.c.rank == 1))
        .where(sa.true())  # SQLite: an upsert's SELECT needs a WHERE
    )  # fmt: skip


def upsert_year(year: int, now: datetime, scope: sa.Select | None = None) -> None:
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
    connection.execute(statement)


def remove_stale(year: int, now: datetime, scope: sa.Select | None = None) -> int:
    """Rows of patients in scope that this run did not write: nothing falls in it."""
    statement = sa.delete(costs).where(costs.c.year == year, costs.c.computed_at < now)
    if scope is not None:
        statement = statement.where(costs.c.patient_id.in_(scope))
    return db.session.connection().execute(statement).rowcount
