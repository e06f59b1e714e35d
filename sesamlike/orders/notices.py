"""Notices to patients, guardians and prescribers, queued in the mail outbox.

Each function queues in the caller's transaction and returns the mails it queued
(none when a dedupe key says the notice already exists). Mails carry the patient's
first name, article names, dates, the order or prescription number and a link (the
public address, PUBLIC_URL, and a path);
never a personnummer, a diagnosis or an address (protected identity or not).
A child's notices go to the guardians with an e-mail address, an adult's to the
patient's own address (on record, else that of their own login). A child with
protected identity gets no notice by mail: its guardians may not act for it
online (domain.md), so the clinic tells them.
A prescriber is told only about a patient still in their care.
Each notice is written in its recipient's language (`Recipient.locale`): the one
their own login chose, else Swedish (a guardian or patient without a login).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sesamlike.accounts import audit
from sesamlike.accounts.models import User
from sesamlike.catalog.models import Article
from sesamlike.common.formatting import format_date
from sesamlike.common.i18n import (
    N_,
    RECIPIENT_DEFAULT_LOCALE,
    Plural,
    _,
    ngettext,
    recipients_locale,
    written_in,
)
from sesamlike.common.mail import MailKind, queue_mail
from sesamlike.common.models import OutgoingMail
from sesamlike.common.time import region_today
from sesamlike.common.urls import public_url
from sesamlike.extensions import db
from sesamlike.orders import shipto, withdrawals
from sesamlike.orders.models import OPEN_LINE_STATUSES, LineStatus, Order, OrderLine
from sesamlike.patients import access
from sesamlike.patients.identity import AgeGroup
from sesamlike.patients.models import Guardian, Patient
from sesamlike.prescriptions.models import Prescription, PrescriptionStatus

# Link paths, sent as full addresses (`public_url`) that a mail client can open.
PORTAL_PATH = "/portal"
# One click from a reminder to the reorder form with that aid ticked (login first).
REORDER_PATH = "/portal/order?rx={prescription_id}"
PREFERENCES_PATH = "/portal/reminders"
PORTAL_ORDER_PATH = "/portal/orders/{order_id}"
PRESCRIPTIONS_PATH = "/patients/{patient_id}/prescriptions"

GREETING_PATIENT = N_("Hej {first_name}!")
GREETING_GUARDIAN = N_("Hej! Det här gäller {first_name}.")
GREETING_PRESCRIBER = N_("Hej {name}!")
GREETING_PLAIN = N_("Hej!")
SIGNATURE = N_(
    "Med vänlig hälsning\n"
    "Sesamlike, beställning av hjälpmedel\n\n"
    "Meddelandet skickas automatiskt och går inte att svara på."
)

ORDER_RECEIVED_SUBJECT = N_("Vi har tagit emot beställning {order_no}")
ORDER_RECEIVED_BODY = N_(
    "{greeting}\n\n"
    "Vi har tagit emot beställning {order_no}:\n{lines}\n\n"
    "Följ beställningen på {link}\n\n{signature}"
)
ORDER_SHIPPED_SUBJECT = N_("Beställning {order_no} har skickats")
ORDER_SHIPPED_BODY = N_(
    "{greeting}\n\n"
    "Beställning {order_no} har skickats:\n{lines}\n\n"
    "{rest}{delivery}{tracking}\n\n"
    "Följ beställningen på {link}\n\n{signature}"
)
DELIVERY_TEXT = {
    "home": N_("Paketet kommer med posten."),
    "clinic": N_("Paketet hämtas på vårdenheten."),
    "pickup": N_("Paketet hämtas på utlämningsstället."),
    "pharmacy": N_("Varorna hämtas på apoteket."),
}
# The label the order pages give it ("Sändningsnummer: PKG123").
TRACKING = N_("Sändningsnummer")
# An order shipped in part: what comes later, so no one waits for it at the door.
REST = N_("Resten av beställningen kommer senare:")
ORDER_DELIVERED_SUBJECT = N_("Beställning {order_no} är levererad")
ORDER_DELIVERED_BODY = N_(
    "{greeting}\n\n"
    "Beställning {order_no} levererades {delivered_on}:\n{lines}\n\n"
    "Kontakta mottagningen om något saknas eller är fel.\n\n{signature}"
)
ORDER_CANCELLED_SUBJECT = N_("Beställning {order_no} är makulerad")
LINES_CANCELLED_SUBJECT = N_("En del av beställning {order_no} är makulerad")
ORDER_CANCELLED_BODY = N_(
    "{greeting}\n\n"
    "{what}\n{lines}\n\n"
    "{by}{given_back}\n\n{rest}"
    "Se beställningen på {link}\n\n{signature}"
)
# What became of the withdrawals: back on prescriptions still in force they can
# be ordered again; an ended one's cannot, and a line without one (a warranty
# replacement) had none to give back.
ORDERABLE_AGAIN = N_(
    "Uttagen är återförda till förskrivningarna, så att de kan beställas igen."
)
GIVEN_BACK = N_("Uttagen är återförda till förskrivningarna.")
WHOLE_ORDER_CANCELLED = N_("Beställning {order_no} är makulerad och skickas inte:")
LINES_CANCELLED = N_("Det här i beställning {order_no} är makulerat och skickas inte:")
# Who cancelled, by where it was done: a patient asks the clinic why, not a name.
CANCELLED_BY_CLINIC = N_(
    "Mottagningen har makulerat det. Kontakta mottagningen om du har frågor."
)
CANCELLED_IN_PORTAL = N_("Det makulerades i e-tjänsten.")
# An order cancelled in part: what still comes (not what has come already).
ON_THE_WAY = frozenset(OPEN_LINE_STATUSES) | {LineStatus.SHIPPED}
STILL_COMING = N_("Resten av beställningen kommer som vanligt:")
RUNOUT_SUBJECT = N_("Dags att beställa {article}")
RUNOUT_BODY = N_(
    "{greeting}\n\n"
    "Enligt vår beräkning räcker den senaste leveransen av {article} "
    "till omkring {runout_on}. {when}\n\n"
    "Beställ på {link}\n\n{opt_out}\n\n{signature}"
)
# The first notice of a cycle says where to stop them (later ones say it too).
OPT_OUT = N_(
    "Vill du inte ha påminnelser, eller ha dem som SMS, ändra det på {preferences}"
)
RUNOUT_ORDER_NOW = N_("Nästa uttag kan beställas nu.")
RUNOUT_ORDER_FROM = N_("Nästa uttag kan beställas från {opens_on}.")
RESUPPLY_SUBJECT = N_("Påminnelse: dags att beställa {article}")
RESUPPLY_BODY = N_(
    "{greeting}\n\n"
    "Vi har inte sett någon ny beställning av {article} sedan vi påminde "
    "{first_notice_on}. Nästa uttag kan beställas nu.\n\n"
    "Beställ på {link}\n\n"
    "Det här är påminnelse {number} av {last}. Vill du inte ha fler påminnelser, "
    "eller ha dem som SMS, ändra det på {preferences}\n\n{signature}"
)
RESUPPLY_SMS = N_(
    "Påminnelse {number} av {last}: dags att beställa {article}. Beställ på {link}"
)
TIME_LOCK_OPEN_SUBJECT = N_("Nu kan du beställa {article}")
TIME_LOCK_OPEN_BODY = N_(
    "{greeting}\n\n"
    "Från {opens_on} kan nästa uttag av {article} beställas. "
    "Uttag kvar på förskrivningen: {remaining}.\n\n"
    "Beställ på {link}\n\n{opt_out}\n\n{signature}"
)
PRESCRIPTION_LOW_SUBJECT = N_("Förskrivning {prescription_no}: ett uttag kvar")
PRESCRIPTION_LOW_BODY = N_(
    "{greeting}\n\n"
    "Förskrivning {prescription_no} av {article} för {first_name} har ett uttag "
    "kvar och gäller till och med {valid_to}. Förnya den vid behov.\n\n"
    "Se förskrivningen på {link}\n\n{signature}"
)
PRESCRIPTION_EXPIRING_SUBJECT = N_("Förskrivning {prescription_no} upphör {valid_to}")
PRESCRIPTION_EXPIRING_BODY = Plural(
    "{greeting}\n\n"
    "Förskrivning {prescription_no} av {article} för {first_name} gäller till och "
    "med {valid_to} och har {remaining} uttag kvar. Förnya den vid behov.\n\n"
    "Se förskrivningen på {link}\n\n{signature}",
    "{greeting}\n\n"
    "Förskrivning {prescription_no} av {article} för {first_name} gäller till och "
    "med {valid_to} och har {remaining} uttag kvar. Förnya den vid behov.\n\n"
    "Se förskrivningen på {link}\n\n{signature}",
    count="remaining",
)
CARE_MOVED_OUT_SUBJECT = N_("Beställningar av hjälpmedel har stoppats")
CARE_MOVED_OUT_BODY = N_(
    "{greeting}\n\n"
    "Vi har fått veta att vården har flyttat till en annan region "
    "({moved_on}). Därför har vi stoppat beställningarna av hjälpmedel här: "
    "det som inte hade skickats kommer inte, och förskrivningarna gäller inte "
    "längre.\n\n"
    "Kontakta diabetesmottagningen i den nya regionen om fortsatta "
    "hjälpmedel.{devices}\n\n{signature}"
)
# Lent devices are the region's: they come back (the clinic says how).
CARE_MOVED_OUT_DEVICES = N_(
    "Insulinpump och CGM-läsare är lånade och tillhör regionen. "
    "Mottagningen hör av sig om hur de lämnas tillbaka."
)


def _day(day: date) -> str:
    """A date in the language the mail is written in: 2 mars 2026 (2 March 2026)."""
    return format_date(day)


@dataclass(frozen=True)
class Recipient:
    """Who a notice goes to, and in which language (`written_in`): their own
    login's choice, else Swedish."""

    address: str
    key: str  # who, in dedupe keys: "patient:3", "guardian:7", "user:5"
    greeting: str  # source text, filled with `name` in the recipient's language
    name: str = ""
    locale: str = RECIPIENT_DEFAULT_LOCALE

    def greet(self) -> str:
        return _(self.greeting, first_name=self.name, name=self.name)


