"""The cost rules set-based in SQL: per line, then per patient and year.

`followup.rules` states the same rules in Python; tests hold the two together.
`year_costs` reads the order lines once (the year's consumables, and durable
devices and CGM transmitters delivered early enough to still be in use in it)
and groups them by patient: the amounts, the pump and CGM device lines in use
longest, the line the prescriber comes from, and the sensors' system.
`followup.staging` runs it and stores the result.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from sesamlike.catalog.models import Article, Category, System, article_systems
from sesamlike.extensions import db
from sesamlike.followup.amounts import Amounts
from sesamlike.followup.models import PatientYearCost
from sesamlike.followup.rules import (
    CGM_DEVICE_CATEGORIES,
    CGM_PART_CATEGORIES,
    COUNTED_STATUSES,
    DAYS_PER_YEAR,
    IN_USE_YEARS,
    PUMP_PART_CATEGORIES,
)
from sesamlike.followup.sqlfuncs import (
    epoch_day,
    floor_int,
    greatest,
    in_few,
    least,
    literal_int,
    money,
    no_index,
)
from sesamlike.orders.models import OrderLine
from sesamlike.prescriptions.models import Prescription

# Device lines are read this many years back at least: a CGM transmitter lasts
# as long as its units do, a device may be in use after its amortisation (it
# names the systems that long, `rules.IN_USE_YEARS`). Durable devices: their
# amortisation years and one.
LOOKBACK_YEARS = IN_USE_YEARS
# A device key is (costing in the year) × KEY_COSTING + days in use × KEY_DAYS
# + delivery day number × KEY_DAY + line id: days are at most 366 (below 2^9),
# day numbers below 2^16 (until 2149), line ids below 2^37, so the key stays
# below 2^63 and MAX compares whole numbers: a device in its amortisation
# period first, then the one in use most days.
KEY_COSTING = literal_int(2**62)
KEY_DAYS = literal_int(2**53)
KEY_DAY = literal_int(2**37)

# CGM systems in name order, each with its sensor articles.
Systems = list[tuple[str, list[int]]]

ol = OrderLine.__table__
art = Article.__table__
costs = PatientYearCost.__table__
prescriptions = Prescription.__table__


def lookback_years() -> int:
    """How many years back a line may still be in use in a year."""
    longest = db.session.scalar(sa.select(sa.func.max(art.c.amortisation_years)))
    return max(LOOKBACK_YEARS, (longest or 0) + 1)


def epoch(day: date) -> int:
    return (day - date(1970, 1, 1)).days


def durable_expr() -> sa.ColumnElement[bool]:
    return sa.func.coalesce(art.c.amortisation_years, 0) > 0


def _year_ends(year: int, today: date | None) -> tuple[int, int]:
    """The year's first day number and the day after its last one counted: in
    the current year (`today`'s), none after today (the contract says nothing
    of later years: they are counted whole, as a forecast)."""
    first, after = epoch(date(year, 1, 1)), epoch(date(year + 1, 1, 1))
    if today is not None and today.year == year:
        after = epoch(today) + 1
    return first, after


def days_expr(year: int, today: date | None = None) -> sa.ColumnElement[int]:
    """Days in use inside the year: from delivery (counted) to the return (not)."""
    start = epoch_day(ol.c.delivered_on)
    kept = ol.c.packs - ol.c.packs_restocked
    use = sa.case(
        (durable_expr(), art.c.amortisation_years * DAYS_PER_YEAR),
        (
            sa.and_(art.c.category == "cgm_transmitter", art.c.units_per_day > 0),
            floor_int(kept * art.c.pack_size / money(art.c.units_per_day)),
        ),
        else_=0,
    )
    end = sa.case(
        (ol.c.returned_on.is_(None), start + use),
        else_=least(start + use, epoch_day(ol.c.returned_on)),
    )
    first, after = _year_ends(year, today)
    return greatest(0, least(end, after) - greatest(start, first))


def in_use_expr(
    year: int,
    today: date | None = None,
    *,
    start: sa.ColumnElement | None = None,
    costing: sa.ColumnElement | None = None,
) -> sa.ColumnElement[int]:
    """Days a durable device is with the patient inside the year, from
    delivery (`start`: its day number, by default the delivery's; counted) to
    the return (not), however long ago its amortisation ended: what names the
    patient's pump and CGM system (`device_key`), not what costs (`days_expr`,
    or `costing`, which a device delivered more than IN_USE_YEARS before the
    year keeps to, as `rules.CostLine.in_use_days`)."""
    start = epoch_day(ol.c.delivered_on) if start is None else start
    first, after = _year_ends(year, today)
    end = sa.case((ol.c.returned_on.is_(None), after),
                  else_=least(epoch_day(ol.c.returned_on), after))  # fmt: skip
    used = greatest(0, end - greatest(start, first))
    recent = ol.c.delivered_on >= date(year - IN_USE_YEARS, 1, 1)
    if costing is None:
        costing = days_expr(year, today)
    return sa.case((recent, used), else_=costing)


def counted(incremental: bool = False) -> sa.ColumnElement[bool]:
    """Delivered or returned lines.

    Read for a set of patients (`incremental`), the lines must be found through
    those patients (order_lines.patient_id), so on SQLite no index on status is
    considered: without statistics SQLite would otherwise prefer it. PostgreSQL
    has statistics and plans the plain test. (A full run's `line_costs` keeps
    SQLite off every index of the lines: it reads nearly all of them.)
    """
    status = no_index(ol.c.status) if incremental else ol.c.status
    return status.in_(sorted(COUNTED_STATUSES))


def sensor_rank(systems: Systems) -> sa.ColumnElement:
    """A sensor line's CGM system as its place in `systems` (name order)."""
    whens = [
        (literal_int(article_id), literal_int(rank))
        for rank, (_name, ids) in enumerate(systems)
        for article_id in ids
    ]
    # No sensor in any CGM system: a typed NULL (PostgreSQL reads a bare one as
    # text, which a CASE cannot match with the device keys it shares a MAX with).
    # CASE article_id WHEN ...: the line's article read once, not once a WHEN.
    if not whens:
        return sa.cast(sa.null(), sa.BigInteger)
    return sa.case(*whens, value=ol.c.article_id)


