"""The region's bulk exports: one row per $export kick-off, run by the scheduler."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sesamlike.accounts.models import User
from sesamlike.common.time import utcnow
from sesamlike.extensions import db


class ExportStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    EXPIRED = "expired"  # its files are removed; the row stays as a record
    DELETED = "deleted"  # cancelled or deleted by the user who started it


class BulkExport(db.Model):
    __tablename__ = "bulk_exports"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The status URL's unguessable part; the folder of its files under instance/.
    key: Mapped[str] = mapped_column(sa.String(40), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(
        sa.String(10), default=ExportStatus.QUEUED, index=True
    )
    types: Mapped[str] = mapped_column(sa.String(200))  # comma-separated
    since: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    request_url: Mapped[str] = mapped_column(sa.String(500))
    requested_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow
    )
    started_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(
        sa.DateTime(timezone=True), index=True
    )
    # [{"type": "Patient", "file": "Patient.ndjson", "count": 200, "bytes": 31000}]
    output: Mapped[list | None] = mapped_column(sa.JSON)
    message: Mapped[str | None] = mapped_column(sa.Text)

    user: Mapped[User] = relationship()

    __table_args__ = (
        sa.CheckConstraint(
            "status in ('queued','running','completed','failed','expired','deleted')",
            name="status_known",
        ),
    )

    @property
    def type_list(self) -> list[str]:
        return [name for name in self.types.split(",") if name]
