"""The supplier channel: daily order files per supplier and their status replies.

`export_supplier_orders(day)` puts every supplier-channel line still waiting
(status sent_to_supplier, ordered on or before `day` in the region's calendar,
in no file yet) into one file per supplier for that day. The first export of a
supplier's day is final: its text is stored, a re-export gives the same bytes
(but for the ship-to of lines no longer on their way, below), and lines ordered
after it go into the next day's file. The file carries the
order's ship-to snapshot; for a patient with protected identity only the
clinic's address, never the patient's, whatever the snapshot says. A file
downloaded again is the text first written, except that a line no longer on
its way shows no name, address, door code or phone, and a line of a patient
who has got protected identity since shows today's ship-to (the clinic's
address), not the home address the supplier was sent (`file_text`).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, selectinload

from sesamlike.accounts import audit
from sesamlike.accounts.models import Role, User
from sesamlike.catalog.models import Channel
from sesamlike.channels.errors import ExportDayInFuture
from sesamlike.channels.models import SupplierExport, SupplierExportLine
from sesamlike.common.errors import Forbidden, NotVisible
from sesamlike.common.i18n import N_
from sesamlike.common.spreadsheets import MACHINE, csv_text, plain
from sesamlike.common.time import REGION_TIMEZONE, region_day_of, region_today
from sesamlike.extensions import db
from sesamlike.orders import shipto
from sesamlike.orders.models import (
    UNDELIVERED_LINE_STATUSES,
    LineStatus,
    Order,
    OrderLine,
)
from sesamlike.patients.models import Patient
from sesamlike.prescriptions.models import Prescription

EXPORT_COLUMNS = (
    "line_id", "order_no", "ordered_on", "supplier", "article_no", "article_name",
    "gtin", "packs", "delivery_mode", "ship_to_name", "ship_to_street",
    "ship_to_postal_code", "ship_to_city", "ship_to_door_code", "contact_phone",
    "cost_centre", "replaces_serial_no",
)  # fmt: skip


def require_depot(user: User | None) -> None:
    """Channel work is the aids centre's; None is the command line or a job."""
    if user is not None and user.role != Role.DEPOT:
        raise Forbidden()


def export_supplier_orders(
    day: date, user: User | None = None, *, today: date | None = None
) -> list[SupplierExport]:
    """Write the day's supplier files (those not yet written); commit; all of them."""
    require_depot(user)
    if day > (today or region_today()):
        raise ExportDayInFuture(
            day=day.isoformat(),
            fields={"day": [N_("Välj dagens datum eller ett tidigare.")]},
        )
    try:
        _export(day, user)
        db.session.commit()
    except IntegrityError:
        # A simultaneous export of the same day won: its files stand.
        db.session.rollback()
    return exports_of(day)


def exports_of(day: date) -> list[SupplierExport]:
    return list(
        db.session.scalars(
            sa.select(SupplierExport)
            .where(SupplierExport.export_date == day)
            .options(selectinload(SupplierExport.lines))
            .order_by(SupplierExport.supplier)
        )
    )


def recent_exports(limit: int = 60) -> list[SupplierExport]:
    return list(
        db.session.scalars(
            sa.select(SupplierExport)
            .options(selectinload(SupplierExport.lines))
            .order_by(SupplierExport.export_date.desc(), SupplierExport.supplier)
            .limit(limit)
        )
    )


def waiting_lines() -> list[OrderLine]:
    """Supplier lines not yet in any file, oldest first."""
    return list(db.session.scalars(_waiting_query()))


def cancelled_after_export() -> list[SupplierExportLine]:
    """Exported lines the prescriber cancelled later: the supplier must be told."""
    return list(
        db.session.scalars(
            sa.select(SupplierExportLine)
            .join(OrderLine, OrderLine.id == SupplierExportLine.order_line_id)
            .where(
                OrderLine.status == LineStatus.CANCELLED,
                SupplierExportLine.supplier_status != "cancelled",
            )
            .options(
                selectinload(SupplierExportLine.export),
                selectinload(SupplierExportLine.order_line).selectinload(
                    OrderLine.article
                ),
            )
            .order_by(SupplierExportLine.order_line_id)
        )
    )


def _waiting_query(cutoff: datetime | None = None):
    exported = sa.select(SupplierExportLine.id).where(
        SupplierExportLine.order_line_id == OrderLine.id
    )
    query = (
        sa.select(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            OrderLine.channel == Channel.SUPPLIER,
            OrderLine.status == LineStatus.SENT_TO_SUPPLIER,
            ~exported.exists(),
        )
        .options(
            selectinload(OrderLine.article),
            selectinload(OrderLine.order).selectinload(Order.patient),
            selectinload(OrderLine.prescription).selectinload(Prescription.clinic),
        )
        .order_by(Order.placed_at, OrderLine.id)
    )
    if cutoff is not None:
        query = query.where(Order.placed_at < cutoff)
    return query