def _system_name(rank: sa.ColumnElement, systems: Systems):
    if not systems:
        return sa.null()
    return sa.case(
        *[(rank == literal_int(i), name) for i, (name, _ids) in enumerate(systems)]
    )


def line_costs(year: int, scope: sa.Select | None = None,
               systems: Systems = (), *, amounts: Amounts,
               articles: bool = False, payer: bool = False,
               today: date | None = None) -> sa.Select | sa.CompoundSelect:  # fmt: skip
    """Every line that may have a part in the year, with what the rules need.

    Consumables delivered in the year, and durable devices and CGM transmitters
    delivered early enough to be in use in it. `days` (in use inside the year)
    and `day` (the delivery's day number) are computed for those only; other
    lines carry NULL there. One row per line; with `articles`, also its article
    and units; with `payer`, who pays it (its prescription, and the clinic and
    cost centre stored on it) and its channel and VAT rate. Lines whose packs
    all went back on stock are left out. Warranty
    replacements (few) come from `replacement_costs`, each with its chain's
    first device's value, amortisation years and period.
    """
    plain = _plain_line_costs(year, scope, systems, amounts=amounts,
                              articles=articles, payer=payer,
                              today=today)  # fmt: skip
    if not any_replacement():  # a union costs SQLite a pass over every line
        return plain
    return sa.union_all(
        plain,
        replacement_costs(year, scope, amounts=amounts, articles=articles,
                          payer=payer, today=today),
    )  # fmt: skip


def any_replacement() -> bool:
    """Whether any line continues another's amortisation (found by its index)."""
    return (
        db.session.scalar(
            sa.select(ol.c.id).where(ol.c.amortised_line_id.is_not(None)).limit(1)
        )
        is not None
    )


