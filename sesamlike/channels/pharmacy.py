"""The pharmacy channel: e-recept per order line, and dispensings reported back.

Each pharmacy-channel line waiting at the pharmacy (sent_to_pharmacy) gets one
pharmacy prescription: the patient, the article, the packs, valid for a year
from the day it was ordered. A dispensing of all the packs still open marks the
line delivered on the dispensing date. A partial dispensing splits the line: a
new delivered line carries the dispensed packs, with the same price and VAT
snapshot, and the original keeps the rest open. So each pack's cost falls in
the year it was dispensed, VAT included (pharmacy lines carry VAT).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from sesamlike.accounts import audit
from sesamlike.accounts.models import User
from sesamlike.catalog.models import Channel
from sesamlike.channels.errors import LineChangedDuringImport
from sesamlike.channels.models import (
    PharmacyDispensing,
    PharmacyPrescription,
    PharmacyPrescriptionStatus,
)
from sesamlike.channels.supplier import require_depot
from sesamlike.common.csvfiles import (
    MAX_ROWS,
    CsvLayout,
    CsvTable,
    FileInvalid,
    Row,
    read_csv,
    write_all_or_nothing,
)
from sesamlike.common.i18n import N_, Plural
from sesamlike.common.time import region_day_of, region_today, utcnow
from sesamlike.extensions import db
from sesamlike.orders import notices
from sesamlike.orders.changes import audit_update, orders_for_notices
from sesamlike.orders.models import LineStatus, OrderLine

VALID_DAYS = 365  # a Swedish prescription is valid for one year
DISPENSING_COLUMNS = (
    "pharmacy_prescription_id", "dispensing_ref", "pharmacy_id", "pharmacy_name",
    "dispensed_on", "packs",
)  # fmt: skip


class DispensingInvalid(FileInvalid):
    code = "dispensing_invalid"
    message = Plural(
        "Expedieringsfilen har fel på {count} rad; inget importerades.",
        "Expedieringsfilen har fel på {count} rader; inget importerades.",
        count="count",
    )


DISPENSING_FILE = CsvLayout(
    DISPENSING_COLUMNS,
    invalid=DispensingInvalid,
    unknown_column=N_("Okänd eller upprepad kolumn: {column}."),
    max_rows=MAX_ROWS,
)


@dataclass
class DispensingCounts:
    dispensings: int = 0
    delivered_lines: int = 0
    partial: int = 0
    unchanged: int = 0


def issue_pharmacy_prescriptions(user: User | None = None) -> int:
    """An e-recept for every pharmacy line that has none yet; commit; how many."""
    require_depot(user)
    # Locked: a cancellation of one of them waits, then finds its e-recept
    # (orders.services.cancel_order); one cancelled first is not issued.
    lines = db.session.scalars(
        sa.select(OrderLine)
        .where(*_WAITING_FOR_E_RECEPT)
        .options(selectinload(OrderLine.order))
        .order_by(OrderLine.id)
        .with_for_update(of=OrderLine)
    ).all()
    for line in lines:
        valid_from = region_day_of(line.order.placed_at)
        db.session.add(
            PharmacyPrescription(
                order_line_id=line.id,
                patient_id=line.order.patient_id,
                article_id=line.article_id,
                packs=line.packs,
                valid_from=valid_from,
                valid_to=valid_from + timedelta(days=VALID_DAYS - 1),
            )
        )
        audit.record(
            "create",
            "pharmacy_prescription",
            patient_id=line.order.patient_id,
            object_id=line.id,
            user=user,
            detail=f"e-recept for order line {line.id}",
        )
    db.session.commit()
    return len(lines)


def withdraw_e_recepts(line_ids: list[int], user: User | None) -> None:
    """Cancel (makulera) the e-recepts of these order lines not yet dispensed:
    the prescriber cancelled the lines, so the pharmacy must not hand them out.
    In the caller's transaction (`orders.services.cancel_order`)."""
    withdrawn = db.session.execute(
        sa.update(PharmacyPrescription)
        .where(PharmacyPrescription.order_line_id.in_(line_ids), _OPEN)
        .values(status=PharmacyPrescriptionStatus.CANCELLED)
        .returning(PharmacyPrescription.id, PharmacyPrescription.patient_id)
        .execution_options(synchronize_session=False)
    ).all()
    for rx_id, patient_id in sorted(withdrawn):
        audit.record(
            "cancel",
            "pharmacy_prescription",
            patient_id=patient_id,
            object_id=rx_id,
            user=user,
        )


