"""Prescriptions (förskrivningar): what a patient may withdraw, how often, how long."""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sesamlike.accounts.models import Clinic, User
from sesamlike.catalog.models import Article
from sesamlike.common.sql import days_after
from sesamlike.common.time import utcnow
from sesamlike.extensions import db
from sesamlike.patients.models import Patient


class PrescriptionStatus(enum.StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    USED_UP = "used_up"
    CANCELLED = "cancelled"


class ReasonCode(enum.StrEnum):
    """Why an article outside the procured assortment or first choice is prescribed."""

    MEDICAL = "medical"  # e.g. skin problems, allergy
    NOT_WORKING = "not_working"  # procured product does not work for the patient
    PATIENT_WISH = "patient_wish"
    OTHER = "other"


# The rows of ix_prescriptions_patient_valid_to (migration 0047), as a query
# must say them for SQLite to use it (`common.sql.written_out`).
NOT_CANCELLED_ROWS = "status <> 'cancelled'"


class Prescription(db.Model):
    __tablename__ = "prescriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patients.id"))
    article_id: Mapped[int] = mapped_column(sa.ForeignKey("articles.id"), index=True)
    prescriber_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id"), index=True
    )
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinics.id"), index=True)
    # Paying cost centre (kundnummer/kostnadsställe); the clinic's unless changed.
    cost_centre: Mapped[str] = mapped_column(sa.String(20))
    packs_per_withdrawal: Mapped[int]
    withdrawals: Mapped[int]
    withdrawals_used: Mapped[int] = mapped_column(default=0)
    period_days: Mapped[int]
    lock_days: Mapped[int]
    valid_from: Mapped[date]
    valid_to: Mapped[date]
    last_withdrawal_on: Mapped[date | None]
    status: Mapped[str] = mapped_column(
        sa.String(10), default=PrescriptionStatus.ACTIVE, index=True
    )
    reason_code: Mapped[str | None] = mapped_column(sa.String(20))
    reason_text: Mapped[str | None] = mapped_column(sa.String(500))
    renewed_from_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("prescriptions.id"), index=True
    )
    # Set on a prescription another clinic took over (`take_over`): the one
    # that carries on from it, whose renewed_from_id names this one as a
    # renewal's would. A withdrawal given back to this one afterwards goes on
    # to it (`orders.withdrawals.give_back`); revision 0052.
    taken_over_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("prescriptions.id"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow
    )
    cancelled_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    cancelled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # Moved by every write of the row, the ORM's and core UPDATEs alike (a
    # withdrawal taken or given back, a cancellation): the FHIR export's
    # _since reads it (revision 0031).
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow, index=True
    )

    patient: Mapped[Patient] = relationship()
    article: Mapped[Article] = relationship()
    prescriber: Mapped[User | None] = relationship(foreign_keys=[prescriber_id])
    clinic: Mapped[Clinic] = relationship()

    __table_args__ = (
        sa.CheckConstraint(
            "status in ('active','expired','used_up','cancelled')", name="status_known"
        ),
        sa.CheckConstraint("packs_per_withdrawal > 0", name="packs_positive"),
        sa.CheckConstraint("withdrawals > 0", name="withdrawals_positive"),
        sa.CheckConstraint(
            "withdrawals_used >= 0 and withdrawals_used <= withdrawals",
            name="within_entitlement",
        ),
        sa.CheckConstraint("valid_from <= valid_to", name="valid_period"),
        # The follow-up's compliance: a year's prescriptions (of some clinics)
        # counted per article, status and reason from the index alone.
        sa.Index("ix_prescriptions_year_compliance", "valid_from", "clinic_id",
                 "article_id", "status", "reason_code"),
        # A patient's prescriptions, and who pays each (its clinic and cost
        # centre) from the index alone on PostgreSQL: an incremental follow-up
        # run looks up the payer of every prescription its patients' lines
        # name, a scattered row each (500,000 patients: 0.66 s of 1.4 s).
        sa.Index("ix_prescriptions_patient_payer", "patient_id", "id",
                 postgresql_include=["clinic_id", "cost_centre"]),
        # A patient's prescriptions not cancelled, by how long they are valid:
        # the work list's "running out" looks at each patient of a clinic in
        # care (25,872 at 500,000 x 5) for those valid lately (migration 0047).
        sa.Index("ix_prescriptions_patient_valid_to", "patient_id", "valid_to",
                 postgresql_where=sa.text(NOT_CANCELLED_ROWS),
                 sqlite_where=sa.text(NOT_CANCELLED_ROWS)),
    )  # fmt: skip

    @property
    def remaining_withdrawals(self) -> int:
        return self.withdrawals - self.withdrawals_used

    @property
    def next_withdrawal_on(self) -> date | None:
        """First day the time lock allows another withdrawal; None when none is left."""
        if self.remaining_withdrawals <= 0:
            return None
        if self.last_withdrawal_on is None:
            return self.valid_from
        return max(self.valid_from, self.last_withdrawal_on + timedelta(self.lock_days))

    @property
    def runs_out_on(self) -> date | None:
        """The last day this prescription covers; None for lent devices.

        Its validity while withdrawals are left; once every withdrawal is made,
        the end of the period the last one covers.
        """
        if self.status == PrescriptionStatus.CANCELLED or self.article.is_device:
            return None
        if self.remaining_withdrawals <= 0 and self.last_withdrawal_on is not None:
            return self.last_withdrawal_on + timedelta(self.period_days)
        return self.valid_to

    @classmethod
    def runs_out_on_sql(cls) -> sa.ColumnElement[date]:
        """`runs_out_on` in SQL for a consumable not cancelled (the caller
        filters those out)."""
        used_up = sa.and_(
            cls.withdrawals_used >= cls.withdrawals, cls.last_withdrawal_on.is_not(None)
        )
        return sa.case(
            (used_up, days_after(cls.last_withdrawal_on, cls.period_days)),
            else_=cls.valid_to,
        )

    def is_current_on(self, day: date) -> bool:
        """Shown by default: not cancelled and still valid (or not yet valid)."""
        return self.status != PrescriptionStatus.CANCELLED and day <= self.valid_to

    def status_on(self, day: date) -> PrescriptionStatus:
        if self.status in (PrescriptionStatus.CANCELLED, PrescriptionStatus.USED_UP):
            return PrescriptionStatus(self.status)
        if self.remaining_withdrawals <= 0:
            return PrescriptionStatus.USED_UP
        if day > self.valid_to:
            return PrescriptionStatus.EXPIRED
        return PrescriptionStatus.ACTIVE