def _plain_line_costs(year: int, scope: sa.Select | None, systems: Systems, *,
                      amounts: Amounts, articles: bool, payer: bool = False,
                      today: date | None) -> sa.Select:  # fmt: skip
    first, after = date(year, 1, 1), date(year + 1, 1, 1)
    in_use = sa.or_(durable_expr(), art.c.category == "cgm_transmitter")
    category = art.c.category
    # Packs and pack sizes are above zero (check constraints): no unit test.
    # Only sensors have a place (`sensor_systems` are sensor articles): no
    # test of the category, which every line would make.
    sensor = sa.case((ol.c.delivered_on >= first, sensor_rank(list(systems))))
    if scope is None:  # nearly every line is read: SQLite scans the table
        delivered, status = no_index(ol.c.delivered_on), no_index(ol.c.status)
        counted_lines = status.in_(sorted(COUNTED_STATUSES))
    else:
        delivered, counted_lines = ol.c.delivered_on, counted(incremental=True)
    where = [
        counted_lines,
        delivered >= date(year - lookback_years(), 1, 1),
        delivered < after,
        sa.or_(delivered >= first, in_use),
        # Nearly every line has none: never the index SQLite finds them by
        # (without statistics it would read every line through it, and test
        # each for the patients in scope).
        no_index(ol.c.amortised_line_id).is_(None),
        ol.c.packs_restocked < ol.c.packs,
    ]
    if scope is not None:
        where.append(in_scope(ol.c.patient_id, scope))
    select = (
        sa.select(
            ol.c.patient_id,
            ol.c.id.label("line_id"),
            category.label("category"),
            art.c.amortisation_years.label("years"),
            ol.c.delivered_on,
            amounts.value().label("value"),
            sa.case((in_use, days_expr(year, today))).label("days"),
            sa.case((durable_expr(), in_use_expr(year, today)),
                    (in_use, days_expr(year, today))).label("use"),
            sa.case((in_use, epoch_day(ol.c.delivered_on))).label("day"),
            sensor.label("sensor_rank"),
        )
        .select_from(ol)
        .join(art, art.c.id == ol.c.article_id)
        .where(*where)
    )  # fmt: skip
    if articles:
        units = (ol.c.packs - ol.c.packs_restocked) * art.c.pack_size
        select = select.add_columns(ol.c.article_id, units.label("units"))
    if payer:
        select = select.add_columns(*payer_columns())
    return select


def payer_columns() -> list[sa.ColumnElement]:
    """Who pays a line and what its VAT is (`line_costs(payer=True)`)."""
    return [ol.c.prescription_id, ol.c.cost_clinic_id,
            ol.c.cost_centre.label("line_cost_centre"), ol.c.channel,
            ol.c.vat_rate]  # fmt: skip


def replacement_costs(year: int, scope: sa.Select | None = None, *,
                      amounts: Amounts, articles: bool = False,
                      payer: bool = False,
                      today: date | None = None) -> sa.Select:  # fmt: skip
    """Warranty replacements and devices lent again in use in the year, as
    `line_costs` rows.

    A replacement continues the first device of its chain (`amortised_line_id`):
    its days run from the day the device it replaces came back (its own
    delivery when that one has none), counted, to the end of the first device's
    amortisation period (from its delivery, or from its return when it came
    back before a delivery was recorded), at the first device's daily rate; its
    own price adds nothing. A device lent again (reconditioned) continues the
    line that first lent it, perhaps another patient's, the same way from its
    own delivery (it replaces nothing). Found through their index: there are
    few.
    """
    first_line = ol.alias("first_line")
    first_article = art.alias("first_article")
    replaced = ol.alias("replaced_line")
    years = first_article.c.amortisation_years
    # The swap: a replacement delivered in January for a pump back faulty in
    # December has days in December too.
    swap_on = sa.func.coalesce(replaced.c.returned_on, no_index(ol.c.delivered_on))
    start = epoch_day(swap_on)
    # A first device swapped or returned before its delivery was recorded
    # (shipped to the clinic, faulty there) has no delivery day: its period
    # runs from the day it came back, when the patient got the chain's first
    # working device.
    began = sa.func.coalesce(first_line.c.delivered_on, first_line.c.returned_on)
    end = epoch_day(began) + years * DAYS_PER_YEAR
    end = sa.case(
        (ol.c.returned_on.is_(None), end),
        else_=least(end, epoch_day(ol.c.returned_on)),
    )
    first_day, after = _year_ends(year, today)
    days = greatest(0, least(end, after) - greatest(start, first_day))
    use = in_use_expr(year, today, start=start, costing=days)
    where = [
        # A range (ids are positive): SQLite walks the chains' index for it,
        # not for IS NOT NULL.
        ol.c.amortised_line_id > 0,
        counted(incremental=True),  # found by the chain's index, not the status
        # Nor by the delivery day: SQLite without statistics would read nearly
        # every line through that index to find the few replacements. Its
        # days start at the swap, which may fall in a year before its delivery.
        swap_on < date(year + 1, 1, 1),
        durable_expr(),
        sa.func.coalesce(years, 0) > 0,
    ]
    if scope is not None:
        where.append(in_scope(ol.c.patient_id, scope))
    select = (
        sa.select(
            ol.c.patient_id,
            ol.c.id.label("line_id"),
            art.c.category.label("category"),
            years.label("years"),
            ol.c.delivered_on,
            amounts.value(first_line).label("value"),
            days.label("days"),
            use.label("use"),
            start.label("day"),
            sa.cast(sa.null(), sa.BigInteger).label("sensor_rank"),
        )
        .select_from(ol)
        .join(art, art.c.id == ol.c.article_id)
        .join(first_line, first_line.c.id == ol.c.amortised_line_id)
        .join(first_article, first_article.c.id == first_line.c.article_id)
        .outerjoin(replaced, replaced.c.id == ol.c.replaces_line_id)
        .where(*where)
    )
    if articles:
        select = select.add_columns(
            ol.c.article_id, (ol.c.packs * art.c.pack_size).label("units")
        )
    if payer:
        select = select.add_columns(*payer_columns())
    return select


