"""The aids centre's side of an order: receive, pick, ship, deliver, take back.

Orders calls stock (`sesamlike.stock`) for everything physical and keeps the
order lines in step: a receipt or any stock coming back fills backorders first
placed first and flips those lines to `reserved`; shipping records a shipment
(partial shipments: some lines now, the rest later) with serial numbers for
devices; delivery sets `delivered_on`; returns set `returned_on` so a device's
amortisation stops. Only the depot role acts here. Each use case commits once,
and a refusal writes nothing. Returns, replacements and counts: `returns`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from sesamlike.accounts import audit
from sesamlike.accounts.models import Role, User
from sesamlike.catalog.models import Channel
from sesamlike.common.errors import DomainError, Forbidden, Invalid, NotVisible
from sesamlike.common.formatting import ReadersDate
from sesamlike.common.i18n import N_
from sesamlike.common.paging import Page, page_count
from sesamlike.common.time import region_day_of, region_today, utcnow
from sesamlike.extensions import db
from sesamlike.fulfilment.errors import (
    AlreadyDelivered,
    AlreadyShipped,
    DeliveredBeforeOrdered,
    NotPicked,
    NotReserved,
    NotShipped,
    SerialsMissing,
)
from sesamlike.orders import backorders, depot_scope, notices
from sesamlike.orders.models import (
    LINE_REFERENCE,
    LineStatus,
    Order,
    OrderLine,
    Shipment,
    line_reference,
)
from sesamlike.orders.services import load_order
from sesamlike.patients import access
from sesamlike.stock import devices, picking, receipts, reservations, shelving

DEPOT_ROLES = frozenset({Role.DEPOT})

TRACKING_MAX = 80
OVERRIDE_MAX = 200
OVERRIDE_MIN = 10
OVERRIDE_TOO_SHORT = N_("Skriv skälet med minst 10 tecken, t.ex. vem som plockade.")
REFERENCE_PREFIX = "order-line:"


def require_depot(user: User) -> None:
    if user.role not in DEPOT_ROLES:
        raise Forbidden()


# Receiving and backorders -------------------------------------------------


def receive_stock(
    user: User,
    depot_code: str,
    article_no: str,
    packs: int,
    *,
    lot: str | None = None,
    expiry: date | None = None,
    serials: Sequence[str] = (),
    bin: str | None = None,
    today: date | None = None,
    traced: bool = False,
) -> receipts.Receipt:
    """Receive packs into a depot; backorders fill in order of placement.
    `traced`: the page's stricter rules (`receipts.receive`)."""
    require_depot(user)
    return commit_use_case(
        lambda: _flip_filled(
            user,
            receipts.receive(
                depot_code,
                article_no,
                packs,
                lot=lot,
                expiry=expiry,
                serials=serials,
                bin=bin,
                user_id=user.id,
                today=today,
                traced=traced,
            ),
        )
    )


# Picking, shipping, delivery ----------------------------------------------


def pick_order(user: User, order_id: int, today: date | None = None) -> Order:
    """Pick the order's reserved lines (devices are picked by serial at packing)."""
    require_depot(user)

    def run():
        order = load_order(order_id, lock=True)
        reserved = _central(order, LineStatus.RESERVED)
        reservations.lock_articles(line.article_id for line in reserved
                                   if not line.article.serial_tracked)  # fmt: skip
        # The consumables not picked yet (devices: at packing). Picked again:
        # nothing done, nothing logged.
        lines = unpicked_lines(reserved)
        for line in lines:
            picking.pick(line.reference, user_id=user.id, today=today)
        if lines:
            audit.record(
                "pick",
                "order",
                patient_id=order.patient_id,
                object_id=order.id,
                user=user,
                detail=backorders.named_lines(line.id for line in lines),
            )
        return order

    commit_use_case(run)
    return load_order(order_id)