def _export(day: date, user: User | None) -> None:
    next_midnight = datetime.combine(day + timedelta(days=1), time(), REGION_TIMEZONE)
    lines = db.session.scalars(_waiting_query(next_midnight.astimezone(UTC))).all()
    done = {e.supplier for e in exports_of(day)}
    by_supplier: dict[str, list[OrderLine]] = defaultdict(list)
    for line in lines:
        if line.article.supplier not in done:  # later lines wait for the next day
            by_supplier[line.article.supplier].append(line)
    for supplier, supplier_lines in sorted(by_supplier.items()):
        export = SupplierExport(
            supplier=supplier,
            export_date=day,
            created_by_id=user.id if user else None,
            content=csv_text(
                EXPORT_COLUMNS,
                [_cells(export_row(line)) for line in supplier_lines],
            ),
        )
        db.session.add(export)
        db.session.flush()
        per_patient: dict[int, int] = defaultdict(int)
        for line in supplier_lines:
            db.session.add(
                SupplierExportLine(export_id=export.id, order_line_id=line.id)
            )
            per_patient[line.order.patient_id] += 1
        for patient_id, count in sorted(per_patient.items()):
            # The file discloses name and address to the supplier.
            audit.record(
                "export",
                "supplier_order",
                patient_id=patient_id,
                object_id=export.id,
                user=user,
                detail=f"{supplier} {day.isoformat()}: {count} lines",
            )
        db.session.flush()


def _cells(row: dict[str, object]) -> list:
    return [row[column] for column in EXPORT_COLUMNS]


def export_row(line: OrderLine) -> dict[str, object]:
    """One line of a supplier file: article, packs and where it goes."""
    order, article = line.order, line.article
    row: dict[str, object] = dict(
        line_id=line.id,
        order_no=order.id,
        ordered_on=region_day_of(order.placed_at).isoformat(),
        supplier=article.supplier,
        article_no=article.article_no,
        article_name=article.name,
        gtin=article.gtin or "",
        packs=line.packs,
        delivery_mode=order.delivery_mode,
        # A warranty replacement has no prescription: its payer is its own.
        cost_centre=(
            line.prescription.cost_centre
            if line.prescription
            else line.cost_centre or ""
        ),
        # The faulty device it replaces, which the supplier's warranty covers
        # (not a new order to bill).
        replaces_serial_no=_replaced_serial(line),
    )
    return row | ship_to(order, line)


def _replaced_serial(line: OrderLine) -> str:
    if line.replaces_line_id is None:
        return ""
    replaced = db.session.get(OrderLine, line.replaces_line_id)
    return (replaced.serial_no or "") if replaced is not None else ""


def ship_to(order: Order, line: OrderLine) -> dict[str, str]:
    """Where the line goes; protected identity: the clinic's address only."""
    place = shipto.ship_to(order, line)
    values = dict(
        ship_to_name=place.name or "",
        ship_to_street=place.street or "",
        ship_to_postal_code=place.postal_code or "",
        ship_to_city=place.city or "",
        ship_to_door_code=place.door_code or "",
        contact_phone=place.phone or "",
    )
    if place.mode != order.delivery_mode:
        values["delivery_mode"] = place.mode
    return values


# The cells of a row that tell where it goes and to whom.
SHIP_TO_COLUMNS = ("delivery_mode", "ship_to_name", "ship_to_street",
                   "ship_to_postal_code", "ship_to_city", "ship_to_door_code",
                   "contact_phone")  # fmt: skip


def file_text(export: SupplierExport) -> str:
    """The file to hand out again: its stored text (kept as the record), but
    - a line no longer on its way (delivered, cancelled, returned) has no name,
      address, door code or phone any more: the file is handed out again for
      the supplier's sake, and the aids centre never sees the ship-to of an
      order only a supplier delivers (`shipto.ship_to_seen_by`);
    - a line of a patient who has got protected identity since has today's
      ship-to (the clinic's address), never the home address, door code or
      phone the supplier was sent."""
    rewritten = {
        line.id: line
        for line in db.session.scalars(
            sa.select(OrderLine)
            .join(SupplierExportLine, SupplierExportLine.order_line_id == OrderLine.id)
            .join(OrderLine.order)
            .join(Order.patient)
            .where(SupplierExportLine.export_id == export.id)
            .where(
                sa.or_(
                    Patient.protected_identity,
                    OrderLine.status.not_in(sorted(UNDELIVERED_LINE_STATUSES)),
                )
            )
            .options(
                contains_eager(OrderLine.order).contains_eager(Order.patient),
                selectinload(OrderLine.prescription),
            )
        )
    }  # one statement, not three lazy loads for every line of the file
    if not rewritten:
        return export.content
    header, *rows = csv.reader(io.StringIO(export.content), delimiter=MACHINE.delimiter)
    columns = [header.index(column) for column in SHIP_TO_COLUMNS]
    cells = [[plain(cell) for cell in row] for row in rows]
    for row in cells:
        line = rewritten.get(int(row[0]))
        if line is None:
            continue
        if line.status in UNDELIVERED_LINE_STATUSES:
            now = {"delivery_mode": line.order.delivery_mode}
            now |= ship_to(line.order, line)
        else:  # the mode it went by, not to whom
            now = dict.fromkeys(SHIP_TO_COLUMNS, "")
            now["delivery_mode"] = row[columns[0]]
        for index, column in zip(columns, SHIP_TO_COLUMNS, strict=True):
            row[index] = now[column]
    return csv_text(header, cells)


def export_file(user: User | None, export_id: int) -> SupplierExport:
    """A supplier file to download; each patient in it is audited as read."""
    require_depot(user)
    export = db.session.scalar(
        sa.select(SupplierExport)
        .where(SupplierExport.id == export_id)
        .options(
            selectinload(SupplierExport.lines)
            .selectinload(SupplierExportLine.order_line)
            .selectinload(OrderLine.order)
        )
    )
    if export is None:
        raise NotVisible()
    patients = sorted({mark.order_line.order.patient_id for mark in export.lines})
    for patient_id in patients:
        audit.record(
            "read",
            "supplier_order",
            patient_id=patient_id,
            object_id=export.id,
            user=user,
            detail=f"download {export.filename}",
        )
    db.session.commit()
    return export