def in_scope(patient_id: sa.ColumnElement[int], scope: sa.Select):
    """The line's patient is one of an incremental run's few (`in_few`): as a
    plain IN, PostgreSQL estimated a patient's lines across every year by the
    index's scattered heap order, and at 500,000 patients x 5 years read every
    line of the region in parallel instead, joining them to the 5,000 patients
    in scope (5.1 s against the probes' fraction of a second)."""
    return in_few(patient_id, scope, postgresql=on_postgresql())


def in_year(lines: sa.Subquery, year: int, *,
            in_use: bool = False) -> sa.ColumnElement[bool]:  # fmt: skip
    """A line is part of the year: a device costing on a day of it (with
    `in_use`: with the patient on a day of it, its amortisation over or not),
    or anything not durable delivered in it (a CGM transmitter that lasts no
    whole day included: it still costs). Most lines are consumables of the
    year, settled by the first test from the line's own columns; `days` (an
    expression of the article's, per reference: SQLite works it out again
    for each) is read only for the rest, and `use` only for a device that
    costs nothing in the year."""
    tests = [sa.func.coalesce(lines.c.days, 1) > 0]
    if in_use:
        tests.append(lines.c.use > 0)
    return sa.or_(
        sa.and_(sa.func.coalesce(lines.c.years, 0) == 0,
                lines.c.delivered_on >= date(year, 1, 1)),
        *tests,
    )  # fmt: skip


def carried_over(lines: sa.Subquery, year: int) -> sa.ColumnElement[bool]:
    """Not durable, delivered in an earlier year: a CGM transmitter still in
    use, which names the CGM system but whose units and cost were that year's."""
    return sa.and_(sa.func.coalesce(lines.c.years, 0) == 0,
                   lines.c.delivered_on < date(year, 1, 1))  # fmt: skip


def year_units(lines: sa.Subquery, year: int) -> sa.ColumnElement:
    """A line's units in the year's volumes: none of a line `carried_over`
    (counted in its own year)."""
    return sa.case((carried_over(lines, year), 0), else_=lines.c.units)


def line_parts(lines: sa.Subquery, year: int, amounts: Amounts):
    """A line's device part and consumable part (the other NULL; both NULL for
    a CGM transmitter delivered in an earlier year, which costs nothing now),
    in the units of `amounts`."""
    return _kept_part(*_own_part(lines, year, amounts))


def _kept_part(durable, device, consumable):
    """`line_parts` from `_own_part`: the part that applies, the other NULL."""
    return sa.case((durable, device)), sa.case((durable, None), else_=consumable)


def _own_part(lines: sa.Subquery, year: int, amounts: Amounts):
    """(durable, device part, consumable part): whether the line is a durable
    device, and its part were it one or were it not (`line_parts` keeps the
    one that applies). Each is tested once: SQLite works a column of the
    lines out again at each reference (`days` is an expression of the
    article's), so a consumable's part never reads `days`, and a line's
    combined part (`_line_parts`) tests `durable` once."""
    durable = lines.c.years > 0  # NULL for consumables: not true
    # NULL for a device past its amortisation (no days that cost): both parts
    # NULL say a line costs nothing and has no part in whether the patient
    # has a row of the year or who pays (`costs_something`).
    device = sa.case(
        (lines.c.days > 0,
         amounts.device_part(lines.c.value, lines.c.days, lines.c.years))
    )  # fmt: skip
    consumable = sa.case(
        # A CGM transmitter delivered in an earlier year and still in use:
        # nothing now, but a part of the year.
        (lines.c.delivered_on < date(year, 1, 1), literal_int(0)),
        else_=lines.c.value,
    )
    return durable, device, consumable


def costs_something(sums) -> sa.ColumnElement[bool]:
    """Sums of `line_parts` (a patient's, or a payer's of a patient) of some
    line with a part in the year: not only devices past their amortisation
    (which name the systems and nothing else)."""
    return sa.or_(sums.c.device.is_not(None), sums.c.consumables.is_not(None))