def _reads(login: User | None) -> str:
    """The language someone reads: their login's choice, else Swedish."""
    return recipients_locale(login.locale if login is not None else None)


def patient_recipients(
    patient: Patient, today: date, channel: str = "email"
) -> list[Recipient]:
    """A child's guardians with an address, else the adult patient's own.

    The address is an e-mail address, or a phone number for `channel` "sms".
    """
    first_name = patient.first_name
    if patient.age_group_on(today) == AgeGroup.CHILD:
        if patient.protected_identity:
            # A guardian may not act for a protected child online (domain.md);
            # the clinic tells the family instead.
            return []
        found: dict[str, Recipient] = {}
        for guardian in sorted(patient.guardians, key=lambda g: g.id):
            address = _address(guardian, channel)
            if address and address.lower() not in found:
                found[address.lower()] = Recipient(
                    address,
                    f"guardian:{guardian.id}",
                    GREETING_GUARDIAN,
                    first_name,
                    _reads(guardian.user if guardian.user_id else None),
                )
        return list(found.values())
    address = _address(patient, channel)
    if not address:
        return []
    login = patient.user if patient.user_id else None
    return [
        Recipient(
            address,
            f"patient:{patient.id}",
            GREETING_PATIENT,
            first_name,
            _reads(login),
        )
    ]


