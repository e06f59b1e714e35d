"""Depots, lots, serial-numbered devices, reservations and the stock ledger.

Stock knows nothing of orders: reservations and movements carry an opaque
`reference` (e.g. "order-line:42") chosen by the caller.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sesamlike.catalog.models import Article
from sesamlike.common.dialect_objects import trigram_index
from sesamlike.common.time import utcnow
from sesamlike.extensions import db


class MovementKind(enum.StrEnum):
    RECEIPT = "receipt"
    RESERVATION = "reservation"
    RELEASE = "release"
    PICK = "pick"
    SHIP = "ship"
    RETURN = "return"
    ADJUSTMENT = "adjustment"
    SCRAP = "scrap"


# The reason code of packs booked back because their reference was cancelled
# after they were picked: they wait at the packing table (`stock.shelving`).
CANCELLED_AFTER_PICK = "cancelled"
# The clerk's word that such packs are back on the shelf: a ledger row of 0
# packs per lot (`stock.shelving`).
SHELVED_KIND = "shelved"
# Those rows as SQL: the conditions of their partial indexes (below), which
# the queries write out alike (`shelving.to_shelve`).
PUT_BACK_ROWS = (
    f"kind = '{MovementKind.RETURN}' AND reason_code = '{CANCELLED_AFTER_PICK}'"
)
SHELVED_ROWS = f"kind = '{SHELVED_KIND}'"
# Reservations still holding packs (`reservations.ReservationStatus.ACTIVE`) as
# SQL: the condition of their partial index, which the free-stock query of
# every order writes out alike (`reservations._FREE`).
ACTIVE_RESERVATION_ROWS = "status = 'active'"
# Lots holding packs as SQL: the condition of their partial index, which every
# order's lock and free stock write out alike (`reservations._STOCKED`). Lots
# are never deleted: most of a long history's are empty.
STOCKED_LOT_ROWS = "on_hand > 0"


class DeviceStatus(enum.StrEnum):
    IN_STOCK = "in_stock"
    ON_LOAN = "on_loan"
    QUARANTINE = "quarantine"
    SCRAPPED = "scrapped"


class Depot(db.Model):
    __tablename__ = "depots"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))

    def __repr__(self) -> str:
        return f"<Depot {self.code}>"


class DepotStaff(db.Model):
    """Aids-centre staff's own depot (hemlager): where their depot pages open
    and their forms book goods unless they choose another. One per login;
    staff may still work for any depot (centres cover for each other)."""

    __tablename__ = "depot_staff"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    depot_id: Mapped[int] = mapped_column(sa.ForeignKey("depots.id"), index=True)

    depot: Mapped[Depot] = relationship()


class StockLot(db.Model):
    """Packs of one article and lot in one depot. On hand is checked by the ledger."""

    __tablename__ = "stock_lots"

    id: Mapped[int] = mapped_column(primary_key=True)
    depot_id: Mapped[int] = mapped_column(sa.ForeignKey("depots.id"), index=True)
    article_id: Mapped[int] = mapped_column(sa.ForeignKey("articles.id"), index=True)
    lot: Mapped[str] = mapped_column(sa.String(40), default="")
    expiry: Mapped[date | None]
    bin: Mapped[str | None] = mapped_column(sa.String(20))
    on_hand: Mapped[int] = mapped_column(default=0)
    quarantined: Mapped[bool] = mapped_column(default=False)

    depot: Mapped[Depot] = relationship()
    article: Mapped[Article] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("depot_id", "article_id", "lot"),
        sa.CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        # An article's lots with packs, in the order every order locks them
        # (`reservations.lock_articles`) and sums its free stock from: the
        # lots used up long ago stay out, however many there are.
        sa.Index(
            "ix_stock_lots_stocked_article_id",
            "article_id",
            "id",
            postgresql_where=sa.text(STOCKED_LOT_ROWS),
            sqlite_where=sa.text(STOCKED_LOT_ROWS),
        ),
    )


class Reservation(db.Model):
    """Packs held for a reference; backordered when stock was short when placed."""

    __tablename__ = "reservations"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(64), index=True)
    depot_id: Mapped[int] = mapped_column(sa.ForeignKey("depots.id"), index=True)
    article_id: Mapped[int] = mapped_column(sa.ForeignKey("articles.id"), index=True)
    packs: Mapped[int]
    # active, backordered, picked, released
    status: Mapped[str] = mapped_column(sa.String(12), index=True)
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, index=True
    )

    __table_args__ = (
        sa.CheckConstraint("packs > 0", name="packs_positive"),
        # The packs held per article and depot, read by every order under its
        # articles' lot locks: from the active reservations alone (few), not
        # from every reservation of the article ever made, picked or shipped.
        sa.Index(
            "ix_reservations_active_article_depot",
            "article_id",
            "depot_id",
            postgresql_include=["packs"],
            postgresql_where=sa.text(ACTIVE_RESERVATION_ROWS),
            sqlite_where=sa.text(ACTIVE_RESERVATION_ROWS),
        ),
    )


class StockMovement(db.Model):
    """The ledger: every change of stock, signed in packs, never edited."""

    __tablename__ = "stock_movements"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(12))
    depot_id: Mapped[int] = mapped_column(sa.ForeignKey("depots.id"), index=True)
    article_id: Mapped[int] = mapped_column(sa.ForeignKey("articles.id"), index=True)
    lot_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("stock_lots.id"), index=True
    )
    packs: Mapped[int]
    reason_code: Mapped[str | None] = mapped_column(sa.String(30))
    reference: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)

    __table_args__ = (
        # Packs cancelled after picking (`ledger.put_back`'s rows), found
        # however old without reading the rest of the ledger (`shelving`).
        sa.Index(
            "ix_stock_movements_put_back",
            "reference",
            "lot_id",
            postgresql_where=sa.text(PUT_BACK_ROWS),
            sqlite_where=sa.text(PUT_BACK_ROWS),
        ),
        # The clerk's word that they are back on the shelf: each put-back
        # above is matched against it without reading its ledger.
        sa.Index(
            "ix_stock_movements_shelved",
            "reference",
            "lot_id",
            postgresql_where=sa.text(SHELVED_ROWS),
            sqlite_where=sa.text(SHELVED_ROWS),
        ),
    )


# The longest serial number a device, a line or a file may carry.
SERIAL_MAX = 60


# The rows of ix_devices_on_loan_warranty (migration 0047), as a query must
# say them for SQLite to use it (`common.sql.written_out`).
ON_LOAN_ROWS = "status = 'on_loan'"


class Device(db.Model):
    """A serial-numbered pump or CGM reader (individ), lent to one patient at a time."""

    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(sa.ForeignKey("articles.id"), index=True)
    serial_no: Mapped[str] = mapped_column(sa.String(SERIAL_MAX), index=True)
    status: Mapped[str] = mapped_column(sa.String(12), default=DeviceStatus.IN_STOCK)
    depot_id: Mapped[int | None] = mapped_column(sa.ForeignKey("depots.id"), index=True)
    # The lot it was received into; a reconditioned device goes back there.
    lot_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("stock_lots.id"), index=True
    )
    patient_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("patients.id"), index=True
    )
    lent_on: Mapped[date | None]
    warranty_end: Mapped[date | None]
    returned_on: Mapped[date | None]
    return_reason: Mapped[str | None] = mapped_column(sa.String(20))
    reference: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    # The order line whose amortisation this device's cost runs on: the line
    # that first lent it (or, for a warranty replacement, the first line of
    # its chain). Kept through returns and reconditioning: a device lent
    # again continues that period (the region paid for it once).
    amortised_line_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("order_lines.id")
    )

    article: Mapped[Article] = relationship()
    depot: Mapped[Depot | None] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("article_id", "serial_no"),
        sa.CheckConstraint(
            "status in ('in_stock','on_loan','quarantine','scrapped')",
            name="status_known",
        ),
        # A typed part of a serial (ILIKE '%...%', devices on loan): by its
        # trigrams, on PostgreSQL (migration 0046).
        trigram_index("ix_devices_serial_no_trgm", "serial_no"),
        # The few devices in stock or in quarantine among the many on loan
        # (the devices page lists the quarantined on every view).
        sa.Index("ix_devices_status", "status"),
        # A patient's devices on loan by the end of their warranty: the work
        # list counts those of each patient of a clinic in care from the index
        # alone (migration 0047).
        sa.Index("ix_devices_on_loan_warranty", "patient_id", "warranty_end",
                 postgresql_where=sa.text(ON_LOAN_ROWS),
                 sqlite_where=sa.text(ON_LOAN_ROWS)),
    )  # fmt: skip


class LotExpiryFlag(db.Model):
    """A lot seen to expire within EXPIRY_WARNING_DAYS (or already expired)."""

    __tablename__ = "lot_expiry_flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(sa.ForeignKey("stock_lots.id"), unique=True)
    expiry: Mapped[date]
    packs: Mapped[int]  # on hand when flagged
    flagged_on: Mapped[date]
    quarantined_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    lot: Mapped[StockLot] = relationship()


class ProposalStatus(enum.StrEnum):
    OPEN = "open"
    ORDERED = "ordered"
    RECEIVED = "received"
    DISMISSED = "dismissed"


class ReorderPoint(db.Model):
    """Reorder at or below `reorder_level` packs; order up to `order_up_to`."""

    __tablename__ = "reorder_points"

    id: Mapped[int] = mapped_column(primary_key=True)
    depot_id: Mapped[int] = mapped_column(sa.ForeignKey("depots.id"), index=True)
    article_id: Mapped[int] = mapped_column(sa.ForeignKey("articles.id"), index=True)
    reorder_level: Mapped[int]
    order_up_to: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id"), index=True
    )

    depot: Mapped[Depot] = relationship()
    article: Mapped[Article] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("depot_id", "article_id"),
        sa.CheckConstraint("reorder_level >= 0", name="level_not_negative"),
        sa.CheckConstraint("order_up_to > reorder_level", name="up_to_above_level"),
    )


class PurchaseProposal(db.Model):
    """Packs of one article the depot should buy from its supplier."""

    __tablename__ = "purchase_proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    depot_id: Mapped[int] = mapped_column(sa.ForeignKey("depots.id"), index=True)
    article_id: Mapped[int] = mapped_column(sa.ForeignKey("articles.id"), index=True)
    supplier: Mapped[str] = mapped_column(sa.String(120))
    packs: Mapped[int]
    # The stock position and levels the proposal was computed from.
    position: Mapped[int]
    reorder_level: Mapped[int]
    order_up_to: Mapped[int]
    status: Mapped[str] = mapped_column(
        sa.String(10), default=ProposalStatus.OPEN, index=True
    )
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow
    )
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id"), index=True
    )

    depot: Mapped[Depot] = relationship()
    article: Mapped[Article] = relationship()

    __table_args__ = (
        sa.CheckConstraint("packs > 0", name="packs_positive"),
        sa.CheckConstraint(
            "status in ('open','ordered','received','dismissed')",
            name="status_known",
        ),
        sa.Index(
            "uq_purchase_proposals_open",
            "depot_id",
            "article_id",
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        ),
    )