def article_lines(year: int, scope: sa.Select | None = None,
                  today: date | None = None,
                  clinic_ids: list[int] | None = None) -> sa.Select:  # fmt: skip
    """Every line with a part in the year: patient, article, units and parts in
    kronor (unrounded). With `clinic_ids`, only the lines those clinics paid
    (`who_pays`): a patient who moved counts at each clinic for its own lines."""
    amounts = Amounts.for_session()
    paid = clinic_ids is not None
    lines = line_costs(year, scope, amounts=amounts, articles=True, payer=paid,
                       today=today).subquery("costed")  # fmt: skip
    device, consumables = line_parts(lines, year, amounts)
    query = sa.select(
        lines.c.patient_id,
        lines.c.article_id,
        lines.c.units,
        amounts.line_sek(device, device=True).label("device"),
        amounts.line_sek(consumables, device=False).label("consumables"),
    ).where(
        in_year(lines, year),
        sa.not_(carried_over(lines, year)),  # its units and line were that year's
    )
    if not paid:
        return query
    return paid_by(query.select_from(lines), lines, clinic_ids)


def paid_by(query: sa.Select, lines, clinic_ids: list[int]) -> sa.Select:
    """`query` over costed lines (`line_costs(payer=True)`) kept to the lines
    these clinics paid (`who_pays`)."""
    payer, _ = who_pays(lines)
    return query.outerjoin(
        prescriptions, prescriptions.c.id == lines.c.prescription_id
    ).where(payer.in_(clinic_ids))


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


def sensor_systems() -> Systems:
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
    # Name order as Python compares names (the rules' tie-break), whatever the
    # database's collation.
    return sorted(systems.items())


def device_key(lines: sa.Subquery) -> sa.ColumnElement[int]:
    """A number whose MAX is the device line costing in the year (in its
    amortisation period) before one that does not, then in use most days
    (`use`: its amortisation over or not), then delivered last, then with the
    highest id; the line id is its remainder by KEY_DAY. (A pump written off
    years ago and never recorded as returned does not outweigh the new one.)"""
    costing = sa.case((lines.c.days > 0, KEY_COSTING), else_=literal_int(0))
    return costing + lines.c.use * KEY_DAYS + lines.c.day * KEY_DAY + lines.c.line_id


def _key_line(key: sa.ColumnElement[int]) -> sa.ColumnElement[int]:
    """The device line of a MAX of `device_key` or something less (None)."""
    return sa.case((key >= KEY_DAYS, key % KEY_DAY))


def _line_parts(lines: sa.Subquery, year: int, amounts: Amounts, *,
                payer: bool = False, by_prescription: bool = False,
                apart: bool = True) -> sa.Select:  # fmt: skip
    """Each line's parts and keys (see `year_costs`); with `payer`, also its
    units and who pays it (clinic, cost centre, and the VAT rate of a pharmacy
    line), as `line_costs(articles=True, payer=True)` carries them; with
    `by_prescription`, what that is worked out from instead (its prescription,
    and the clinic and cost centre stored on it), the prescription not read.

    SQLite keeps this select apart from the grouping (LIMIT -1; not for an
    arm of a union, which SQLite keeps apart anyway): it sorts to group, and
    its sorter then holds a few numbers per line, not the columns they come
    from."""
    durable, own_device, own_consumable = _own_part(lines, year, amounts)
    cgm_device = lines.c.category.in_(sorted(CGM_DEVICE_CATEGORIES))
    device, consumables = _kept_part(durable, own_device, own_consumable)
    # The part that applies, in the units of device parts.
    both = amounts.combined(own_device, own_consumable, durable=durable)
    pump_part = sa.case((lines.c.category.in_(sorted(PUMP_PART_CATEGORIES)), both))
    cgm_part = sa.case((lines.c.category.in_(sorted(CGM_PART_CATEGORIES)), both))
    parts = (
        sa.select(
            lines.c.patient_id,
            device.label("device"),
            consumables.label("consumables"),
            pump_part.label("pump_part"),
            cgm_part.label("cgm_part"),
            # The cheap test first: most lines are consumables. A durable
            # line here is in use on some day (`in_year`); a CGM device must be.
            # A device key is at least KEY_DAYS (a day in use), above any line
            # id or sensor place: the MAX of the pump key is the pump, else the
            # last line; the MAX of the CGM key is the CGM device, else the
            # sensors' highest place, and its MIN their lowest place.
            sa.case((sa.and_(durable, lines.c.category == "pump"),
                     device_key(lines)),
                    else_=lines.c.line_id).label("pump_key"),
            sa.case((sa.and_(cgm_device, lines.c.use > 0), device_key(lines)),
                    else_=lines.c.sensor_rank).label("cgm_key"),
        )
        .where(in_year(lines, year, in_use=True))
    )  # fmt: skip
    if payer or by_prescription:
        vat_rate = sa.case((lines.c.channel == "pharmacy", lines.c.vat_rate))
    if by_prescription:
        parts = parts.add_columns(
            year_units(lines, year).label("units"),
            *[lines.c[name] for name in PAYER_SOURCE[:-1]],
            vat_rate.label("vat_rate"),
        )  # fmt: skip
    elif payer:
        clinic, centre = who_pays(lines)
        # A device past its amortisation keeps its payer here: a payer whose
        # lines cost nothing in the year (its sums NULL) is no payer of it
        # (`costs_something`), so a clinic the patient left years ago, whose
        # pump is still in use, does not get the patient among its own.
        parts = parts.add_columns(
            year_units(lines, year).label("units"),
            clinic.label("clinic_id"),
            centre.label("cost_centre"),
            vat_rate.label("vat_rate"),
        ).outerjoin(prescriptions, prescriptions.c.id == lines.c.prescription_id)
    if apart and not on_postgresql():
        parts = parts.limit(-1)
    return parts