def ship_order(
    user: User,
    order_id: int,
    *,
    line_ids: Iterable[int] | None = None,
    serials: Mapping[str | int, Sequence[str]] | None = None,
    tracking_ref: str | None = None,
    require_picked: bool = False,
    pick_override: str | None = None,
    today: date | None = None,
) -> Order:
    """Ship reserved lines (all, or those named) in one parcel; lend devices.

    `require_picked` (the depot pages): consumable lines must have been picked
    first, unless `pick_override` gives the reason to pack them unpicked, which
    is audited. Devices are picked by serial here, when packed.
    """
    require_depot(user)
    today = today or region_today()
    serials = {str(k): list(v or []) for k, v in (serials or {}).items()}
    tracking_ref = (tracking_ref or "").strip() or None
    if tracking_ref and len(tracking_ref) > TRACKING_MAX:
        raise Invalid(fields={"tracking_ref": [N_("Högst 80 tecken.")]})
    pick_override = " ".join((pick_override or "").split()) or None
    if pick_override and len(pick_override) > OVERRIDE_MAX:
        raise Invalid(fields={"pick_override": [N_("Högst 200 tecken.")]})

    def run():
        order = load_order(order_id, lock=True)
        access.handled_by_depot(
            user, order.patient_id, action="ship_order", detail=str(order.id)
        )
        lines = _lines_to_ship(order, line_ids)
        unpicked = unpicked_lines(lines)
        if unpicked and require_picked and not pick_override:
            raise NotPicked(
                order_id=order.id,
                articles=", ".join(line.article.name for line in unpicked),
            )
        if unpicked and pick_override and len(pick_override) < OVERRIDE_MIN:
            # The reason is audited and read later: "x" tells the reader nothing.
            raise Invalid(fields={"pick_override": [OVERRIDE_TOO_SHORT]})
        if unpicked and pick_override:
            audit.record(
                "pick_override",
                "order",
                patient_id=order.patient_id,
                object_id=order.id,
                user=user,
                detail=pick_override,
            )
        _check_serials(lines, serials)
        reservations.lock_articles(line.article_id for line in lines)
        shipment = Shipment(
            order_id=order.id, tracking_ref=tracking_ref, shipped_by_id=user.id
        )
        db.session.add(shipment)
        db.session.flush()
        for line in lines:
            given = serials.get(str(line.id), [])
            lent = picking.pick(
                line.reference, serials=given, user_id=user.id, today=today
            )
            continued = devices.lend(lent, order.patient_id, today, line.reference,
                                     line.amortisation_line_id)  # fmt: skip
            keep_warranty(line)
            picking.ship(line.reference, user_id=user.id)
            move_line(
                line,
                LineStatus.RESERVED,
                LineStatus.SHIPPED,
                shipped_at=utcnow(),
                shipment_id=shipment.id,
                serial_no=", ".join(given)[:60] or None,
                **relent(line, continued),
            )
        if tracking_ref:
            order.tracking_ref = tracking_ref
        notices.order_shipped(order, today)
        audit.record(
            "ship",
            "order",
            patient_id=order.patient_id,
            object_id=order.id,
            user=user,
            detail=backorders.named_lines(line.id for line in lines),
        )
        return order

    commit_use_case(run)
    return load_order(order_id)


def deliver_order(
    user: User,
    order_id: int,
    delivered_on: date,
    *,
    line_ids: Iterable[int] | None = None,
    shipment_id: int | None = None,
    today: date | None = None,
    not_before_ordered: bool = False,
) -> Order:
    """Confirm delivery of the shipped lines (all, those named, or one
    parcel's: `shipment_id`): delivered_on, status delivered. A parcel of
    another order, or with nothing left to confirm, is not found.
    `not_before_ordered` (the page): refuse a day before the order was placed;
    the API records the days it is given, as before (a migration's history)."""
    require_depot(user)
    today = today or region_today()
    if delivered_on > today:
        raise Invalid(
            fields={"delivered_on": [N_("Leveransdagen kan inte vara i framtiden.")]}
        )

    def run():
        order = load_order(order_id, lock=True)
        access.handled_by_depot(
            user, order.patient_id, action="deliver_order", detail=str(order.id)
        )
        wanted = None if line_ids is None else set(line_ids)
        lines = [
            line
            for line in _central(order, LineStatus.SHIPPED)
            if (wanted is None or line.id in wanted)
            and (shipment_id is None or line.shipment_id == shipment_id)
        ]
        if not lines and shipment_id is not None:
            raise NotVisible()
        if not lines:
            delivered = _central(order, LineStatus.DELIVERED, LineStatus.RETURNED)
            raise (AlreadyDelivered if delivered else NotShipped)(order_id=order.id)
        if not_before_ordered:
            _check_not_before_ordered(order, delivered_on)
        for line in lines:
            move_line(
                line,
                LineStatus.SHIPPED,
                LineStatus.DELIVERED,
                delivered_on=delivered_on,
            )
            devices.start_loan(line.reference, delivered_on, line.id)
            keep_warranty(line)
        notices.order_delivered(order, today)
        audit.record(
            "deliver",
            "order",
            patient_id=order.patient_id,
            object_id=order.id,
            user=user,
            detail=delivered_on.isoformat(),
        )
        return order

    commit_use_case(run)
    return load_order(order_id)


