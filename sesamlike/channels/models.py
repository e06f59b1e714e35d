"""Supplier orders and pharmacy prescriptions: the two channels outside own stock.

A supplier-channel order line is exported once, in its supplier's file of one
day (`SupplierExport`, the file's text kept as sent so a re-export gives the same
bytes); `SupplierExportLine` marks the line exported and carries what the
supplier has reported back. A pharmacy-channel line becomes one pharmacy
prescription (e-recept); each dispensing the pharmacy reports is a
`PharmacyDispensing` tied to the order line that records its packs as delivered.
"""

from __future__ import annotations

import enum
import unicodedata
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sesamlike.catalog.models import Article
from sesamlike.common.time import utcnow
from sesamlike.extensions import db
from sesamlike.orders.models import OrderLine
from sesamlike.patients.models import Patient


class SupplierStatus(enum.StrEnum):
    """What the supplier has said about an exported line."""

    SENT = "sent"
    CONFIRMED = "confirmed"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class PharmacyPrescriptionStatus(enum.StrEnum):
    OPEN = "open"
    PARTLY_DISPENSED = "partly_dispensed"
    DISPENSED = "dispensed"
    # Withdrawn (makulerat) with its order line by the prescriber's cancellation.
    CANCELLED = "cancelled"


class SupplierExport(db.Model):
    """One supplier's order file for one day (leverantörsbeställning)."""

    __tablename__ = "supplier_exports"

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier: Mapped[str] = mapped_column(sa.String(120))
    export_date: Mapped[date] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow
    )
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id"), index=True
    )
    # The CSV exactly as first written: what the supplier received.
    content: Mapped[str] = mapped_column(sa.Text)

    lines: Mapped[list[SupplierExportLine]] = relationship(
        back_populates="export", order_by="SupplierExportLine.order_line_id"
    )

    __table_args__ = (sa.UniqueConstraint("supplier", "export_date"),)

    @property
    def filename(self) -> str:
        return supplier_filename(self.supplier, self.export_date)


class SupplierExportLine(db.Model):
    """An order line in a supplier file; unique, so no line is exported twice."""

    __tablename__ = "supplier_export_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    export_id: Mapped[int] = mapped_column(
        sa.ForeignKey("supplier_exports.id"), index=True
    )
    order_line_id: Mapped[int] = mapped_column(
        sa.ForeignKey("order_lines.id"), unique=True
    )
    supplier_status: Mapped[str] = mapped_column(
        sa.String(12), default=SupplierStatus.SENT
    )
    tracking_ref: Mapped[str | None] = mapped_column(sa.String(80))
    status_updated_at: Mapped[datetime | None] = mapped_column(
        sa.DateTime(timezone=True)
    )

    export: Mapped[SupplierExport] = relationship(back_populates="lines")
    order_line: Mapped[OrderLine] = relationship()

    __table_args__ = (
        sa.CheckConstraint(
            "supplier_status in ('sent','confirmed','shipped','delivered','cancelled')",
            name="supplier_status_known",
        ),
    )


class PharmacyPrescription(db.Model):
    """A prescription sent to the pharmacies (e-recept) for one order line."""

    __tablename__ = "pharmacy_prescriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The line still open for what is not yet dispensed.
    order_line_id: Mapped[int] = mapped_column(
        sa.ForeignKey("order_lines.id"), unique=True
    )
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patients.id"), index=True)
    article_id: Mapped[int] = mapped_column(sa.ForeignKey("articles.id"), index=True)
    packs: Mapped[int]
    packs_dispensed: Mapped[int] = mapped_column(default=0)
    valid_from: Mapped[date]
    valid_to: Mapped[date]
    status: Mapped[str] = mapped_column(
        sa.String(20), default=PharmacyPrescriptionStatus.OPEN, index=True
    )
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow
    )

    order_line: Mapped[OrderLine] = relationship()
    patient: Mapped[Patient] = relationship()
    article: Mapped[Article] = relationship()
    dispensings: Mapped[list[PharmacyDispensing]] = relationship(
        back_populates="prescription", order_by="PharmacyDispensing.id"
    )

    __table_args__ = (
        sa.CheckConstraint("packs > 0", name="packs_positive"),
        sa.CheckConstraint(
            "packs_dispensed >= 0 and packs_dispensed <= packs",
            name="dispensed_within_packs",
        ),
        sa.CheckConstraint("valid_from <= valid_to", name="valid_period"),
        sa.CheckConstraint(
            "status in ('open','partly_dispensed','dispensed','cancelled')",
            name="status_known",
        ),
    )

    @property
    def packs_left(self) -> int:
        return self.packs - self.packs_dispensed


class PharmacyDispensing(db.Model):
    """Packs a pharmacy handed out (expedierade) on one day against an e-recept."""

    __tablename__ = "pharmacy_dispensings"

    id: Mapped[int] = mapped_column(primary_key=True)
    pharmacy_prescription_id: Mapped[int] = mapped_column(
        sa.ForeignKey("pharmacy_prescriptions.id"), index=True
    )
    # The order line that records these packs as delivered.
    order_line_id: Mapped[int] = mapped_column(
        sa.ForeignKey("order_lines.id"), index=True
    )
    dispensing_ref: Mapped[str] = mapped_column(sa.String(40))
    pharmacy_id: Mapped[str] = mapped_column(sa.String(20))
    pharmacy_name: Mapped[str] = mapped_column(sa.String(120))
    dispensed_on: Mapped[date]
    packs: Mapped[int]
    imported_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow
    )

    prescription: Mapped[PharmacyPrescription] = relationship(
        back_populates="dispensings"
    )

    __table_args__ = (
        # A pharmacy's own reference: the same dispensing imported twice is one.
        sa.UniqueConstraint("pharmacy_id", "dispensing_ref"),
        sa.CheckConstraint("packs > 0", name="packs_positive"),
    )


def supplier_filename(supplier: str, day: date) -> str:
    """orders-2026-03-02-medtronic-ab.csv: the supplier's name made file-safe."""
    plain = unicodedata.normalize("NFKD", supplier.lower()).encode("ascii", "ignore")
    slug = "".join(c if c.isalnum() else "-" for c in plain.decode())
    slug = "-".join(part for part in slug.split("-") if part) or "supplier"
    return f"orders-{day.isoformat()}-{slug}.csv"