def _parts(year: int, scope: sa.Select | None, systems: Systems, amounts: Amounts,
           *, payer: bool = False, today: date | None) -> sa.Subquery:  # fmt: skip
    """`_line_parts` of every line with a part in the year (`line_costs`).

    On SQLite the warranty replacements' parts are a second arm beside the
    plain lines' parts, rather than their lines a second arm of the lines: a
    union of the lines is a subquery SQLite cannot merge into the parts', so
    every line took one more step through it (a full rerun's pass over the
    lines at 100,000 patients: about an eighth more CPU time).
    """
    if on_postgresql() or not any_replacement():
        lines = line_costs(year, scope, systems, amounts=amounts, articles=payer,
                           payer=payer, today=today).subquery("lines")  # fmt: skip
        return _line_parts(lines, year, amounts, payer=payer).subquery("parts")
    arms = _arm_parts(year, scope, systems, amounts, payer=payer, today=today,
                      apart=False)  # fmt: skip
    return sa.union_all(*arms).subquery("parts")


def _arm_parts(year: int, scope: sa.Select | None, systems: Systems,
               amounts: Amounts, *, payer: bool, today: date | None,
               apart: bool = True) -> tuple[sa.Select, sa.Select]:  # fmt: skip
    """`_line_parts` of the plain lines and of the warranty replacements, each
    from its own select of lines (`_plain_line_costs`, `replacement_costs`)."""
    kwargs = dict(amounts=amounts, articles=payer, payer=payer, today=today)
    plain = _plain_line_costs(year, scope, systems, **kwargs).subquery("lines")
    chained = replacement_costs(year, scope, **kwargs).subquery("chained")
    return (_line_parts(plain, year, amounts, payer=payer, apart=apart),
            _line_parts(chained, year, amounts, payer=payer, apart=apart))  # fmt: skip


def who_pays(lines) -> tuple[sa.ColumnElement, sa.ColumnElement]:
    """A costed line's paying clinic and cost centre (`line_costs(payer=True)`,
    joined to its prescription): the prescription's, else those stored on the
    line (imported history)."""
    return (
        sa.func.coalesce(prescriptions.c.clinic_id, lines.c.cost_clinic_id),
        sa.func.coalesce(prescriptions.c.cost_centre, lines.c.line_cost_centre),
    )


# What `line_groups` sums a patient's lines by: who pays them.
PAYER_KEY = ("clinic_id", "cost_centre", "vat_rate")
# What who pays a line is worked out from (`who_pays`).
PAYER_SOURCE = ("prescription_id", "cost_clinic_id", "line_cost_centre", "vat_rate")


