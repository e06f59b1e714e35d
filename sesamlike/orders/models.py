"""Prescriptions (förskrivningar), orders (beställningar/uttag) and their lines."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sesamlike.accounts.models import User
from sesamlike.catalog.models import Article
from sesamlike.common.dialect_objects import trigram_index
from sesamlike.common.sql import written_out
from sesamlike.common.time import utcnow
from sesamlike.extensions import db
from sesamlike.patients.models import Patient
from sesamlike.prescriptions.models import Prescription


class LineStatus(enum.StrEnum):
    RESERVED = "reserved"
    BACKORDERED = "backordered"
    SENT_TO_SUPPLIER = "sent_to_supplier"
    SENT_TO_PHARMACY = "sent_to_pharmacy"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    RETURNED = "returned"


OPEN_LINE_STATUSES = frozenset(
    {
        LineStatus.RESERVED,
        LineStatus.BACKORDERED,
        LineStatus.SENT_TO_SUPPLIER,
        LineStatus.SENT_TO_PHARMACY,
    }
)
# Ordered and not delivered yet: open, or on its way (work lists, reminders, my aids).
UNDELIVERED_LINE_STATUSES = OPEN_LINE_STATUSES | {LineStatus.SHIPPED}
# The same as SQL, written out: the condition of the partial index of a
# patient's undelivered lines (`ix_order_lines_undelivered_patient_id`). An OR
# of equalities, not an IN list: PostgreSQL keeps it as written (an IN list on
# a VARCHAR comes back from pg_get_indexdef in a form that is stored
# differently when made again, as `common.bulk.deferred_indexes` does), and
# SQLite uses a partial index only where the query says the same condition.
# The rows of ix_order_lines_serial_no (migration 0044): a query that says this
# condition may read that index alone.
SERIAL_ROWS = "serial_no IS NOT NULL"
# The rows of ix_orders_awaiting_collection (migration 0045): orders to the
# clinic nobody has marked collected (few: a clinic marks them, and the rest
# count as collected some weeks after delivery, `status.collected_clause`).
AWAITING_COLLECTION_ROWS = "delivery_mode = 'clinic' AND collected_on IS NULL"
UNDELIVERED_ROWS = " OR ".join(
    f"status = '{status}'" for status in sorted(UNDELIVERED_LINE_STATUSES)
)


def undelivered(status: sa.ColumnElement[str]) -> sa.ColumnElement[bool]:
    """`status` is one of UNDELIVERED_LINE_STATUSES, as UNDELIVERED_ROWS says
    it (`common.sql.written_out`), so a patient's lines not delivered yet come
    from its partial index, not from every open line of the region
    (`ix_order_lines_status`)."""
    return sa.or_(
        *(status == written_out(value) for value in sorted(UNDELIVERED_LINE_STATUSES))
    )


class DeliveryMode(enum.StrEnum):
    HOME = "home"
    CLINIC = "clinic"
    PICKUP = "pickup"
    PHARMACY = "pharmacy"


def cancellable_statuses(statuses: Iterable[str]) -> bool:
    """An order with lines of these statuses may be cancelled: something is
    still open, and nothing shipped or handed out."""
    statuses = list(statuses)
    return any(s in OPEN_LINE_STATUSES for s in statuses) and all(
        s in OPEN_LINE_STATUSES or s == LineStatus.CANCELLED for s in statuses
    )


class Order(db.Model):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patients.id"), index=True)
    placed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id"), index=True
    )
    # prescriber, patient, guardian, depot; 'migration' for imported history.
    placed_by_role: Mapped[str] = mapped_column(sa.String(20))
    placed_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, index=True
    )
    delivery_mode: Mapped[str] = mapped_column(sa.String(10))
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(80))
    # Delivery address as confirmed on this order (a snapshot, not a reference).
    ship_to_name: Mapped[str | None] = mapped_column(sa.String(160))
    ship_to_street: Mapped[str | None] = mapped_column(sa.String(120))
    ship_to_postal_code: Mapped[str | None] = mapped_column(sa.String(10))
    ship_to_city: Mapped[str | None] = mapped_column(sa.String(80))
    ship_to_door_code: Mapped[str | None] = mapped_column(sa.String(20))
    contact_phone: Mapped[str | None] = mapped_column(sa.String(30))
    tracking_ref: Mapped[str | None] = mapped_column(sa.String(80))
    cancelled_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # Delivered to the clinic: the day the patient collected it there.
    collected_on: Mapped[date | None]

    patient: Mapped[Patient] = relationship()
    placed_by: Mapped[User | None] = relationship()
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.id"
    )
    # Its parcels, first sent first (read on the pages that name them).
    shipments: Mapped[list[Shipment]] = relationship(
        order_by="Shipment.id", viewonly=True
    )

    __table_args__ = (
        sa.UniqueConstraint("placed_by_id", "idempotency_key"),
        sa.CheckConstraint(
            "delivery_mode in ('home','clinic','pickup','pharmacy')",
            name="delivery_mode_known",
        ),
        # The clinic's "waiting at the clinic" list finds its patients' orders
        # among these, not among every order of every patient in its care.
        sa.Index(
            "ix_orders_awaiting_collection",
            "patient_id",
            postgresql_where=sa.text(AWAITING_COLLECTION_ROWS),
            sqlite_where=sa.text(AWAITING_COLLECTION_ROWS),
        ),
    )

    @property
    def tracking_refs(self) -> list[str]:
        """Every parcel's tracking number, first sent first; the order's own
        (`tracking_ref`: the last parcel's, as the API gives it) when no parcel
        names one (orders shipped before parcels were kept)."""
        refs = [s.tracking_ref for s in self.shipments if s.tracking_ref]
        if not refs and self.tracking_ref:
            refs = [self.tracking_ref]
        return list(dict.fromkeys(refs))

    @property
    def status(self) -> str:
        """The order's status follows its lines: the least advanced open one."""
        statuses = [line.status for line in self.lines]
        if not statuses:
            return "empty"
        if all(s == LineStatus.CANCELLED for s in statuses):
            return LineStatus.CANCELLED
        live = [s for s in statuses if s != LineStatus.CANCELLED]
        for status in LineStatus:  # enum order is the life-cycle order
            if status in live:
                return status
        return live[0]

    @property
    def cancellable(self) -> bool:
        return cancellable_statuses(line.status for line in self.lines)


class Shipment(db.Model):
    """One parcel of an order, with its carrier's tracking reference."""

    __tablename__ = "shipments"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
    tracking_ref: Mapped[str | None] = mapped_column(sa.String(80))
    shipped_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, index=True
    )
    shipped_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id"), index=True
    )


