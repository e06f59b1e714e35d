"""One status model for order lines: a label and one sentence per status and channel.

Prescribers, patients and depot staff read the same words, so a status never
says one thing on one page and the opposite on another. "Skickad" is kept for a
parcel that has left (it has a tracking number, or the supplier reports it):
an order that has only reached the supplier or the pharmacy is "beställd hos"
or "hos", never "skickad".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from sesamlike.catalog.models import Channel
from sesamlike.common.i18n import N_
from sesamlike.common.time import region_day_of, region_today
from sesamlike.common.workdays import add_working_days
from sesamlike.orders.models import (
    OPEN_LINE_STATUSES,
    DeliveryMode,
    LineStatus,
    Order,
    OrderLine,
)

# Working days (Monday to Friday but public holidays and the eves nobody delivers
# on: common.workdays) from order to delivery before a line is late.
# Central store: the regions' 4-5 working days to the home address; supplier and
# pharmacy: what the regions' routines give a supplier order or an e-prescription.
LEAD_TIME_WORKING_DAYS = {
    Channel.CENTRAL: 5,
    Channel.SUPPLIER: 10,
    Channel.PHARMACY: 10,
}

# Status -> (label, badge class). Labels are short; the sentence says what happens.
LABELS: dict[str, tuple[str, str]] = {
    LineStatus.RESERVED: (N_("Beställd, packas"), "badge-ok"),
    LineStatus.BACKORDERED: (N_("Restnoterad, väntar på varor"), "badge-warn"),
    LineStatus.SENT_TO_SUPPLIER: (N_("Beställd hos leverantören"), "badge-ok"),
    LineStatus.SENT_TO_PHARMACY: (N_("Hos apoteket"), "badge-ok"),
    LineStatus.SHIPPED: (N_("Skickad"), "badge-ok"),
    LineStatus.DELIVERED: (N_("Levererad"), "badge-ok"),
    LineStatus.CANCELLED: (N_("Makulerad"), "badge-err"),
    LineStatus.RETURNED: (N_("Returnerad"), "badge-muted"),
}

# (status, channel) -> sentence; None as channel: any channel.
SENTENCES: dict[tuple[str, str | None], str] = {
    (LineStatus.RESERVED, None): (
        N_(
            "Varorna är reserverade i hjälpmedelscentralens lager och packas för "
            "leverans."
        )
    ),
    (LineStatus.BACKORDERED, None): (
        N_(
            "Varan finns inte i lager just nu. Hjälpmedelscentralen skickar den när "
            "den har kommit in."
        )
    ),
    # True before the day's supplier file (16:00) or the e-recept (within five
    # minutes) has gone, and after: the line does not know which.
    (LineStatus.SENT_TO_SUPPLIER, None): (
        N_(
            "Beställningen går till leverantören i hjälpmedelscentralens "
            "beställningsfil, som skickas kl. 16 varje dag. Leverantören levererar "
            "direkt."
        )
    ),
    (LineStatus.SENT_TO_PHARMACY, None): (
        N_(
            "Förskrivningen går till apoteket som e-recept. Varan hämtas ut på apotek "
            "eller skickas av apoteket."
        )
    ),
    (LineStatus.SHIPPED, Channel.SUPPLIER): (
        N_("Leverantören har skickat varan och den är på väg.")
    ),
    (LineStatus.SHIPPED, None): (
        N_("Paketet har lämnat hjälpmedelscentralen och är på väg.")
    ),
    (LineStatus.DELIVERED, Channel.PHARMACY): N_("Apoteket har lämnat ut varan."),
    (LineStatus.DELIVERED, None): N_("Varan är levererad."),
    (LineStatus.CANCELLED, None): N_("Raden är makulerad och levereras inte."),
    (LineStatus.RETURNED, None): (
        N_("Varan har kommit tillbaka till hjälpmedelscentralen.")
    ),
}
# (status, what the supplier files and e-recept say: `HandOver`) -> sentence,
# where they were looked up (an order's page).
HANDOVER_SENTENCES: dict[tuple[str, str], str] = {
    (LineStatus.SENT_TO_SUPPLIER, "handed over"): (
        N_("Leverantören har fått beställningen och levererar direkt.")
    ),
    (LineStatus.SENT_TO_SUPPLIER, "confirmed"): (
        N_("Leverantören har bekräftat beställningen och levererar direkt.")
    ),
    (LineStatus.SENT_TO_SUPPLIER, "waiting"): (
        N_(
            "Beställningen går till leverantören med hjälpmedelscentralens nästa "
            "beställningsfil, som skickas kl. 16 varje dag. Leverantören levererar "
            "direkt."
        )
    ),
    (LineStatus.SENT_TO_PHARMACY, "handed over"): (
        N_(
            "E-receptet finns hos apoteket. Varan hämtas ut på apotek eller skickas "
            "av apoteket."
        )
    ),
    (LineStatus.SENT_TO_PHARMACY, "waiting"): (
        N_(
            "Förskrivningen skickas till apoteket som e-recept inom några minuter. "
            "Varan hämtas ut på apotek eller skickas av apoteket."
        )
    ),
}
# Delivered to the clinic: where the patient collects it.
AT_CLINIC = {
    LineStatus.SHIPPED: N_("Varan är på väg till mottagningen."),
    LineStatus.DELIVERED: N_(
        "Varan har kommit till mottagningen och väntar på patienten."
    ),
}
COLLECTED = N_("Patienten har hämtat varan på mottagningen.")
# A delivery to the clinic this many days old is taken as collected, though no
# one marked it: the work list no longer shows it, and no page says it waits.
# (A lent device is no sign: the loan starts when the depot sends it.)
COLLECTED_AFTER_DAYS = 90
UNKNOWN = (N_("Okänd status"), "badge-muted")
CANCEL_RULE = N_(
    "Beställningen kan makuleras tills något i den har skickats eller lämnats ut."
)


@dataclass(frozen=True)
class StatusText:
    """What every page says about a status: label, badge class and sentence."""

    status: str
    label: str
    badge: str
    sentence: str


@dataclass(frozen=True)
class HandOver:
    """Whether a line for the supplier or the pharmacy has gone to them, as
    the supplier files and e-recept say: `on`, the day it went (its file's day,
    its e-recept's); None: not yet. `confirmed`: the supplier's status file
    has confirmed the line."""

    on: date | None = None
    confirmed: bool = False


HANDED_OVER_STATUSES = (LineStatus.SENT_TO_SUPPLIER, LineStatus.SENT_TO_PHARMACY)
# How the order pages find the hand-overs of their lines: given by the channels
# area, which keeps the supplier files and e-recept, when the app starts.
_find_handovers: Callable[[list[int]], dict[int, HandOver]] | None = None


def register_handovers(find: Callable[[list[int]], dict[int, HandOver]]) -> None:
    """`find(line ids)` -> {line id: its hand-over}, for those that have gone."""
    global _find_handovers
    _find_handovers = find


def handovers(lines) -> dict[int, HandOver]:
    """The hand-over of each line waiting at the supplier or the pharmacy (one
    query for all of them); lines of other statuses have none."""
    waiting = [line.id for line in lines if line.status in HANDED_OVER_STATUSES]
    if not waiting or _find_handovers is None:
        return {}
    gone = _find_handovers(waiting)
    return {line_id: gone.get(line_id, HandOver()) for line_id in waiting}


def describe(
    status: str,
    channel: str | None = None,
    delivery_mode: str | None = None,
    collected: bool = False,
    handover: HandOver | None = None,
) -> StatusText:
    """The label and the one sentence for a line in this status and channel;
    `handover`, where known, says whether the supplier or pharmacy has it."""
    label, badge = LABELS.get(status, UNKNOWN)
    if delivery_mode == DeliveryMode.CLINIC and status in AT_CLINIC:
        sentence = COLLECTED if collected else AT_CLINIC[status]
    elif handover is not None and status in HANDED_OVER_STATUSES:
        sentence = HANDOVER_SENTENCES[(status, _handover_key(handover))]
    else:
        sentence = SENTENCES.get((status, channel)) or SENTENCES.get((status, None), "")
    return StatusText(status, label, badge, sentence)


def _handover_key(handover: HandOver) -> str:
    if handover.confirmed:
        return "confirmed"
    return "handed over" if handover.on else "waiting"


def collected(
    collected_on: date | None, delivered_on: date | None, today: date
) -> bool:
    """Has the patient collected a clinic delivery? Marked so, or delivered
    more than COLLECTED_AFTER_DAYS ago (the rule of `collected_clause` too)."""
    if collected_on is not None:
        return True
    return delivered_on is not None and delivered_on < today - timedelta(
        COLLECTED_AFTER_DAYS
    )


def collected_clause(today: date):
    """`collected` as SQL, on an order and one of its lines: true or false,
    never NULL, so that its negation keeps lines not delivered yet."""
    return sa.or_(
        Order.collected_on.is_not(None),
        sa.and_(
            OrderLine.delivered_on.is_not(None),
            OrderLine.delivered_on < today - timedelta(COLLECTED_AFTER_DAYS),
        ),
    )


def line_status(line, today: date | None = None,
                handover: HandOver | None = None) -> StatusText:  # fmt: skip
    """The status text of an order line (its order gives the delivery mode)."""
    order = line.order
    return describe(
        line.status,
        line.channel,
        order.delivery_mode,
        collected=collected(
            order.collected_on,
            getattr(line, "delivered_on", None),
            today or region_today(),
        ),
        handover=handover,
    )


# An order of which something has left or arrived while other lines wait.
GONE_OUT = frozenset({LineStatus.SHIPPED, LineStatus.DELIVERED})
PARTLY = (
    N_("Delvis skickad"),
    N_("En del av beställningen är skickad. Resten skickas när det är klart; "
       "raderna säger hur det står till med var och en."),
)  # fmt: skip
# What is left of it is e-recept at the pharmacy: collected there, not sent.
PARTLY_AT_PHARMACY = N_(
    "En del av beställningen är skickad. Resten finns hos apoteket som "
    "e-recept och hämtas ut på apotek; raderna säger hur det står till med var "
    "och en."
)
# Some of what is left comes from the aids centre or a supplier, some is an
# e-recept at the pharmacy.
PARTLY_SOME_AT_PHARMACY = N_(
    "En del av beställningen är skickad. Apoteksvarorna finns hos apoteket som "
    "e-recept och hämtas ut på apotek; resten skickas när det är klart. Raderna "
    "säger hur det står till med var och en."
)

# The order as a whole, where a line's sentence speaks of "the line".
ORDER_SENTENCES = {
    LineStatus.CANCELLED: N_("Beställningen är makulerad och levereras inte."),
}


def order_status(order, today: date | None = None,
                 handed: dict[int, HandOver] | None = None) -> StatusText:  # fmt: skip
    """The order's status (its least advanced line) with that line's sentence;
    `handed`: the lines' hand-overs (`handovers`), where looked up."""
    status = order.status
    line = next((line for line in order.lines if line.status == status), None)
    if line is None:
        state = describe(status)
    else:
        state = line_status(line, today, handed.get(line.id) if handed else None)
    if status in ORDER_SENTENCES:
        return StatusText(
            state.status, state.label, state.badge, ORDER_SENTENCES[status]
        )
    if status in OPEN_LINE_STATUSES and any(
        other.status in GONE_OUT for other in order.lines
    ):
        # Part of it is on its way or there: the least advanced line's words
        # alone ("Restnoterad") hid the parcel.
        return StatusText(status, PARTLY[0], state.badge, _partly(order.lines))
    return state


def _partly(lines) -> str:
    """What an order gone out in part says of the rest: an e-recept at the
    pharmacy is collected there, not sent when ready (the portal walkthrough)."""
    waiting = {line.status for line in lines if line.status in OPEN_LINE_STATUSES}
    if LineStatus.SENT_TO_PHARMACY not in waiting:
        return PARTLY[1]
    if waiting == {LineStatus.SENT_TO_PHARMACY}:
        return PARTLY_AT_PHARMACY
    return PARTLY_SOME_AT_PHARMACY


def due_on(placed_at: datetime | date, channel: str) -> date:
    """When a line of this channel ordered then should be delivered at the latest."""
    placed = region_day_of(placed_at) if isinstance(placed_at, datetime) else placed_at
    return add_working_days(placed, LEAD_TIME_WORKING_DAYS.get(channel, 5))