def line_groups(
    year: int,
    scope: sa.Select | None = None,
    systems: Systems | None = None,
    amounts: Amounts | None = None,
    today: date | None = None,
    *,
    few: bool = False,
) -> sa.Select:
    """The lines with a part in the year summed per patient and payer (paying
    clinic, cost centre, and the VAT rate of pharmacy lines): units, the parts
    of `year_costs` and the MAX and MIN of its keys.

    Both a patient's costs (`year_costs(groups=...)`) and its payers
    (`cost_centres.payer_rows`) are summed from these rows, so a run that needs
    both reads the lines once: a patient has one or two payers, so the rows are
    hardly more than the patients. Sums of sums are the same sums: PostgreSQL
    sums whole numbers; SQLite's REAL sums differ at most in the last bits, far
    below the nanokrona its rounding adds.

    A few patients' lines (`few`: an incremental run's, on PostgreSQL) are
    summed per prescription first, and each such sum then joined to its
    prescription: a patient has a few prescriptions and several lines on
    each, and looking up each line's prescription was a third of the reading.
    """
    systems = sensor_systems() if systems is None else systems
    amounts = amounts or Amounts.for_session()
    if few and on_postgresql():
        lines = line_costs(year, scope, systems, amounts=amounts, articles=True,
                           payer=True, today=today).subquery("lines")  # fmt: skip
        parts = _per_prescription(
            _line_parts(lines, year, amounts, by_prescription=True).subquery("parts"),
            amounts,
        )
    else:
        parts = _parts(year, scope, systems, amounts, payer=True, today=today)
    key = [parts.c[name] for name in PAYER_KEY]
    return sa.select(
        parts.c.patient_id,
        *key,
        sa.func.sum(parts.c.units).label("units"),
        *_sums(parts, amounts),
    ).group_by(parts.c.patient_id, *key)


def _per_prescription(parts: sa.Subquery, amounts: Amounts) -> sa.Subquery:
    """`_line_parts(by_prescription=True)` summed per patient and what who
    pays is worked out from, and then who pays each sum (as `_line_parts(payer=True)`
    says it per line)."""
    source = [parts.c[name] for name in PAYER_SOURCE]
    summed = (
        sa.select(parts.c.patient_id, *source,
                  sa.func.sum(parts.c.units).label("units"), *_sums(parts, amounts))
        .group_by(parts.c.patient_id, *source)
        .subquery("per_prescription")
    )  # fmt: skip
    clinic, centre = who_pays(summed)
    # By patient and id: the patient's entries of ix_prescriptions_patient_payer
    # lie side by side and name the payer (PostgreSQL reads it from the index
    # alone), where the primary key led to a scattered row per prescription.
    payer_of = sa.and_(prescriptions.c.patient_id == summed.c.patient_id,
                       prescriptions.c.id == summed.c.prescription_id)  # fmt: skip
    names = ("patient_id", "units", "device", "consumables", "pump_part",
             "cgm_part", "pump_key", "cgm_key", "cgm_low", "vat_rate")  # fmt: skip
    return (
        sa.select(*[summed.c[name] for name in names],
                  clinic.label("clinic_id"), centre.label("cost_centre"))
        .select_from(summed)
        .outerjoin(prescriptions, payer_of)
        .subquery("parts")
    )  # fmt: skip


def _sums(parts, amounts: Amounts) -> list[sa.ColumnElement]:
    """The aggregates `year_costs` groups a patient's lines (or line groups) by."""
    return [
        amounts.sum(parts.c.device).label("device"),
        amounts.sum(parts.c.consumables).label("consumables"),
        amounts.sum(parts.c.pump_part).label("pump_part"),
        amounts.sum(parts.c.cgm_part).label("cgm_part"),
        sa.func.max(parts.c.pump_key).label("pump_key"),
        sa.func.max(parts.c.cgm_key).label("cgm_key"),
        sa.func.min(parts.c.cgm_low if "cgm_low" in parts.c else parts.c.cgm_key).label(
            "cgm_low"
        ),
    ]


def year_costs(
    year: int,
    scope: sa.Select | None = None,
    systems: Systems | None = None,
    amounts: Amounts | None = None,
    today: date | None = None,
    groups: sa.FromClause | None = None,
) -> sa.Select:
    """One row per patient with a cost in the year: the amounts (as a run
    stages them: `Amounts.device_staged`), and the lines the systems and the
    prescriber are to be read from.

    One pass over the lines grouped by patient, as a hand-written query would
    (or, given `groups`, the rows of `line_groups` grouped by patient: the
    lines were read once for the costs and the payers both).
    The pump and the CGM device in use longest are the MAX of `device_key`, so
    no window over lines is needed. The sensors' system is the one every sensor
    line of the year shares (lowest and highest place in name order agree);
    the few patients with sensors of several systems are settled afterwards by
    `mixed_sensor_system`, which sums their units per system. Five aggregates
    in all: each costs SQLite a call per line, so the last line and the
    sensors' places share the device keys' MAX and MIN (see `_line_parts`).
    """
    systems = sensor_systems() if systems is None else systems
    amounts = amounts or Amounts.for_session()
    if groups is None:
        sums = _patient_sums(year, scope, systems, amounts, today=today)
    else:
        sums = _grouped(groups, "sums", amounts)
    device = amounts.device_staged(sums.c.device)
    consumables = amounts.consumables_staged(sums.c.consumables)
    pump_line = _key_line(sums.c.pump_key)
    cgm_line = _key_line(sums.c.cgm_key)
    last_line = sums.c.pump_key  # when there is no pump, else not needed
    # The sensors' lowest and highest place. With a CGM device they are not
    # needed (its system is the CGM system), and high is None.
    low = sa.case((sums.c.cgm_low < KEY_DAYS, sums.c.cgm_low))
    high = sa.case((sums.c.cgm_key < KEY_DAYS, sums.c.cgm_key))
    return sa.select(
        sums.c.patient_id,
        sa.literal(year).label("year"),
        device.label("device_cost_sek"),
        consumables.label("consumables_cost_sek"),
        (device + consumables).label("total_cost_sek"),
        amounts.device_staged(sums.c.pump_part).label("pump_part_sek"),
        amounts.device_staged(sums.c.cgm_part).label("cgm_part_sek"),
        pump_line.label("pump_line_id"),
        cgm_line.label("cgm_line_id"),
        sa.func.coalesce(pump_line, cgm_line, last_line).label("prescriber_line_id"),
        sa.case((low == high, _system_name(low, systems))).label("sensor_system"),
        sa.case((low < high, 1), else_=0).label("sensor_mixed"),
    ).where(costs_something(sums))  # fmt: skip