def lines_waiting_for_e_recept() -> int:
    """Pharmacy lines the next issue (the job's or the clerk's) makes e-recepts of."""
    waiting = sa.select(sa.func.count(OrderLine.id)).where(*_WAITING_FOR_E_RECEPT)
    return db.session.scalar(waiting)


def count_open_prescriptions() -> int:
    """E-recepts not wholly dispensed: all of them, not only the rows shown."""
    return db.session.scalar(
        sa.select(sa.func.count(PharmacyPrescription.id)).where(_OPEN)
    )


def open_prescriptions(limit: int | None = None) -> list[PharmacyPrescription]:
    """The oldest open e-recepts, at most `limit` (the page's SHOWN_OPEN)."""
    return list(
        db.session.scalars(
            sa.select(PharmacyPrescription)
            .where(_OPEN)
            .options(
                selectinload(PharmacyPrescription.article),
                selectinload(PharmacyPrescription.order_line),
            )
            .order_by(PharmacyPrescription.valid_from, PharmacyPrescription.id)
            .limit(SHOWN_OPEN if limit is None else limit)
        )
    )


# The pharmacy page's table of open e-recepts: the oldest this many.
SHOWN_OPEN = 200
_OPEN = PharmacyPrescription.status.in_(
    (PharmacyPrescriptionStatus.OPEN, PharmacyPrescriptionStatus.PARTLY_DISPENSED)
)
# A pharmacy line with no e-recept yet.
_WAITING_FOR_E_RECEPT = (
    OrderLine.channel == Channel.PHARMACY,
    OrderLine.status == LineStatus.SENT_TO_PHARMACY,
    ~sa.select(PharmacyPrescription.id)
    .where(PharmacyPrescription.order_line_id == OrderLine.id)
    .exists(),
)


def import_dispensing_text(
    text: str, user: User | None = None, *, today: date | None = None
) -> DispensingCounts:
    """Record every dispensing of the file in one transaction, or raise: none."""
    require_depot(user)
    today = today or region_today()
    table = read_csv(text, DISPENSING_FILE)
    accepted = table.check(_Checker(table, today).check)
    counts = DispensingCounts(unchanged=table.unchanged)
    write_all_or_nothing(lambda: _record(accepted, counts, user, today))
    return counts


@dataclass
class _Dispensing:
    prescription: PharmacyPrescription
    values: dict


class _Checker:
    """Checks rows against the e-recepts and the dispensings already read."""

    def __init__(self, table: CsvTable, today: date):
        self.prescriptions = _prescriptions(table.ids("pharmacy_prescription_id"))
        self.known = _known(table.rows)
        self.today = today
        self.first_line: dict[tuple[str, str], int] = {}
        self.left = {p.id: p.packs_left for p in self.prescriptions.values()}

    def check(self, row: Row) -> _Dispensing | None:
        rx_id = row.integer("pharmacy_prescription_id")
        ref = row.text("dispensing_ref", 40)
        pharmacy_id = row.text("pharmacy_id", 20)
        pharmacy_name = row.text("pharmacy_name", 120)
        day = row.date("dispensed_on", required=True)
        if day and day > self.today:
            row.add(
                "dispensed_on",
                N_("Expedieringsdatumet {value} ligger i framtiden."),
                value=row["dispensed_on"],
            )
        packs = row.integer("packs")
        key = (pharmacy_id, ref)
        if ref and pharmacy_id and key in self.first_line:
            row.add(
                "dispensing_ref",
                N_(
                    "Expedieringen {ref} från apotek {pharmacy_id} står redan på "
                    "rad {line}."
                ),
                ref=ref,
                pharmacy_id=pharmacy_id,
                line=self.first_line[key],
            )
        self.first_line.setdefault(key, row.line)
        rx = self.prescriptions.get(rx_id) if rx_id else None
        if rx_id and rx is None:
            row.add(
                "pharmacy_prescription_id",
                N_("E-receptet {id} finns inte."),
                id=rx_id,
            )
        if row.errors or rx is None:
            return None
        earlier = self.known.get(key)
        if earlier is not None:
            if (earlier.pharmacy_prescription_id, earlier.dispensed_on) != (
                rx.id,
                day,
            ) or earlier.packs != packs:
                row.add(
                    "dispensing_ref",
                    N_("Expedieringen {ref} är redan inläst med andra uppgifter."),
                    ref=ref,
                )
            return None  # the same dispensing read again: nothing new
        self._check_prescription(row, rx, day, packs)
        if row.errors:
            return None
        self.left[rx.id] -= packs
        values = dict(
            dispensing_ref=ref,
            pharmacy_id=pharmacy_id,
            pharmacy_name=pharmacy_name,
            dispensed_on=day,
            packs=packs,
        )
        return _Dispensing(rx, values)

    def _check_prescription(self, row, rx, day, packs) -> None:
        if rx.order_line.status != LineStatus.SENT_TO_PHARMACY:
            row.add(
                "pharmacy_prescription_id",
                N_("E-receptet {id} gäller en orderrad som inte väntar på apoteket."),
                id=rx.id,
            )
            return
        if not rx.valid_from <= day <= rx.valid_to:
            row.add(
                "dispensed_on",
                N_("E-receptet {id} gäller {valid_from}–{valid_to}."),
                id=rx.id,
                valid_from=rx.valid_from.isoformat(),
                valid_to=rx.valid_to.isoformat(),
            )
        if packs > self.left[rx.id]:
            row.add(
                "packs",
                Plural(
                    "E-receptet {id} har bara {left} förpackning kvar.",
                    N_("E-receptet {id} har bara {left} förpackningar kvar."),
                    count="left",
                ),
                id=rx.id,
                left=self.left[rx.id],
            )


