"""The end of a patient's care in the region: the patient died, or moved to
another region. One use case, one transaction, registered by a prescriber at
a clinic caring for the patient (domain.md: staff with a care relationship).

What it does, at once, so nothing goes on while staff end things one by one:
- every open care relationship ends on that day, keeping the reason
  (`CareRelationship.end_reason`); the clinics that cared until then still see
  the record (`access._in_care_of_own_clinics`): the devices expected back,
  and the undo of a mistaken registration;
- the mails and text messages about the patient still waiting in the outbox
  are withdrawn, and the sender asks again when a mail's turn comes
  (`may_still_hear`): one queued before and sent after is not sent;
- what the areas above this one give at app start (`register`): the
  prescriptions in force end, the open orders not shipped are cancelled as the
  clinic cancels them (stock released, e-recepts withdrawn), and after a move
  the family is told once, plainly, that their orders were stopped (never
  after a death).

Lent devices are not written off: they are listed as expected back (on the
patient's page, and on the aids centre's list of devices to collect,
`fulfilment.due_back`), and their cost runs until the aids centre registers
them returned, as for anyone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from sesamlike.accounts import audit
from sesamlike.accounts.models import Role, User
from sesamlike.common import mail
from sesamlike.common.errors import Forbidden, NotVisible
from sesamlike.common.formatting import ReadersDate
from sesamlike.common.models import OutgoingMail
from sesamlike.common.time import region_today, utcnow
from sesamlike.extensions import db
from sesamlike.patients import access, errors
from sesamlike.patients.models import CareEndReason, Patient

REASONS = tuple(CareEndReason)


@dataclass(frozen=True)
class ExpectedBack:
    """A lent device (pump, CGM reader) the region expects back."""

    article: str
    serial_no: str | None
    since: date | None


@dataclass(frozen=True)
class Consequences:
    """What registering the end of care would do now: the confirmation step's
    and the done page's."""

    open_orders: int = 0
    prescriptions: int = 0
    devices: list[ExpectedBack] = field(default_factory=list)


@dataclass(frozen=True)
class Stopped:
    """What the registration stopped, and how many lent devices it leaves
    expected back."""

    orders: int = 0
    lines: int = 0
    prescriptions: int = 0
    devices: int = 0


# Given by the orders area at app start (it is above this one): what the
# end of care would stop, and stopping it, in the caller's transaction.
_foresee: Callable[[Patient, date], Consequences] | None = None
_stop: Callable[[Patient, User, str, date], Stopped] | None = None


def register(
    foresee: Callable[[Patient, date], Consequences],
    stop: Callable[[Patient, User, str, date], Stopped],
) -> None:
    """`foresee(patient, today)` counts what `stop(patient, user, reason,
    day)` ends: prescriptions, open orders, and the devices expected back."""
    global _foresee, _stop
    _foresee, _stop = foresee, stop


def care_ended_refusal(user: User, patient: Patient) -> errors.CareEnded | None:
    """Why no order or prescription can be made for the patient any more
    (their care in the region ended), in words for whoever asks; None while
    the region cares for the patient."""
    if patient.care_ended_reason is None:
        return None
    day = ReadersDate.of(patient.care_ended_on)
    if patient.care_ended_reason == CareEndReason.DECEASED:
        return errors.PatientDeceased(day=day)
    if user.role in access.SELF_ROLES:
        return errors.OwnCareMovedOut(day=day)
    return errors.PatientMovedOut(day=day)


def refuse_if_ended(user: User, patient: Patient, *, commit_read: bool = False) -> None:
    """Raise `care_ended_refusal`'s refusal, if any. `commit_read`: the
    caller's read of the patient (a page's) is committed first, since the
    refusal tells what it read (the day)."""
    if (refusal := care_ended_refusal(user, patient)) is not None:
        if commit_read:
            db.session.commit()
        raise refusal


def _require_prescriber(user: User) -> None:
    if user.role != Role.PRESCRIBER:
        raise Forbidden()


def _cared_for_by(user: User, patient: Patient) -> bool:
    """One of the user's clinics cares for the patient now."""
    return bool(patient.clinic_ids & set(user.clinic_ids))