def _check_not_before_ordered(order: Order, delivered_on: date) -> None:
    """Refuse a delivery day before the order was placed: it would move the
    lines' cost into a period, perhaps a closed year, they never saw. (Not the
    shipping day: a parcel packed in a rush may be registered shipped late.)"""
    ordered_on = region_day_of(order.placed_at)
    if delivered_on < ordered_on:
        raise DeliveredBeforeOrdered(
            delivered_on=ReadersDate.of(delivered_on),
            ordered_on=ReadersDate.of(ordered_on),
            fields={"delivered_on": [N_("Före dagen då beställningen lades.")]},
        )


# Reading for the depot pages ------------------------------------------------


def line_for(reference: str | None) -> OrderLine | None:
    """The order line a stock reference names, if it names one."""
    if not reference or not reference.startswith(REFERENCE_PREFIX):
        return None
    return db.session.get(OrderLine, int(reference.removeprefix(REFERENCE_PREFIX)))


def line_ids(references: Iterable[str]) -> set[int]:
    """The ids of the order lines these stock references name."""
    return {
        int(ref.removeprefix(REFERENCE_PREFIX))
        for ref in references
        if ref.startswith(REFERENCE_PREFIX)
    }


def lines_for(references: Iterable[str]) -> dict[str, OrderLine]:
    """The order lines these stock references name, in one query."""
    ids = line_ids(references)
    if not ids:
        return {}
    lines = db.session.scalars(sa.select(OrderLine).where(OrderLine.id.in_(ids)))
    return {line.reference: line for line in lines}


@dataclass(frozen=True)
class Parcel:
    """Shipped lines of an order that travel together (one `Shipment`; None:
    lines shipped before parcels were kept), with their tracking number."""

    shipment_id: int | None
    tracking_ref: str | None
    lines: list[OrderLine]


def parcels_to_confirm(order: Order) -> list[Parcel]:
    """The order's central lines shipped and not yet confirmed delivered,
    parcel by parcel, first sent first: each is delivered on its own day."""
    refs = {shipment.id: shipment.tracking_ref for shipment in order.shipments}
    grouped: dict[int | None, list[OrderLine]] = {}
    for line in _central(order, LineStatus.SHIPPED):
        grouped.setdefault(line.shipment_id, []).append(line)
    return [
        Parcel(key, refs.get(key) if key is not None else order.tracking_ref, lines)
        for key, lines in sorted(grouped.items(), key=lambda item: item[0] or 0)
    ]


# Orders on one page of the packing list and of the deliveries to confirm:
# the oldest first, as they are handled.
ORDERS_PAGE = 50


def orders_to_pack(
    depot_id: int | None, page: int = 1, per_page: int | None = None
) -> Page:
    """Orders with reserved lines held in the depot (None: any), oldest first,
    a page at a time, each with the depots holding its reserved lines, by
    code (no patient data). An order whose reserved lines are held nowhere is
    in every depot's list.

    Found in the database from the region's reserved lines (their index), not
    by loading every order with reserved lines in the region and keeping the
    depot's. Only the page's orders are loaded, with their lines.
    """
    found = _page_of_orders(_orders_with(LineStatus.RESERVED, depot_id), page, per_page)
    held = reservations.depots_holding(
        [line.reference for line in _reserved_lines(found.items)]
    )
    listed = []
    for order in found.items:
        depots = {
            depot.id: depot
            for line in _central(order, LineStatus.RESERVED)
            for depot in held.get(line.reference, [])
        }
        listed.append((order, sorted(depots.values(), key=lambda d: d.code)))
    return replace(found, items=listed)


def orders_to_confirm(page: int = 1, per_page: int | None = None) -> Page:
    """Orders with central lines shipped and not yet confirmed delivered,
    oldest first, a page at a time, each with its parcels (no patient data)."""
    found = _page_of_orders(_orders_with(LineStatus.SHIPPED), page, per_page)
    return replace(
        found, items=[(order, parcels_to_confirm(order)) for order in found.items]
    )