_ADDRESS = {"email": "email", "sms": "phone"}


def _address(person: Patient | Guardian, channel: str) -> str:
    """The e-mail address or phone number of a patient or guardian: as their
    record has it, else (e-mail) their own active login's, where the link to
    choose a password went. A patient whose record had no e-mail got no order
    confirmation, though the portal promised them."""
    address = (getattr(person, _ADDRESS[channel]) or "").strip()
    if address or channel != "email" or person.user_id is None:
        return address
    login = person.user  # read only here: most have an address of their own
    return (login.email or "").strip() if login.active else ""


def prescriber_recipient(prescription: Prescription) -> Recipient | None:
    prescriber = prescription.prescriber
    address = (prescriber.email or "").strip() if prescriber else ""
    if not address or not prescriber.active:
        return None
    if not access.can_see(prescriber, prescription.patient):  # care has ended
        return None
    name = prescriber.display_name.strip()
    greeting = GREETING_PRESCRIBER if name else GREETING_PLAIN
    return Recipient(
        address, f"user:{prescriber.id}", greeting, name, _reads(prescriber)
    )


# A prescriber's notice, as `_to_prescriber` keys it.
_TO_PRESCRIBER = re.compile(
    rf"^(?:{MailKind.PRESCRIPTION_LOW}|{MailKind.PRESCRIPTION_EXPIRING})"
    r":prescription:(\d+)$"
)