def _prescriptions(ids: set[int]) -> dict[int, PharmacyPrescription]:
    if not ids:
        return {}
    found = db.session.scalars(
        sa.select(PharmacyPrescription)
        .where(PharmacyPrescription.id.in_(sorted(ids)))
        .options(selectinload(PharmacyPrescription.order_line))
        .with_for_update(of=PharmacyPrescription)
    )
    return {p.id: p for p in found}


def _known(rows: list[Row]) -> dict[tuple[str, str], PharmacyDispensing]:
    refs = {r["dispensing_ref"] for r in rows} - {""}
    if not refs:
        return {}
    found = db.session.scalars(
        sa.select(PharmacyDispensing).where(
            PharmacyDispensing.dispensing_ref.in_(sorted(refs))
        )
    )
    return {(d.pharmacy_id, d.dispensing_ref): d for d in found}


def _record(accepted: list[_Dispensing], counts, user, today) -> None:
    touched: dict[int, int] = defaultdict(int)
    ordered = sorted(
        accepted, key=lambda d: (d.values["dispensed_on"], d.prescription.id)
    )
    for item in ordered:
        rx, packs, day = (
            item.prescription,
            item.values["packs"],
            item.values["dispensed_on"],
        )
        line = rx.order_line
        if packs == rx.packs_left:
            _set_line(
                line, line.packs, dict(status=LineStatus.DELIVERED, delivered_on=day)
            )
            delivered = line
            rx.status = PharmacyPrescriptionStatus.DISPENSED
        else:
            _set_line(line, line.packs, dict(packs=line.packs - packs))
            delivered = _split(line, packs, day)
            rx.status = PharmacyPrescriptionStatus.PARTLY_DISPENSED
            counts.partial += 1
        rx.packs_dispensed += packs
        db.session.add(
            PharmacyDispensing(
                pharmacy_prescription_id=rx.id,
                order_line_id=delivered.id,
                **item.values,
            )
        )
        counts.dispensings += 1
        counts.delivered_lines += 1
        touched[line.order_id] += 1
    db.session.flush()
    for order in orders_for_notices(sorted(touched)):
        audit_update(order, user, f"pharmacy dispensings: {touched[order.id]}")
        notices.order_delivered(order, today)


def _set_line(line: OrderLine, seen_packs: int, values: dict) -> None:
    """Compare-and-set: only a line still waiting with the packs checked."""
    changed = db.session.execute(
        sa.update(OrderLine)
        .where(
            OrderLine.id == line.id,
            OrderLine.status == LineStatus.SENT_TO_PHARMACY,
            OrderLine.packs == seen_packs,
        )
        .values(updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise LineChangedDuringImport(line_id=line.id)
    db.session.refresh(line)


def _split(line: OrderLine, packs: int, day: date) -> OrderLine:
    """A delivered line for the dispensed packs, with the open line's snapshot."""
    part = OrderLine(
        order_id=line.order_id,
        patient_id=line.patient_id,
        prescription_id=line.prescription_id,
        article_id=line.article_id,
        packs=packs,
        channel=line.channel,
        status=LineStatus.DELIVERED,
        pack_price_sek=line.pack_price_sek,
        vat_rate=line.vat_rate,
        delivered_on=day,
    )
    db.session.add(part)
    db.session.flush()
    return part
