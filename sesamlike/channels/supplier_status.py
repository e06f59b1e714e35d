"""Status replies from suppliers: confirmed, shipped, delivered, cancelled.

All rows or none, like every file import: each bad row is reported with its
line number and nothing is written. A row that repeats what is already known
(the same file imported twice, a confirmation arriving after the parcel) is
counted as unchanged rather than refused, so a supplier's cumulative status file
can be imported every day.

A pump or CGM reader the supplier delivers to the patient is the region's,
lent like one from the aids centre's shelf: a `delivered` row's optional
`serial_no` registers it as lent from `delivered_on` (`devices.register_loan`),
so it can come back or be swapped under warranty, and its amortisation stops or
continues as for a central delivery. A later file may add the serial of a line
delivered without one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from sesamlike.accounts.models import User
from sesamlike.channels.errors import LineChangedDuringImport
from sesamlike.channels.models import SupplierExportLine, SupplierStatus
from sesamlike.channels.supplier import require_depot
from sesamlike.common.csvfiles import (
    MAX_ROWS,
    CsvLayout,
    FileInvalid,
    Row,
    read_csv,
    write_all_or_nothing,
)
from sesamlike.common.i18n import N_, Plural
from sesamlike.common.time import region_day_of, region_today, utcnow
from sesamlike.extensions import db
from sesamlike.orders import notices, withdrawals
from sesamlike.orders.changes import audit_update, orders_for_notices
from sesamlike.orders.models import (
    LineStatus,
    Order,
    OrderLine,
    Shipment,
    line_reference,
)
from sesamlike.stock import devices
from sesamlike.stock.models import SERIAL_MAX, Device

STATUS_COLUMNS = ("line_id", "status", "tracking_ref", "delivered_on")
REPORTED = (
    SupplierStatus.CONFIRMED,
    SupplierStatus.SHIPPED,
    SupplierStatus.DELIVERED,
    SupplierStatus.CANCELLED,
)
AFTER_SHIPPING = (LineStatus.SHIPPED, LineStatus.DELIVERED, LineStatus.RETURNED)
TRACKING_MAX = 80


class SupplierStatusInvalid(FileInvalid):
    code = "supplier_status_invalid"
    message = Plural(
        "Statusfilen har fel på {count} rad; inget importerades.",
        "Statusfilen har fel på {count} rader; inget importerades.",
        count="count",
    )


STATUS_FILE = CsvLayout(
    STATUS_COLUMNS,
    optional=("serial_no",),
    invalid=SupplierStatusInvalid,
    unknown_column=N_("Okänd eller upprepad kolumn: {column}."),
    max_rows=MAX_ROWS,
)


@dataclass
class StatusCounts:
    confirmed: int = 0
    shipped: int = 0
    delivered: int = 0
    cancelled: int = 0
    unchanged: int = 0
    lent: int = 0  # devices registered as lent to the patient (serial_no)


@dataclass
class _Change:
    mark: SupplierExportLine
    status: str
    seen: str  # the line's status when checked: the update only matches that
    tracking_ref: str | None
    delivered_on: date | None
    serial_no: str | None = None  # lend the line's device under this serial
    serial_only: bool = False  # a delivered line gets its serial: nothing else


@dataclass
class _Seen:
    """What the rows are checked against: the devices their serials and lines
    have in the register, and where each line and serial stood first."""

    known: list[Device]
    lines: dict[int, int] = field(default_factory=dict)
    serials: dict[str, int] = field(default_factory=dict)


def import_supplier_status_text(
    text: str, user: User | None = None, *, today: date | None = None
) -> StatusCounts:
    """Apply every row of a status file in one transaction, or raise: nothing."""
    require_depot(user)
    today = today or region_today()
    table = read_csv(text, STATUS_FILE)
    marks = _marks(table.ids("line_id"))
    seen = _Seen(
        devices.registered(
            {row["serial_no"] for row in table.rows} - {""},
            [
                mark.order_line.reference
                for mark in marks.values()
                if mark.order_line.article.serial_tracked
            ],
        )
    )
    changes = table.check(lambda row: _check(row, marks, seen, today))
    counts = StatusCounts(unchanged=table.unchanged)
    write_all_or_nothing(lambda: _apply(changes, counts, user, today))
    return counts


def _marks(line_ids: set[int]) -> dict[int, SupplierExportLine]:
    if not line_ids:
        return {}
    found = db.session.scalars(
        sa.select(SupplierExportLine)
        .where(SupplierExportLine.order_line_id.in_(sorted(line_ids)))
        .options(
            selectinload(SupplierExportLine.order_line)
            .selectinload(OrderLine.order)
            .selectinload(Order.patient),
            selectinload(SupplierExportLine.order_line).selectinload(OrderLine.article),
        )
    )
    return {mark.order_line_id: mark for mark in found}


def _check(row: Row, marks, seen: _Seen, today: date) -> _Change | None:
    line_id = row.integer("line_id")
    status = row["status"].lower()
    if status not in REPORTED:
        row.add(
            "status",
            N_("Okänd status «{value}»; tillåtna: {allowed}."),
            value=row["status"],
            allowed=", ".join(REPORTED),
        )
    tracking = row.text("tracking_ref", TRACKING_MAX, required=status == "shipped")
    delivered_on = row.date("delivered_on", required=status == "delivered")
    if delivered_on and delivered_on > today:
        row.add(
            "delivered_on",
            N_("Leveransdatumet {value} ligger i framtiden."),
            value=row["delivered_on"],
        )
    if line_id is None:
        return None
    if line_id in seen.lines:
        row.add(
            "line_id",
            N_("Orderraden {line_id} står redan på rad {line}."),
            line_id=line_id,
            line=seen.lines[line_id],
        )
        return None
    seen.lines[line_id] = row.line
    mark = marks.get(line_id)
    if mark is None:
        row.add(
            "line_id",
            N_("Orderraden {line_id} finns inte i någon leverantörsfil."),
            line_id=line_id,
        )
        return None
    line = mark.order_line
    ordered_on = region_day_of(line.order.placed_at)
    if delivered_on and delivered_on < ordered_on:
        row.add(
            "delivered_on",
            N_("Leveransdatumet {value} är före beställningen ({ordered_on})."),
            value=row["delivered_on"],
            ordered_on=ordered_on.isoformat(),
        )
    serial = _serial(row, line, status, seen)
    if row.errors:
        return None
    if _unchanged(row, line, mark, status, tracking, delivered_on):
        if serial and line.status == LineStatus.DELIVERED:
            return _Change(mark, status, line.status, None, delivered_on, serial, True)
        return None
    return _Change(mark, status, line.status, tracking or None, delivered_on, serial)


def _serial(row: Row, line: OrderLine, status: str, seen: _Seen) -> str | None:
    """The serial number to lend the line's device under, or None when there is
    none or it is known already; adds the row's errors."""
    serial = row.text("serial_no", SERIAL_MAX, required=False)
    if not serial or row.errors:
        return None
    article = line.article
    if status != SupplierStatus.DELIVERED:
        row.add(
            "serial_no",
            N_(
                "Serienumret anges med status delivered: hjälpmedlet lånas ut "
                "från leveransdagen."
            ),
        )
        return None
    if not article.serial_tracked:
        row.add(
            "serial_no",
            N_("Artikeln {article_no} är inte individmärkt och tar inget serienummer."),
            article_no=article.article_no,
        )
        return None
    if serial in seen.serials:
        row.add(
            "serial_no",
            N_("Serienumret {serial} står redan på rad {line}."),
            serial=serial,
            line=seen.serials[serial],
        )
        return None
    seen.serials[serial] = row.line
    # Registered before (an earlier file, or the clerk when it came back): the
    # line keeps the serial after its device has been reconditioned and lent on.
    known = line.serial_no or next(
        (d.serial_no for d in seen.known if d.reference == line.reference), None
    )
    if known:
        if known != serial:
            row.add(
                "serial_no",
                N_("Orderraden {line_id} har redan serienumret {serial}."),
                line_id=line.id,
                serial=known,
            )
        return None
    refusal = devices.serial_refusal(article.id, serial, seen.known)
    if refusal is not None:
        row.add("serial_no", refusal.message, **refusal.params)
        return None
    if line.status == LineStatus.RETURNED:
        return None  # back already: there is no loan to register
    return serial


