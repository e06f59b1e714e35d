"""The mail outbox: notices are queued in a table and sent by a job over SMTP.

Queueing joins the caller's transaction, so a notice exists exactly when the change
it tells about was committed. The sender claims rows before sending, so two sender
runs at once never send the same mail; a mail whose sender died mid-send is claimed
again after `CLAIM_LEASE` (at-least-once: that one mail may then arrive twice).
"""

from __future__ import annotations

import enum
import functools
import hashlib
import importlib
import secrets
import smtplib
import ssl
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from sesamlike.common import jobruns
from sesamlike.common.models import OutgoingMail
from sesamlike.common.redaction import redacted
from sesamlike.common.time import utcnow
from sesamlike.extensions import db


class MailKind(enum.StrEnum):
    ORDER_RECEIVED = "order_received"
    ORDER_SHIPPED = "order_shipped"
    ORDER_DELIVERED = "order_delivered"
    ORDER_CANCELLED = "order_cancelled"
    RUNOUT_REMINDER = "runout_reminder"
    TIME_LOCK_OPEN = "time_lock_open"
    PRESCRIPTION_LOW = "prescription_low"
    PRESCRIPTION_EXPIRING = "prescription_expiring"
    RESUPPLY_REMINDER = "resupply_reminder"
    PASSWORD_LINK = "password_link"
    EMAIL_CHANGED = "email_changed"
    CARE_ENDED = "care_ended"


# After this many failed attempts a mail is left unsent, with its last error.
MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(minutes=5)
LONGEST_RETRY = timedelta(hours=6)
# A claim older than this belongs to a sender that died; the mail is claimed again.
CLAIM_LEASE = timedelta(minutes=15)
SMTP_TIMEOUT_SECONDS = 30


def queue_mail(
    to: str,
    subject: str,
    body: str,
    kind: str,
    dedupe_key: str,
    patient_id: int | None = None,
    send_after: datetime | None = None,
    channel: str = "email",
) -> OutgoingMail | None:
    """Add a mail to the outbox in the caller's transaction; None if the key exists.

    INSERT ... ON CONFLICT DO NOTHING, so a duplicate (even one another transaction
    is inserting at this moment) never raises and never spoils the caller's work.
    The mail returned is the row as queued, with its id, outside the session: not
    read back (an order's send queues one for each recipient), and nothing of it
    is left in the session should the caller's transaction roll back.
    """
    kind = MailKind(kind)
    values = dict(
        to_address=to,
        subject=subject[:200],
        body=body,
        kind=kind.value,
        channel=channel,
        patient_id=patient_id,
        dedupe_key=dedupe_key,
        created_at=utcnow(),
        send_after=send_after or utcnow(),
        attempts=0,
    )
    dialect = db.session.get_bind().dialect.name
    mail_id = db.session.execute(_queue_statement(dialect), values).scalar()
    return None if mail_id is None else OutgoingMail(id=mail_id, **values)


@functools.cache
def _queue_statement(dialect: str):
    """`queue_mail`'s INSERT, built once per dialect: each mail fills in its values."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    outbox = OutgoingMail.__table__
    return (
        insert(outbox)  # its columns: the values it is executed with
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(outbox.c.id)
    )


def withdraw_unsent(patient_id: int, recipient: str, reason: str) -> int:
    """Unsent mails about this patient to `recipient` are never sent: marked as
    given up with `reason`, in the caller's transaction. `recipient` is the
    recipient part of their dedupe keys: "guardian:7" for one guardian,
    "guardian" for every guardian (an e-mail or an SMS alike).

    For what stops a recipient's right to hear of the patient (protected
    identity, a guardian's link removed) while their mail waits for the sender.
    A mail a sender holds at this very moment may still go.
    """
    if ":" in recipient:
        keys = [f"%:{recipient}", f"%:{recipient}:sms"]
    else:
        keys = [f"%:{recipient}:%"]
    return _withdraw(
        patient_id, sa.or_(*(OutgoingMail.dedupe_key.like(key) for key in keys)), reason
    )


def withdraw_unsent_kinds(patient_id: int, kinds: list[str], reason: str) -> int:
    """Unsent mails of these kinds about this patient, to whomever, are never
    sent: given up with `reason`, in the caller's transaction (the end of the
    patient's care in the region). How many."""
    return _withdraw(patient_id, OutgoingMail.kind.in_(kinds), reason)


