"""Records of periodic job runs and the lock rows that keep runs apart on SQLite."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from sesamlike.accounts.models import utcnow
from sesamlike.extensions import db


class JobRun(db.Model):
    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_name: Mapped[str] = mapped_column(sa.String(60), index=True)
    started_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, index=True
    )
    finished_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # running, succeeded, failed, skipped (another run held the lock)
    outcome: Mapped[str] = mapped_column(sa.String(12), default="running")
    counts: Mapped[dict | None] = mapped_column(sa.JSON)
    message: Mapped[str | None] = mapped_column(sa.Text)


class JobLock(db.Model):
    """One row per job name; holding it means a run is under way (SQLite only)."""

    __tablename__ = "job_locks"

    job_name: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    holder: Mapped[str] = mapped_column(sa.String(80))
    acquired_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
