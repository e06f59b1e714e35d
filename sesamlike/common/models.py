"""Tables of the shared tools: the mail outbox and the job runs and locks."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from sesamlike.common.time import utcnow
from sesamlike.extensions import db


class OutgoingMail(db.Model):
    """One queued notice. `patient_id` has no foreign key, like the audit log."""

    __tablename__ = "outgoing_mails"

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    kind: Mapped[str] = mapped_column(sa.String(30), index=True)
    # "email" (to_address is an e-mail address) or "sms" (a phone number).
    channel: Mapped[str] = mapped_column(
        sa.String(10), default="email", server_default="email"
    )
    patient_id: Mapped[int | None] = mapped_column(index=True)
    # e.g. "time_lock_open:prescription:42:2026-03-12:patient:7"; one notice per key.
    dedupe_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow
    )
    send_after: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow
    )
    sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    claimed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    claim_token: Mapped[str | None] = mapped_column(sa.String(32), index=True)

    __table_args__ = (
        sa.CheckConstraint(
            "kind in ('order_received','order_shipped','order_delivered',"
            "'runout_reminder','time_lock_open','prescription_low',"
            "'prescription_expiring','resupply_reminder','password_link',"
            "'email_changed','order_cancelled','care_ended')",
            name="kind_known",
        ),
        sa.CheckConstraint("channel in ('email','sms')", name="channel_known"),
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        # The sender's question: unsent mails that are due.
        sa.Index("ix_outgoing_mails_due", "sent_at", "send_after"),
    )

    def __repr__(self) -> str:
        return f"<OutgoingMail {self.id} {self.kind}>"


class JobRun(db.Model):
    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_name: Mapped[str] = mapped_column(sa.String(60), index=True)
    started_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, index=True
    )
    finished_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # requested (from the admin page), running, succeeded, partial (finished
    # with failed items: jobruns.ITEM_FAILURE_COUNTS), failed, skipped
    outcome: Mapped[str] = mapped_column(sa.String(12), default="running")
    counts: Mapped[dict | None] = mapped_column(sa.JSON)
    message: Mapped[str | None] = mapped_column(sa.Text)


class JobLock(db.Model):
    """One row per job name; holding it means a run is under way (SQLite only)."""

    __tablename__ = "job_locks"

    job_name: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    holder: Mapped[str] = mapped_column(sa.String(80))
    acquired_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class SchedulerHeartbeat(db.Model):
    """One row per scheduler process; it updates `seen_at` every poll."""

    __tablename__ = "scheduler_heartbeats"

    holder: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    seen_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), index=True)


class DataVersion(db.Model):
    """Shared counters of the data versions (migration 0025): 'pruned', the
    generation of the change logs below, raised each time they are emptied.
    No row yet means 0."""

    __tablename__ = "data_versions"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    version: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")


_LOG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class PatientDataChange(db.Model):
    """One row the database adds (triggers, migration 0025) for each statement
    that writes the patient's prescriptions, orders, order lines or lent
    devices. Their number is the patient's data version (common.data_versions).
    No foreign key: its check would lock the patient's row on every write."""

    __tablename__ = "patient_data_changes"

    id: Mapped[int] = mapped_column(_LOG_ID, primary_key=True)
    patient_id: Mapped[int] = mapped_column(index=True)


class CatalogueChange(db.Model):
    """One row the database adds for each transaction that writes articles (on
    PostgreSQL its transaction id; SQLite adds one per row): their number is
    the catalogue's data version."""

    __tablename__ = "catalogue_changes"

    id: Mapped[int] = mapped_column(_LOG_ID, primary_key=True)


class PatientGroupingChange(db.Model):
    """One row the database adds (trigger, migration 0043) for each transaction
    that changes a patient's birth date or diabetes type: what the follow-up
    report groups patients by. Their number is the version of that grouping
    (`followup.stored_figures`); a phone number changed adds none. PostgreSQL
    notes the transaction's id; SQLite adds one per patient row."""

    __tablename__ = "patient_grouping_changes"

    id: Mapped[int] = mapped_column(_LOG_ID, primary_key=True)