def _withdraw(patient_id: int, which: sa.ColumnElement[bool], reason: str) -> int:
    """The patient's unsent mails that `which` picks are given up with `reason`."""
    result = db.session.execute(
        sa.update(OutgoingMail)
        .where(
            OutgoingMail.patient_id == patient_id,
            OutgoingMail.sent_at.is_(None),
            OutgoingMail.attempts < MAX_ATTEMPTS,
            which,
        )
        .values(attempts=MAX_ATTEMPTS, last_error=f"Withdrawn: {reason}"[:500])
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


# Whether a queued mail may still go to its recipient when its turn comes: a
# guardian's right to hear of a child ends on the 18th birthday, a prescriber's
# when they leave or the care ends, whatever the day it was queued. Given at
# app start by the areas above this one (patients, orders).
_recipient_checks: list[Callable[[OutgoingMail], bool]] = []
WITHDRAWN_AT_SENDING = "Withdrawn: the recipient may no longer hear of the patient"


def register_recipient_check(check: Callable[[OutgoingMail], bool]) -> None:
    """`check(mail)`: False for a mail whose recipient may no longer receive it
    (`patients.links.may_still_hear`, `orders.notices.prescriber_may_still_hear`);
    the sender then gives it up unsent."""
    if check not in _recipient_checks:
        _recipient_checks.append(check)


def _may_still_go(mail: OutgoingMail) -> bool:
    return all(check(mail) for check in _recipient_checks)


def retry_delay(attempts: int) -> timedelta:
    """Wait before the next try: 5 min, doubling per failed attempt, at most 6 h."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)


def send_job(now: datetime) -> dict:
    """The sender job (`jobs.JOBS`): `send_pending`, and why mails failed, as
    the run's message on the admin's jobs page (most common first). A run
    "delvis misslyckad" said nothing else: the reason was kept only on each
    mail, which no page shows."""
    reasons: Counter[str] = Counter()
    counts: dict = send_pending(now, reasons=reasons)
    if reasons:
        counts[jobruns.MESSAGE] = "\n".join(
            f"{n} × {reason}" for reason, n in reasons.most_common(5)
        )
    return counts


def send_pending(
    now: datetime, limit: int = 100, reasons: Counter[str] | None = None
) -> dict[str, int]:
    """Send due mails over SMTP; count sent, failed and given up. `reasons`
    counts each failure's error, as written on its mail."""
    counts = {"sent": 0, "failed": 0, "gave_up": 0}
    reasons = Counter() if reasons is None else reasons
    token = _claim(now, limit)
    mails = db.session.scalars(
        sa.select(OutgoingMail)
        .where(OutgoingMail.claim_token == token)
        .order_by(OutgoingMail.id)
    ).all()
    if not mails:
        return counts
    config = current_app.config
    smtp: smtplib.SMTP | None = None
    try:
        for index, mail in enumerate(mails):
            if _withdrawn(mail, token, counts):
                continue
            if mail.channel == "sms":
                counts[_send_sms(mail, token, now, config, reasons)] += 1
                continue
            if smtp is None:
                try:
                    smtp = _connect(config)
                except (OSError, smtplib.SMTPException) as error:
                    # The server is unreachable for every mail in this run, not
                    # just this one: don't wait out a timeout per mail.
                    for unsent in mails[index:]:
                        if _withdrawn(unsent, token, counts):
                            continue
                        if unsent.channel == "sms":
                            counts[_send_sms(unsent, token, now, config, reasons)] += 1
                        else:
                            failed = _record_failure(unsent, token, now, error, reasons)
                            counts[failed] += 1
                    break
            try:
                smtp.send_message(_message(mail, config, now))
            # Anything one mail raises (a refused or malformed address, a dropped
            # connection) is that mail's failure; the rest of the batch goes on.
            except Exception as error:
                counts[_record_failure(mail, token, now, error, reasons)] += 1
                _close(smtp)  # a fresh connection for the next mail
                smtp = None
            else:
                _record_sent(mail, token, now)
                counts["sent"] += 1
    finally:
        if smtp is not None:
            _close(smtp)
    return counts


def _withdrawn(mail: OutgoingMail, token: str, counts: dict[str, int]) -> bool:
    """Give the mail up unsent if its recipient may no longer hear of the
    patient (`register_recipient_check`); whether it was."""
    if _may_still_go(mail):
        return False
    _finish(mail, token, attempts=MAX_ATTEMPTS, claimed_at=None, claim_token=None,
            last_error=WITHDRAWN_AT_SENDING)  # fmt: skip
    counts["withdrawn"] = counts.get("withdrawn", 0) + 1
    return True


def _send_sms(mail: OutgoingMail, token: str, now: datetime, config,
              reasons: Counter[str]) -> str:  # fmt: skip
    """Hand an SMS to the configured sender; count it as sent or failed."""
    try:
        sms_sender(config)(mail.to_address, f"{mail.subject}\n{mail.body}")
    except Exception as error:
        return _record_failure(mail, token, now, error, reasons)
    _record_sent(mail, token, now)
    return "sent"


def sms_sender(config):
    """The SMS seam: `SMS_BACKEND` "file" (default) or "module:function".

    "file" appends each message to `SMS_FILE` (instance/sms-outbox.txt), as a
    stand-in until the region's SMS gateway is connected; "module:function" is
    called as function(phone, text) and raises on failure.
    """
    backend = config.get("SMS_BACKEND") or "file"
    if backend == "file":
        return functools.partial(_sms_to_file, config["SMS_FILE"])
    module, _, attribute = backend.partition(":")
    return getattr(importlib.import_module(module), attribute)


def _sms_to_file(path: str, phone: str, text: str) -> None:
    with open(path, "a", encoding="utf-8") as out:
        out.write(f"{phone}\t{text.replace(chr(10), ' / ')}\n")


def _claim(now: datetime, limit: int) -> str:
    """Mark up to `limit` due mails as ours and commit; return the claim token.

    On PostgreSQL the SELECT locks its rows and skips those another sender holds;
    the UPDATE then re-checks `sent_at` and `claimed_at`, which is what keeps
    senders apart on SQLite (one writer at a time). Two statements, not
    `UPDATE ... WHERE id IN (SELECT ... LIMIT n FOR UPDATE SKIP LOCKED)`: PostgreSQL
    may rescan that subquery per row and claim far more than `limit` rows.
    """
    token = secrets.token_hex(16)
    due_ids = db.session.scalars(
        sa.select(OutgoingMail.id)
        .where(
            OutgoingMail.sent_at.is_(None),
            OutgoingMail.send_after <= now,
            OutgoingMail.attempts < MAX_ATTEMPTS,
            _unclaimed(now),
        )
        .order_by(OutgoingMail.send_after, OutgoingMail.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if due_ids:
        db.session.execute(
            sa.update(OutgoingMail)
            .where(
                OutgoingMail.id.in_(due_ids),
                OutgoingMail.sent_at.is_(None),
                _unclaimed(now),
            )
            .values(claimed_at=now, claim_token=token)
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    return token


def _unclaimed(now: datetime) -> sa.ColumnElement[bool]:
    return sa.or_(
        OutgoingMail.claimed_at.is_(None), OutgoingMail.claimed_at < now - CLAIM_LEASE
    )


def _record_sent(mail: OutgoingMail, token: str, now: datetime) -> None:
    _finish(mail, token, sent_at=now, claimed_at=None, claim_token=None)


def _record_failure(mail: OutgoingMail, token: str, now: datetime, error,
                    reasons: Counter[str]) -> str:  # fmt: skip
    attempts = mail.attempts + 1
    last_error = failure_reason(error)
    reasons[last_error] += 1
    _finish(
        mail,
        token,
        attempts=attempts,
        last_error=last_error,
        send_after=now + retry_delay(attempts),
        claimed_at=None,
        claim_token=None,
    )
    return "gave_up" if attempts >= MAX_ATTEMPTS else "failed"


def failure_reason(error: BaseException) -> str:
    """Why a mail failed, as its row and the admin's jobs page say it: the
    error's kind and the server's answer, without the recipient's address or
    number (`redaction`)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        text = "; ".join(
            f"{code} {_decoded(answer)}" for code, answer in error.recipients.values()
        )
    else:
        text = str(error)
    return f"{type(error).__name__}: {redacted(text)}"[:500]


def _decoded(answer: bytes | str) -> str:
    return answer.decode(errors="replace") if isinstance(answer, bytes) else answer


def _finish(mail: OutgoingMail, token: str, **values) -> None:
    """Write one mail's outcome and commit it, only while the claim is still ours."""
    db.session.execute(
        sa.update(OutgoingMail)
        .where(OutgoingMail.id == mail.id, OutgoingMail.claim_token == token)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _connect(config) -> smtplib.SMTP:
    smtp = smtplib.SMTP(
        config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=SMTP_TIMEOUT_SECONDS
    )
    try:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def _close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


def _message(mail: OutgoingMail, config, now: datetime) -> EmailMessage:
    sender = config["MAIL_SENDER"]
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to_address
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(now)
    # Stable per mail, so a receiver can drop the copy a re-claimed send may make.
    domain = sender.rpartition("@")[2] or "sesamlike.local"
    key_hash = hashlib.sha256(mail.dedupe_key.encode()).hexdigest()[:16]
    message["Message-ID"] = f"<outbox-{mail.id}.{key_hash}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(mail.body)
    return message
