"""The resupply outreach: reminders to reorder, repeated until an order comes."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sesamlike.extensions import db
from sesamlike.prescriptions.models import Prescription


class ResupplyCycle(db.Model):
    """The reminders sent for one withdrawal of a prescription.

    A cycle starts with the first reminder (run-out near or time lock open) and
    ends when an order comes, the patient opts out, or the last reminder was sent.
    `withdrawals_used` names the withdrawal it is about: one cycle per withdrawal.
    """

    __tablename__ = "resupply_cycles"

    id: Mapped[int] = mapped_column(primary_key=True)
    prescription_id: Mapped[int] = mapped_column(
        sa.ForeignKey("prescriptions.id", ondelete="CASCADE"), index=True
    )
    withdrawals_used: Mapped[int]
    started_on: Mapped[date]
    notices: Mapped[int] = mapped_column(default=0)
    last_notice_on: Mapped[date]
    ended_on: Mapped[date | None]
    ended_reason: Mapped[str | None] = mapped_column(sa.String(20))

    prescription: Mapped[Prescription] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("prescription_id", "withdrawals_used"),
        sa.CheckConstraint(
            "ended_reason is null or ended_reason in "
            "('ordered','opted_out','last_notice','not_active')",
            name="ended_reason_known",
        ),
    )