def prescriber_may_still_hear(mail: OutgoingMail) -> bool:
    """Whether a queued notice to a prescriber may go now: to whom it would be
    queued today (`prescriber_recipient`: active, still caring for the
    patient), at the same address. A nurse who left, or whose clinic's care
    ended, was still mailed the patient's first name and aid."""
    found = _TO_PRESCRIBER.match(mail.dedupe_key or "")
    if found is None:
        return True
    prescription = db.session.get(Prescription, int(found.group(1)))
    recipient = None if prescription is None else prescriber_recipient(prescription)
    return recipient is not None and (
        recipient.address.lower() == (mail.to_address or "").lower()
    )


# Orders: called by the ordering and stock code when an order changes state.
# Each notice's text is made per recipient, in their language (`_to_patient`):
# what it says is a function of no arguments, called inside `written_in`.

Fields = Callable[[], dict]


def order_received(
    order: Order,
    today: date | None = None,
    items: Sequence[tuple[Article, int]] | None = None,
) -> list[OutgoingMail]:
    """Tell the patient or guardians that their order has arrived. `items`:
    each line's article and packs, for an order whose lines are not in yet
    (by default its lines not cancelled)."""
    if items is None:
        items = [(line.article, line.packs) for line in order.lines
                 if line.status != LineStatus.CANCELLED]  # fmt: skip
    if not items:
        return []
    return _to_patient(
        order.patient,
        today,
        MailKind.ORDER_RECEIVED,
        f"order_received:order:{order.id}",
        ORDER_RECEIVED_SUBJECT,
        ORDER_RECEIVED_BODY,
        lambda: _fields(order, items),
    )


def order_shipped(order: Order, today: date | None = None) -> list[OutgoingMail]:
    """Tell the patient or guardians what has been shipped and where to collect it."""
    lines = [line for line in order.lines if line.status == LineStatus.SHIPPED]
    if not lines:
        return []
    waiting = [line for line in order.lines if line.status in OPEN_LINE_STATUSES]
    mode = shipto.ship_to(order).mode
    # A parcel's tracking reveals where it goes: left out for protected identity.
    show_tracking = order.tracking_ref and not order.patient.protected_identity

    def fields() -> dict:
        return dict(
            _order_fields(order, lines),
            rest=_listed(REST, waiting),
            delivery=_(DELIVERY_TEXT[mode]) if mode in DELIVERY_TEXT else "",
            tracking=f"\n{_(TRACKING)}: {order.tracking_ref}" if show_tracking else "",
        )

    return _to_patient(
        order.patient,
        today,
        MailKind.ORDER_SHIPPED,
        f"order_shipped:order:{order.id}:lines:{_line_ids(lines)}",
        ORDER_SHIPPED_SUBJECT,
        ORDER_SHIPPED_BODY,
        fields,
    )