def _unchanged(row, line, mark, status, tracking, delivered_on) -> bool:
    """True when the row repeats what is known; adds an error when it cannot be."""
    current = line.status
    if current == LineStatus.CANCELLED:
        if status != SupplierStatus.CANCELLED:
            row.add("status", N_("Orderraden {line_id} är makulerad."), line_id=line.id)
            return True
        # Cancelled here first: the supplier's word only acknowledges it.
        return mark.supplier_status == SupplierStatus.CANCELLED
    if status == SupplierStatus.CONFIRMED:
        return current in AFTER_SHIPPING or mark.supplier_status == status
    if status == SupplierStatus.CANCELLED:
        if current in AFTER_SHIPPING:
            row.add(
                "status",
                N_("Orderraden {line_id} är redan skickad och kan inte makuleras."),
                line_id=line.id,
            )
            return True
        return False
    if status == SupplierStatus.SHIPPED and current == LineStatus.SHIPPED:
        if (mark.tracking_ref or "") != tracking:
            row.add(
                "tracking_ref",
                N_(
                    "Orderraden {line_id} är redan skickad med sändningsnummer "
                    "{tracking_ref}."
                ),
                line_id=line.id,
                tracking_ref=mark.tracking_ref or "–",
            )
        return True
    if current in (LineStatus.DELIVERED, LineStatus.RETURNED):
        if status == SupplierStatus.DELIVERED and line.delivered_on != delivered_on:
            row.add(
                "delivered_on",
                N_("Orderraden {line_id} är redan levererad {delivered_on}."),
                line_id=line.id,
                delivered_on=line.delivered_on.isoformat(),
            )
        return True
    return False


