"""Entitlement: whether a withdrawal may be made on a prescription today."""

from __future__ import annotations

from datetime import date

from sesamlike.common.errors import DomainError
from sesamlike.prescriptions import errors
from sesamlike.prescriptions.models import Prescription, PrescriptionStatus


def withdrawal_refusal(
    prescription: Prescription, packs: int, today: date
) -> DomainError | None:
    """Why this withdrawal may not be made today, or None when it may."""
    article = prescription.article.name
    status = prescription.status_on(today)
    if status == PrescriptionStatus.CANCELLED:
        return errors.PrescriptionCancelled(article=article, status=status)
    if status == PrescriptionStatus.USED_UP:
        return errors.PrescriptionUsedUp(article=article)
    if status == PrescriptionStatus.EXPIRED:
        return errors.PrescriptionExpired(
            article=article, valid_to=prescription.valid_to, status=status
        )
    if packs > prescription.packs_per_withdrawal:
        return errors.TooManyPacks(
            max_packs=prescription.packs_per_withdrawal, article=article
        )
    opens_on = prescription.next_withdrawal_on
    if opens_on is not None and today < opens_on:
        # It opens on its first day: not started yet. A renewal carries on its
        # old one's last withdrawal (its time lock runs on), so that says
        # nothing of whether it has started.
        if opens_on == prescription.valid_from:
            return errors.NotStartedYet(
                opens_on=opens_on,
                article=article,
                renewal=prescription.renewed_from_id is not None,
            )
        if opens_on > prescription.valid_to:
            return errors.LockOutlastsPrescription(
                opens_on=opens_on, valid_to=prescription.valid_to, article=article
            )
        return errors.TimeLocked(opens_on=opens_on, article=article)
    return None