def _page_of_orders(keys: sa.Select, page: int, per_page: int | None) -> Page:
    """The page of `keys` (order ids with the count of all, `_orders_with`):
    its orders loaded with their lines, articles and shipments. A page past
    the last (a number typed, or orders handled meanwhile) is the last."""
    per_page = per_page or ORDERS_PAGE

    def rows_of(page: int) -> list[sa.Row]:
        return db.session.execute(
            keys.limit(per_page).offset((page - 1) * per_page)
        ).all()

    page = max(page, 1)
    rows = rows_of(page)
    if not rows and page > 1:
        total = db.session.scalar(
            sa.select(sa.func.count()).select_from(keys.subquery())
        )
        page = page_count(total, per_page)
        rows = rows_of(page)
    order_ids = [row.order_id for row in rows]
    loaded = {
        order.id: order
        for order in db.session.scalars(
            sa.select(Order)
            .options(
                selectinload(Order.lines).selectinload(OrderLine.article),
                selectinload(Order.shipments),
            )
            .where(Order.id.in_(order_ids))
        )
    }
    # (An order gone between the two statements is left out.)
    orders = [loaded[order_id] for order_id in order_ids if order_id in loaded]
    return Page(orders, rows[0].total if rows else 0, page, per_page)


def page_to_confirm(order_id: int, per_page: int | None = None) -> int | None:
    """The page of the deliveries to confirm the order is on (None: it has
    no shipped line left to confirm)."""
    queue = _orders_with(LineStatus.SHIPPED).subquery()
    placed = sa.select(queue.c.placed_at).where(queue.c.order_id == order_id)
    placed_at = db.session.scalar(placed)
    if placed_at is None:
        return None
    before = sa.select(sa.func.count()).where(
        sa.or_(
            queue.c.placed_at < placed_at,
            sa.and_(queue.c.placed_at == placed_at, queue.c.order_id < order_id),
        )
    )
    return db.session.scalar(before) // (per_page or ORDERS_PAGE) + 1


def _orders_with(status: str, depot_id: int | None = None) -> sa.Select:
    """The ids of the orders with central lines in the status, oldest first,
    each row with the count of them all (`total`). Read from those lines (few
    in the region, by the status index) grouped by order.

    With `depot_id` (reserved lines): an order is the depot's when one of its
    reserved lines is held there, or none is held anywhere."""
    # Grouped by the line's order alone, and ordered by its one placing time
    # as an aggregate: grouped or ordered by orders.placed_at, PostgreSQL may
    # walk that index through every order of the region, probing each for
    # lines, as if the page's LIMIT spared it the rest (the total needs them
    # all): 0.8-1 s at 300,000 orders against 0.1.
    placed_at = sa.func.min(Order.placed_at)
    query = (
        sa.select(
            OrderLine.order_id.label("order_id"),
            placed_at.label("placed_at"),
            sa.func.count().over().label("total"),
        )
        .join(Order, Order.id == OrderLine.order_id)
        .where(OrderLine.channel == Channel.CENTRAL, OrderLine.status == status)
        .group_by(OrderLine.order_id)
        .order_by(placed_at, OrderLine.order_id)
    )
    if depot_id is None:
        return query
    reference = sa.literal(LINE_REFERENCE) + sa.cast(OrderLine.id, sa.String)
    nowhere = 0
    held = sa.func.coalesce(reservations.holding(reference, depot_id), nowhere)
    return query.having(sa.func.max(held).in_([reservations.HELD_HERE, nowhere]))


def _reserved_lines(orders: Iterable[Order]) -> list[OrderLine]:
    return [line for order in orders for line in _central(order, LineStatus.RESERVED)]


def order_for_depot(user: User, order_id: int) -> Order:
    """One order for packing, with its address; audited. One the aids centre
    does not handle (`depot_scope`), and has no picked packs of to put back
    (a line cancelled after picking, however long ago), answers NotVisible."""
    require_depot(user)
    order = load_order(order_id)
    if not depot_scope.handles_any(order.lines) and not shelving.to_shelve(
        references=[line.reference for line in order.lines]
    ):
        raise NotVisible()
    access.handled_by_depot(
        user, order.patient_id, action="read_order", detail=str(order.id)
    )
    db.session.commit()
    return order


def unpicked_lines(lines: Iterable[OrderLine]) -> list[OrderLine]:
    """Consumable lines whose packs are not picked yet (devices: at packing)."""
    lines = [line for line in lines if not line.article.serial_tracked]
    if not lines:
        return []
    waiting = reservations.references_in(
        [line.reference for line in lines], reservations.ReservationStatus.ACTIVE
    )
    return [line for line in lines if line.reference in waiting]