def order_delivered(order: Order, today: date | None = None) -> list[OutgoingMail]:
    """Tell the patient or guardians that the order has been delivered."""
    lines = [
        line
        for line in order.lines
        if line.status == LineStatus.DELIVERED and line.delivered_on
    ]
    if not lines:
        return []
    delivered_on = max(line.delivered_on for line in lines)
    return _to_patient(
        order.patient,
        today,
        MailKind.ORDER_DELIVERED,
        f"order_delivered:order:{order.id}:lines:{_line_ids(lines)}",
        ORDER_DELIVERED_SUBJECT,
        ORDER_DELIVERED_BODY,
        lambda: dict(_order_fields(order, lines), delivered_on=_day(delivered_on)),
    )


def order_cancelled(
    order: Order,
    lines: Sequence[OrderLine],
    by_clinic: bool,
    today: date | None = None,
) -> list[OutgoingMail]:
    """Tell the patient or guardians what of their order was cancelled
    (makulerat) and will not come, and by whom: the clinic, or the portal
    (the other guardian did it, or it is the canceller's own receipt).
    `lines`: those this cancellation cancelled."""
    if not lines:
        return []
    gone = {line.id for line in lines}
    others = [line for line in order.lines if line.id not in gone]
    whole = all(line.status == LineStatus.CANCELLED for line in others)
    coming = [line for line in others if line.status in ON_THE_WAY]
    given_back = _given_back(lines, today or region_today())

    def fields() -> dict:
        return dict(
            _order_fields(order, lines),
            what=_(
                WHOLE_ORDER_CANCELLED if whole else LINES_CANCELLED, order_no=order.id
            ),  # fmt: skip
            by=_(CANCELLED_BY_CLINIC if by_clinic else CANCELLED_IN_PORTAL),
            given_back=f" {_(given_back)}" if given_back else "",
            rest=_listed(STILL_COMING, coming),
        )

    return _to_patient(
        order.patient,
        today,
        MailKind.ORDER_CANCELLED,
        f"order_cancelled:order:{order.id}:lines:{_line_ids(lines)}",
        ORDER_CANCELLED_SUBJECT if whole else LINES_CANCELLED_SUBJECT,
        ORDER_CANCELLED_BODY,
        fields,
    )


def care_moved_out(
    patient: Patient, devices_lent: bool, today: date | None = None
) -> list[OutgoingMail]:
    """Tell the patient who moved out of the region, or a child's guardians,
    once and plainly, that their orders and prescriptions here were stopped
    (one notice, not one per order cancelled). Never after a death."""

    def fields() -> dict:
        return dict(
            moved_on=_day(patient.care_ended_on),
            devices=f"\n\n{_(CARE_MOVED_OUT_DEVICES)}" if devices_lent else "",
        )

    stamp = patient.care_ended_at.strftime("%Y%m%d%H%M%S")
    return _to_patient(
        patient,
        today,
        MailKind.CARE_ENDED,
        f"care_ended:patient:{patient.id}:{stamp}",
        CARE_MOVED_OUT_SUBJECT,
        CARE_MOVED_OUT_BODY,
        fields,
    )


def _given_back(lines: Sequence[OrderLine], today: date) -> str | None:
    # Where each withdrawal went: on to the prescription in force that took
    # the line's over (a patient who moved clinic), if any.
    prescriptions = [
        withdrawals.holder(line.prescription, today)
        for line in lines
        if line.prescription
    ]
    if not prescriptions:
        return None
    if len(prescriptions) == len(lines) and all(
        rx.status_on(today) == PrescriptionStatus.ACTIVE for rx in prescriptions
    ):
        return ORDERABLE_AGAIN
    return GIVEN_BACK