def _ended_in_care_of(user: User, patient: Patient) -> bool:
    """One of the user's clinics cared for the patient until the end of care."""
    own = set(user.clinic_ids)
    return any(
        c.clinic_id in own and c.end_reason is not None
        for c in patient.care_relationships
    )


def consequences(user: User, patient_id: int) -> tuple[Patient, Consequences]:
    """The confirmation step: what registering the end of care would do."""
    _require_prescriber(user)
    patient = access.get_patient(user, patient_id, detail="end of care")
    if patient.care_ended_reason is not None:
        raise errors.CareAlreadyEnded()
    if not _cared_for_by(user, patient):
        raise Forbidden()
    found = _foresee(patient, region_today()) if _foresee else Consequences()
    db.session.commit()  # the read's audit row
    return patient, found


def expected_back(user: User, patient: Patient) -> list[ExpectedBack]:
    """The lent devices expected back from a patient whose care ended, for a
    page that has read the patient already (audited there)."""
    if patient.care_ended_reason is None or _foresee is None:
        return []
    return _foresee(patient, region_today()).devices


def end_care(
    user: User, patient_id: int, reason: str | None, day: date | None
) -> Stopped:
    """Register that the patient died or moved out of the region on `day`."""
    _require_prescriber(user)
    with access.refusal_logs_read(user, patient_id, "refused end of care"):
        patient = locked(user, patient_id)
        if patient.care_ended_reason is not None:
            raise errors.CareAlreadyEnded()
        if not _cared_for_by(user, patient):
            raise Forbidden()
        today = region_today()
        faults = faults_of(reason, day, today, patient)
        if faults:
            raise errors.CareEndInvalid(fields=faults)
        patient.care_ended_reason = reason
        patient.care_ended_on = day
        patient.care_ended_by_id = user.id
        patient.care_ended_at = utcnow()
        for episode in patient.care_relationships:
            if episode.ended_on is None:
                # An episode begun after the day (registered late) ends the day
                # it began: never before it.
                episode.ended_on = max(day, episode.started_on)
                episode.end_reason = reason
        withdrawn = withdraw_queued(patient.id, reason)
        stopped = _stop(patient, user, reason, day) if _stop else Stopped()
        audit.record(
            "care_end",
            "patient",
            patient_id=patient.id,
            object_id=patient.id,
            user=user,
            detail=(
                f"{reason} {day.isoformat()}: {stopped.orders} orders, "
                f"{stopped.prescriptions} prescriptions, {withdrawn} mails withdrawn"
            ),
        )
        db.session.commit()
        return stopped


def undo(user: User, patient_id: int) -> Patient:
    """A mistaken registration (the wrong patient) is undone: the state is
    cleared and the care relationships it ended open again. What it cancelled
    stays cancelled."""
    _require_prescriber(user)
    with access.refusal_logs_read(user, patient_id, "refused undo of end of care"):
        patient = locked(user, patient_id)
        if patient.care_ended_reason is None:
            raise errors.CareNotEnded()
        if not _ended_in_care_of(user, patient):
            raise Forbidden()
        open_clinics = patient.clinic_ids
        for episode in patient.care_relationships:
            if episode.end_reason is None:
                continue
            episode.end_reason = None
            if episode.clinic_id not in open_clinics:
                episode.ended_on = None
                open_clinics.add(episode.clinic_id)
        # The notice of a move not sent yet would tell of a move that was not.
        _clear_end(user, patient, "care_end_undo", "end of care undone")
        db.session.commit()
        return patient


def locked(user: User, patient_id: int) -> Patient:
    """The patient, visible to the user, locked against a second registration
    at the same moment; read as a change of the record (audited by the use
    case's own row)."""
    patient = lock(patient_id, access.visible_patient_filter(user))
    if patient is None:
        raise NotVisible()
    return patient


def lock(patient_id: int, *where: sa.ColumnElement[bool]) -> Patient | None:
    """The patient's row, locked and read afresh: `locked` for a user; a use
    case that has found the patient by number (`care.start`) gives no filter."""
    return db.session.scalar(
        sa.select(Patient)
        .where(Patient.id == patient_id, *where)
        .with_for_update(of=Patient)
        .execution_options(populate_existing=True)
    )