# A line's value in millionths of a krona: packs kept (not put back on stock) ×
# pack price, with VAT on pharmacy lines; exact (prices have 2 decimals, VAT
# rates 4). Kept by the database as the line changes (`OrderLine.value_micro`).
# NULL for a line past VALUE_MICRO_LIMIT kronor, where it could pass 64 bits: the
# follow-up then works it out from the columns (`followup.amounts`).
VALUE_MICRO_LIMIT = 400_000_000_000
VALUE_MICRO = (
    f"CASE WHEN (packs - packs_restocked) * pack_price_sek < {VALUE_MICRO_LIMIT} "
    "THEN (packs - packs_restocked) * CAST(ROUND(pack_price_sek * 100) AS BIGINT) "
    "* CASE WHEN channel = 'pharmacy' THEN 10000 + CAST(ROUND(vat_rate * 10000) "
    "AS BIGINT) ELSE 10000 END END"
)


# How stock names an order line (its reservations, movements and lent devices).
LINE_REFERENCE = "order-line:"


def line_reference(line_id: int) -> str:
    """The opaque key stock uses for an order line (`OrderLine.reference`)."""
    return f"{LINE_REFERENCE}{line_id}"


class OrderLine(db.Model):
    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
    # The order's patient, on the line too: the follow-up reads lines by
    # patient (`ix_order_lines_patient_id_delivered_on`) without their orders.
    # Set from the order when the ORM inserts a line (`_patient_of_order`).
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patients.id"))
    prescription_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("prescriptions.id"), index=True
    )
    article_id: Mapped[int] = mapped_column(sa.ForeignKey("articles.id"), index=True)
    packs: Mapped[int]
    channel: Mapped[str] = mapped_column(sa.String(10))
    status: Mapped[str] = mapped_column(sa.String(20), index=True)
    # Price and VAT when ordered, so later contract prices do not rewrite history.
    pack_price_sek: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2))
    vat_rate: Mapped[Decimal] = mapped_column(sa.Numeric(5, 4))
    serial_no: Mapped[str | None] = mapped_column(sa.String(60))
    shipped_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    delivered_on: Mapped[date | None] = mapped_column(index=True)
    returned_on: Mapped[date | None]
    # Packs that came back (partial returns), and of those the packs put back on
    # stock: a consumable line costs (packs - packs_restocked) x price.
    packs_returned: Mapped[int] = mapped_column(default=0, server_default="0")
    packs_restocked: Mapped[int] = mapped_column(default=0, server_default="0")
    # The parcel it left in (partial shipments: an order may have several).
    shipment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("shipments.id"), index=True
    )
    # A replacement under warranty: the device line it replaces (no new withdrawal).
    replaces_line_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("order_lines.id"), index=True
    )
    # A warranty replacement: the first line of its chain of replacements, whose
    # amortisation period and daily rate it continues (the region paid once).
    amortised_line_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("order_lines.id"), index=True
    )

    @property
    def amortisation_line_id(self) -> int:
        """The line whose amortisation a device lent on this line runs on: the
        first of its warranty chain, else the line itself."""
        return self.amortised_line_id or self.id

    # Who pays a line without a prescription (imported history): the patient's
    # clinic when it was imported. A prescribed line's payer is its prescription's.
    cost_clinic_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("clinics.id"), index=True
    )
    cost_centre: Mapped[str | None] = mapped_column(sa.String(20))

    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow, index=True
    )
    # VALUE_MICRO: stored on PostgreSQL, where a follow-up run sums it rather
    # than multiply NUMERICs for every line (a full rerun at 100,000 patients:
    # 16 % less time); computed when read on SQLite, whose runs work in
    # REAL kronor and do not read it. Read by SQL only: never loaded with a line.
    value_micro: Mapped[int | None] = mapped_column(
        sa.BigInteger, sa.Computed(VALUE_MICRO), deferred=True
    )

    order: Mapped[Order] = relationship(back_populates="lines")
    prescription: Mapped[Prescription | None] = relationship()
    article: Mapped[Article] = relationship()

    __table_args__ = (
        sa.CheckConstraint("packs > 0", name="packs_positive"),
        sa.CheckConstraint(
            "status in ('reserved','backordered','sent_to_supplier','sent_to_pharmacy',"
            "'shipped','delivered','cancelled','returned')",
            name="status_known",
        ),
        sa.CheckConstraint(
            "channel in ('central','supplier','pharmacy')", name="channel_known"
        ),
        sa.CheckConstraint(
            "packs_restocked >= 0 AND packs_restocked <= packs_returned "
            "AND packs_returned <= packs",
            name="returned_packs_in_range",
        ),
        sa.Index(
            "ix_order_lines_patient_id_delivered_on", "patient_id", "delivered_on"
        ),
        # A patient's lines not delivered yet (few, and few in the region:
        # the portal asks on every reorder form and "my aids").
        sa.Index(
            "ix_order_lines_undelivered_patient_id",
            "patient_id",
            postgresql_where=sa.text(UNDELIVERED_ROWS),
            sqlite_where=sa.text(UNDELIVERED_ROWS),
        ),
        # The lines with a serial number (devices, few), with their orders:
        # the aids centre's returns search matches a typed serial among them.
        sa.Index(
            "ix_order_lines_serial_no",
            "serial_no",
            postgresql_include=["order_id"],
            postgresql_where=sa.text(SERIAL_ROWS),
            sqlite_where=sa.text(SERIAL_ROWS),
        ),
        # A typed part of a serial (ILIKE '%...%'): by its trigrams, on
        # PostgreSQL (migration 0046).
        trigram_index(
            "ix_order_lines_serial_no_trgm",
            "serial_no",
            postgresql_where=sa.text(SERIAL_ROWS),
        ),
        # A patient's warranty replacements (few): an incremental follow-up
        # run finds its patients' among them, not among all their lines.
        sa.Index(
            "ix_order_lines_replacements_patient_id",
            "patient_id",
            postgresql_where=sa.text("amortised_line_id IS NOT NULL"),
            sqlite_where=sa.text("amortised_line_id IS NOT NULL"),
        ),
    )

    @property
    def reference(self) -> str:
        """The opaque key stock uses for this line's reservation."""
        return line_reference(self.id)


@sa.event.listens_for(OrderLine, "before_insert")
def _patient_of_order(_mapper, _connection, line: OrderLine) -> None:
    """A new line's patient is its order's (the order is flushed first, so its
    patient is known however it was given). A line made with only an order id
    names its patient itself."""
    if line.patient_id is None and line.order is not None:
        line.patient_id = line.order.patient_id