# Prescriptions: queued by the daily job in sesamlike/portal/jobs.py.


def runout_reminder(
    prescription: Prescription, runout_on: date, today: date, channel: str = "email"
) -> list[OutgoingMail]:
    """Remind the patient or guardians to reorder before the supply runs out."""
    opens_on = prescription.next_withdrawal_on

    def fields() -> dict:
        return dict(
            article=prescription.article.name,
            runout_on=_day(runout_on),
            when=_(RUNOUT_ORDER_NOW)
            if opens_on is None or opens_on <= today
            else _(RUNOUT_ORDER_FROM, opens_on=_day(opens_on)),
            link=public_url(REORDER_PATH.format(prescription_id=prescription.id)),
            opt_out=_(OPT_OUT, preferences=public_url(PREFERENCES_PATH)),
        )

    return _to_patient(
        prescription.patient,
        today,
        MailKind.RUNOUT_REMINDER,
        f"runout_reminder:prescription:{prescription.id}:{runout_on.isoformat()}",
        RUNOUT_SUBJECT,
        RUNOUT_BODY,
        fields,
        channel,
    )


def time_lock_open(
    prescription: Prescription, today: date, channel: str = "email"
) -> list[OutgoingMail]:
    """Tell the patient or guardians that the next withdrawal may now be ordered."""
    opens_on = prescription.next_withdrawal_on
    if opens_on is None:
        return []

    def fields() -> dict:
        return dict(
            article=prescription.article.name,
            opens_on=_day(opens_on),
            remaining=prescription.remaining_withdrawals,
            link=public_url(REORDER_PATH.format(prescription_id=prescription.id)),
            opt_out=_(OPT_OUT, preferences=public_url(PREFERENCES_PATH)),
        )

    return _to_patient(
        prescription.patient,
        today,
        MailKind.TIME_LOCK_OPEN,
        f"time_lock_open:prescription:{prescription.id}:{opens_on.isoformat()}",
        TIME_LOCK_OPEN_SUBJECT,
        TIME_LOCK_OPEN_BODY,
        fields,
        channel,
    )


def resupply_reminder(
    prescription: Prescription,
    first_notice_on: date,
    number: int,
    last: int,
    today: date,
    channel: str = "email",
) -> list[OutgoingMail]:
    """Remind again, weekly, that the next withdrawal may be ordered."""

    def fields() -> dict:
        return dict(
            article=prescription.article.name,
            first_notice_on=_day(first_notice_on),
            number=number,
            last=last,
            link=public_url(REORDER_PATH.format(prescription_id=prescription.id)),
            preferences=public_url(PREFERENCES_PATH),
        )

    return _to_patient(
        prescription.patient,
        today,
        MailKind.RESUPPLY_REMINDER,
        f"resupply_reminder:prescription:{prescription.id}:"
        f"{prescription.withdrawals_used}:{number}",
        RESUPPLY_SUBJECT,
        RESUPPLY_SMS if channel == "sms" else RESUPPLY_BODY,
        fields,
        channel,
    )


def prescription_low(prescription: Prescription) -> OutgoingMail | None:
    """Tell the prescriber that a prescription has one withdrawal left."""
    return _to_prescriber(
        prescription,
        MailKind.PRESCRIPTION_LOW,
        PRESCRIPTION_LOW_SUBJECT,
        PRESCRIPTION_LOW_BODY,
    )


def prescription_expiring(prescription: Prescription) -> OutgoingMail | None:
    """Tell the prescriber that a prescription expires soon."""
    return _to_prescriber(
        prescription,
        MailKind.PRESCRIPTION_EXPIRING,
        PRESCRIPTION_EXPIRING_SUBJECT,
        PRESCRIPTION_EXPIRING_BODY,
    )