def _apply(changes: list[_Change], counts: StatusCounts, user, today) -> None:
    now = utcnow()
    shipments: dict[tuple[int, str | None], Shipment] = {}
    touched: dict[int, set[str]] = defaultdict(set)
    # A cancellation gives its withdrawal back, which locks the patient's row:
    # taken first, as the end of care and protected identity take it before
    # the patient's lines (a line held here while waiting for it: a deadlock).
    withdrawals.lock_patients_of_lines(
        [
            change.mark.order_line.id
            for change in changes
            if change.status == SupplierStatus.CANCELLED
            and change.seen != LineStatus.CANCELLED
            and change.mark.order_line.prescription_id
        ]
    )
    for change in changes:
        mark, line = change.mark, change.mark.order_line
        if change.serial_only:
            values = {"updated_at": now, "serial_no": change.serial_no}
            _compare_and_set(line, change.seen, values)
            _lend(line, change, counts, touched)
            continue
        values = {"updated_at": now}
        if change.status == SupplierStatus.SHIPPED:
            key = (line.order_id, change.tracking_ref)
            if key not in shipments:
                shipments[key] = Shipment(
                    order_id=line.order_id,
                    tracking_ref=change.tracking_ref,
                    shipped_at=now,
                    shipped_by_id=user.id if user else None,
                )
                db.session.add(shipments[key])
                db.session.flush()
            line.order.tracking_ref = change.tracking_ref
            values.update(
                status=LineStatus.SHIPPED,
                shipped_at=now,
                shipment_id=shipments[key].id,
            )
            mark.tracking_ref = change.tracking_ref
        elif change.status == SupplierStatus.DELIVERED:
            values.update(status=LineStatus.DELIVERED, delivered_on=change.delivered_on)
            if change.serial_no:
                values.update(serial_no=change.serial_no)
        elif change.status == SupplierStatus.CANCELLED:
            values.update(status=LineStatus.CANCELLED)
        if change.seen != LineStatus.CANCELLED:
            _compare_and_set(line, change.seen, values)
            if change.status == SupplierStatus.CANCELLED and line.prescription_id:
                withdrawals.give_back(line, today)
        mark.supplier_status = change.status
        mark.status_updated_at = now
        setattr(counts, change.status, getattr(counts, change.status) + 1)
        touched[line.order_id].add(change.status)
        if change.serial_no:
            _lend(line, change, counts, touched)
    for order in orders_for_notices(sorted(touched)):
        audit_update(
            order, user, "supplier status: " + ", ".join(sorted(touched[order.id]))
        )
        if SupplierStatus.SHIPPED in touched[order.id]:
            notices.order_shipped(order, today)
        if SupplierStatus.DELIVERED in touched[order.id]:
            notices.order_delivered(order, today)


def _lend(line: OrderLine, change: _Change, counts: StatusCounts, touched) -> None:
    """Register the delivered device as lent to the patient from its delivery."""
    devices.register_loan(
        line.article,
        change.serial_no,
        line.patient_id,
        line.delivered_on,
        line.reference,
        line.amortisation_line_id,
    )
    if line.replaces_line_id is not None:  # a warranty replacement
        devices.keep_warranty(line.reference, line_reference(line.replaces_line_id))
    counts.lent += 1
    touched[line.order_id].add(f"device {change.serial_no} lent")


def _compare_and_set(line: OrderLine, seen: str, values: dict) -> None:
    changed = db.session.execute(
        sa.update(OrderLine)
        .where(OrderLine.id == line.id, OrderLine.status == seen)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:  # cancelled or shipped by someone else meanwhile
        raise LineChangedDuringImport(line_id=line.id)
    db.session.expire(line)