def _grouped(parts, name: str, amounts: Amounts) -> sa.Subquery:
    """`parts` summed per patient (`_sums`)."""
    return (
        sa.select(parts.c.patient_id, *_sums(parts, amounts))
        .group_by(parts.c.patient_id)
        .subquery(name)
    )


def _patient_sums(year: int, scope: sa.Select | None, systems: Systems,
                  amounts: Amounts, *, today: date | None) -> sa.Subquery:  # fmt: skip
    """Every line's parts (`_parts`) summed per patient.

    On PostgreSQL the plain lines and the warranty replacements are summed
    apart, and the two sums joined by patient: over a union of the two,
    PostgreSQL 15 sums every line in one process after gathering them from
    its workers (they cannot sum an append of subqueries); the plain lines
    alone its workers sum in parallel, and the replacements are few. A sum
    is NULL where neither has a line; a MAX or MIN takes the other's
    where one is NULL (GREATEST and LEAST skip NULLs on PostgreSQL).
    """
    if not on_postgresql():
        return _grouped(_parts(year, scope, systems, amounts, today=today),
                        "sums", amounts)  # fmt: skip
    plain, chained = _arm_parts(year, scope, systems, amounts, payer=False,
                                today=today)  # fmt: skip
    a = _grouped(plain.subquery("parts"), "plain_sums", amounts)
    if not any_replacement():
        return a
    b = _grouped(chained.subquery("chained_parts"), "chained_sums", amounts)

    def added(name: str) -> sa.ColumnElement:
        return sa.case((a.c[name].is_(None), b.c[name]),
                       (b.c[name].is_(None), a.c[name]),
                       else_=a.c[name] + b.c[name])  # fmt: skip

    return (
        sa.select(
            sa.func.coalesce(a.c.patient_id, b.c.patient_id).label("patient_id"),
            *[
                added(name).label(name)
                for name in ("device", "consumables", "pump_part", "cgm_part")
            ],
            greatest(a.c.pump_key, b.c.pump_key).label("pump_key"),
            greatest(a.c.cgm_key, b.c.cgm_key).label("cgm_key"),
            least(a.c.cgm_low, b.c.cgm_low).label("cgm_low"),
        )
        .select_from(a.join(b, a.c.patient_id == b.c.patient_id, full=True))
        .subquery("sums")
    )


def mixed_sensor_system(
    year: int, patient_id: sa.ColumnElement, systems: Systems
) -> sa.ScalarSelect:
    """A patient's CGM system by sensor units summed per system (then name)."""
    first, after = date(year, 1, 1), date(year + 1, 1, 1)
    rank = sensor_rank(systems)
    units = (ol.c.packs - ol.c.packs_restocked) * art.c.pack_size
    best = (
        sa.select(rank)
        .select_from(ol)
        .join(art, art.c.id == ol.c.article_id)
        .where(ol.c.patient_id == patient_id, counted(incremental=True),
               ol.c.delivered_on >= first, ol.c.delivered_on < after,
               art.c.category == "cgm_sensor", units > 0, rank.is_not(None))
        .group_by(rank)
        .order_by(sa.func.sum(units).desc(), rank)
        .limit(1)
        .scalar_subquery()
    )  # fmt: skip
    return _system_name(best, systems)


def on_postgresql() -> bool:
    return db.session.connection().dialect.name == "postgresql"