def _order_fields(order: Order, lines: Iterable[OrderLine]) -> dict:
    return _fields(order, [(line.article, line.packs) for line in lines])


def _listed(heading: str, lines: Sequence[OrderLine]) -> str:
    """A heading and its lines, as a paragraph of a notice; "" without lines."""
    if not lines:
        return ""
    return f"{_(heading)}\n{_lines_text(lines)}\n\n"


def _lines_text(lines: Iterable[OrderLine]) -> str:
    return _items_text((line.article, line.packs) for line in lines)


def _items_text(items: Iterable[tuple[Article, int]]) -> str:
    return "\n".join(f"- {_amount(article, packs)} {article.name}"
                     for article, packs in items)  # fmt: skip


def _amount(article: Article, packs: int) -> str:
    """A lent device is one piece ("1 st"), not a pack ("2 förp."), as the
    portal's order pages count them."""
    if article.is_device:
        return ngettext("{n} st", "{n} st", packs)
    return ngettext("{n} förp.", "{n} förp.", packs)


def _fields(order: Order, items: Iterable[tuple[Article, int]]) -> dict:
    return dict(
        order_no=order.id,
        lines=_items_text(items),
        link=public_url(PORTAL_ORDER_PATH.format(order_id=order.id)),
    )


def _line_ids(lines: Iterable[OrderLine]) -> str:
    """The lines a notice covers, short enough for a dedupe key."""
    ids = "-".join(str(line.id) for line in sorted(lines, key=lambda line: line.id))
    if len(ids) <= 60:
        return ids
    return "sha256-" + hashlib.sha256(ids.encode()).hexdigest()[:24]


def _written(
    recipient: Recipient, subject: str, body: str, fields: Fields
) -> tuple[str, str]:
    """The notice's subject and text, in the recipient's language."""
    with written_in(recipient.locale):
        values = fields()
        return _(subject, **values), _(
            body, greeting=recipient.greet(), signature=_(SIGNATURE), **values
        )


def _to_patient(
    patient: Patient,
    today: date | None,
    kind: MailKind,
    key: str,
    subject: str,
    body: str,
    fields: Fields,
    channel: str = "email",
) -> list[OutgoingMail]:
    queued = []
    for recipient in patient_recipients(patient, today or region_today(), channel):
        title, text = _written(recipient, subject, body, fields)
        key_of = f"{key}:{recipient.key}" + (":sms" if channel == "sms" else "")
        mail = _queue(recipient, title, text, kind, key_of, patient, channel)
        if mail is not None:
            queued.append(mail)
    return queued


def _to_prescriber(
    prescription: Prescription, kind: MailKind, subject: str, body: str
) -> OutgoingMail | None:
    recipient = prescriber_recipient(prescription)
    if recipient is None:
        return None

    def fields() -> dict:
        return dict(
            prescription_no=prescription.id,
            article=prescription.article.name,
            first_name=prescription.patient.first_name,
            valid_to=_day(prescription.valid_to),
            remaining=prescription.remaining_withdrawals,
            link=public_url(
                PRESCRIPTIONS_PATH.format(patient_id=prescription.patient_id)
            ),
        )

    title, text = _written(recipient, subject, body, fields)
    # Once per prescription and condition, whoever the prescriber is by then.
    key = f"{kind.value}:prescription:{prescription.id}"
    return _queue(recipient, title, text, kind, key, prescription.patient)


def _queue(
    recipient, subject, body, kind, key, patient, channel="email"
) -> OutgoingMail | None:
    mail = queue_mail(
        recipient.address, subject, body, kind, key, patient.id, channel=channel
    )
    if mail is not None:
        # A mail discloses patient data to its recipient: log it like a read.
        audit.record(
            "mail_queued",
            "outgoing_mail",
            patient_id=patient.id,
            object_id=mail.id,
            detail=f"{kind.value} to {recipient.key}",
        )
    return mail