def lift_move(user: User, patient: Patient) -> None:
    """The patient who moved out of the region has moved back (`care.resume`):
    the end of care is cleared, in the caller's transaction, so orders and
    prescriptions can be made again. Never after a death.

    The episodes the move ended stay ended, and lose the reason that let
    their clinics read the record while the care was ended (`access`). The
    patient's row holds only an end in force: the move itself stays in the
    audit log, in its `care_end` row and in this one's detail."""
    if patient.care_ended_reason is None:
        raise errors.CareNotEnded()
    if patient.deceased:
        raise errors.DeceasedNotResumed()
    for episode in patient.care_relationships:
        episode.end_reason = None
    # A notice of the move not sent yet would arrive after the return.
    _clear_end(user, patient, "care_resume", "care in the region resumed")


def _clear_end(user: User, patient: Patient, action: str, why: str) -> None:
    """The patient's end of care cleared (undone, or a move back): a notice
    of it not sent yet withdrawn (`why`), audited as `action` with the end it
    cleared (the patient's row holds only an end in force)."""
    detail = f"{patient.care_ended_reason} {patient.care_ended_on.isoformat()}"
    patient.care_ended_reason = None
    patient.care_ended_on = None
    patient.care_ended_by_id = None
    patient.care_ended_at = None
    mail.withdraw_unsent_kinds(patient.id, [mail.MailKind.CARE_ENDED], why)
    audit.record(action, "patient", patient_id=patient.id,
                 object_id=patient.id, user=user, detail=detail)  # fmt: skip


def faults_of(
    reason: str | None, day: date | None, today: date, patient: Patient
) -> dict[str, list[str]]:
    faults: dict[str, list[str]] = {}
    if reason not in REASONS:
        faults["reason"] = [errors.CARE_END_REASON]
    if day is None:
        faults["day"] = [errors.CARE_END_DAY_REQUIRED]
    elif day > today:
        faults["day"] = [errors.CARE_END_DAY_AHEAD]
    elif patient.birth_date is not None and day < patient.birth_date:
        faults["day"] = [errors.CARE_END_DAY_BEFORE_BIRTH]
    return faults


# The outbox ------------------------------------------------------------------

# The notices about the patient that end with the care: to the patient, the
# guardians and the prescribers. Not the account mails (a password link of a
# patient who moved and may still read their history), nor the one notice of
# the move itself.
STOPPED_KINDS = frozenset(
    {
        mail.MailKind.ORDER_RECEIVED,
        mail.MailKind.ORDER_SHIPPED,
        mail.MailKind.ORDER_DELIVERED,
        mail.MailKind.ORDER_CANCELLED,
        mail.MailKind.RUNOUT_REMINDER,
        mail.MailKind.TIME_LOCK_OPEN,
        mail.MailKind.PRESCRIPTION_LOW,
        mail.MailKind.PRESCRIPTION_EXPIRING,
        mail.MailKind.RESUPPLY_REMINDER,
    }
)
WITHDRAWN = "care in the region ended ({reason})"


def withdraw_queued(patient_id: int, reason: str) -> int:
    """Unsent notices about the patient are never sent; how many."""
    return mail.withdraw_unsent_kinds(
        patient_id, sorted(STOPPED_KINDS), WITHDRAWN.format(reason=reason)
    )


def may_still_hear(queued: OutgoingMail) -> bool:
    """Whether a queued notice may still go when its turn comes: none of the
    stopped kinds about a patient whose care in the region has ended. A
    reorder reminder queued the evening before a death was registered and
    sent the next morning went to the parents of a child who had died."""
    told = queued.kind == mail.MailKind.CARE_ENDED
    if queued.patient_id is None or not (told or queued.kind in STOPPED_KINDS):
        return True
    reason = db.session.scalar(
        sa.select(Patient.care_ended_reason).where(Patient.id == queued.patient_id)
    )
    # The notice of a move goes only while the move stands (not undone).
    return reason == CareEndReason.MOVED_OUT if told else reason is None