def serials_in_stock(order: Order) -> dict[int, list[str]]:
    """Per reserved serial-tracked line: the serials on the shelf of its depot."""
    found = {}
    for line in _central(order, LineStatus.RESERVED):
        if line.article.serial_tracked:
            depot_ids = reservations.depots_of(line.reference)
            found[line.id] = devices.serials_in_stock(line.article_id, depot_ids)
    return found


# Steps ---------------------------------------------------------------------


def commit_use_case(run):
    try:
        result = run()
        db.session.commit()
    except DomainError:
        db.session.rollback()
        raise
    return result


def fill_backorders(article_id: int, user: User) -> list[str]:
    """Fill the article's backorders from free stock; return their references."""
    return backorders.fill(article_id, user=user)


def _flip_filled(user: User, receipt: receipts.Receipt) -> receipts.Receipt:
    backorders.mark_reserved(receipt.filled, user=user)
    return receipt


def _central(order: Order, *statuses: str) -> list[OrderLine]:
    return [
        line
        for line in order.lines
        if line.channel == Channel.CENTRAL and line.status in statuses
    ]


def _lines_to_ship(order: Order, line_ids) -> list[OrderLine]:
    if line_ids is None:
        lines = _central(order, LineStatus.RESERVED)
        if lines:
            return lines
        done = _central(order, LineStatus.SHIPPED, LineStatus.DELIVERED)
        raise (AlreadyShipped if done else NotReserved)(order_id=order.id)
    by_id = {line.id: line for line in order.lines}
    lines = []
    for line_id in dict.fromkeys(line_ids):
        line = by_id.get(line_id)
        if line is None or line.channel != Channel.CENTRAL:
            raise Invalid(fields={"line_ids": [N_("Okänd rad i beställningen.")]})
        if line.status in (LineStatus.SHIPPED, LineStatus.DELIVERED):
            raise AlreadyShipped(order_id=order.id)
        if line.status != LineStatus.RESERVED:
            raise NotReserved(order_id=order.id)
        lines.append(line)
    if not lines:
        raise Invalid(fields={"line_ids": [N_("Välj minst en rad.")]})
    return lines


def _check_serials(lines: list[OrderLine], serials: dict[str, list[str]]) -> None:
    shipping = {str(line.id): line for line in lines}
    problems = {}
    for key in serials:
        if key not in shipping:
            problems[f"serials.{key}"] = [N_("Raden skickas inte nu.")]
    for key, line in shipping.items():
        given = [s.strip() for s in serials.get(key, []) if s and s.strip()]
        serials[key] = given
        if line.article.serial_tracked and len(given) != line.packs:
            problems[f"serials.{key}"] = [N_("Ett serienummer per förpackning.")]
        elif not line.article.serial_tracked and given:
            problems[f"serials.{key}"] = [N_("Artikeln är inte individmärkt.")]
    if problems:
        raise SerialsMissing(fields=problems)


def payer_of(line: OrderLine) -> dict:
    """Who pays a line that replaces `line` without a withdrawal of its own:
    the same cost centre and clinic (written on the new line)."""
    if line.prescription is not None:
        return {"cost_clinic_id": line.prescription.clinic_id,
                "cost_centre": line.prescription.cost_centre}  # fmt: skip
    return {"cost_clinic_id": line.cost_clinic_id, "cost_centre": line.cost_centre}


def relent(line: OrderLine, continued: int | None) -> dict:
    """A device lent before (returned, reconditioned) continues the
    amortisation it began on its first delivery (`devices.lend`): the line
    that lends it again costs the rest of that period at that daily rate, not
    the whole price a second time. A warranty replacement's line keeps its own
    chain."""
    if continued in (None, line.id) or line.replaces_line_id is not None:
        return {}
    return {"amortised_line_id": continued}


def keep_warranty(line: OrderLine) -> None:
    """A warranty replacement's device keeps the warranty end of the device it
    replaces: the region's warranty runs from the first delivery, not the swap."""
    if line.replaces_line_id is not None:
        devices.keep_warranty(line.reference, line_reference(line.replaces_line_id))


def move_line(line: OrderLine, old: str, new: str, **values) -> None:
    """Compare-and-set the line's status, so a concurrent request wins once."""
    changed = db.session.execute(
        sa.update(OrderLine)
        .where(OrderLine.id == line.id, OrderLine.status == old)
        .values(status=new, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise AlreadyShipped(order_id=line.order_id)
    db.session.expire(line)
