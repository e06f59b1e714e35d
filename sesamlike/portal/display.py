"""Words the portal shows patients: statuses, refusals and rules in plain language."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import NamedTuple

from flask import current_app, render_template, url_for
from markupsafe import Markup

from sesamlike.accounts.models import Role
from sesamlike.catalog.labels import category_label
from sesamlike.common.errors import DomainError
from sesamlike.common.formatting import format_alternatives, format_date
from sesamlike.common.i18n import N_, _, ngettext
from sesamlike.common.time import region_today
from sesamlike.orders import errors as order_errors
from sesamlike.orders import services as ordering
from sesamlike.orders import status as order_status
from sesamlike.orders.models import DeliveryMode, LineStatus
from sesamlike.orders.shipto import goes_via_pharmacy
from sesamlike.orders.views import refusal_text
from sesamlike.portal.forms import (
    ADDRESS_MODES,
    GUARDIAN_MODE_LABELS,
    PORTAL_MODE_LABELS,
)
from sesamlike.prescriptions import errors as prescription_errors


def plain_refusal(
    error: DomainError,
    child: str | None = None,
    offered: Mapping[str, str] | None = None,
) -> str:
    """Why an aid cannot be ordered now, in words a patient uses; to a guardian
    (`child`: the child's first name), about the child and the child's clinic.
    `offered`: the delivery modes the form offers, by their labels on it."""
    params = error.params
    if isinstance(error, order_errors.DeliveryModeNotAllowed) and offered:
        allowed = params["allowed"].split(", ")
        # Only what this form lets the user choose (not the clinic, which a
        # prescriber or staff chooses), named as its radio buttons name it.
        labels = [
            _("”{mode}”", mode=label)
            for mode, label in offered.items()
            if mode in allowed
        ]
        if labels and isinstance(error, order_errors.LinesNotThatWay):
            # Not "order it on its own": on its own, the same way, it is
            # refused the same (the portal walkthrough).
            return ngettext(
                "{articles} kan inte levereras på det sättet. Välj {modes}, "
                "eller bocka ur den och beställ den för sig efteråt.",
                "{articles} kan inte levereras på det sättet. Välj {modes}, "
                "eller bocka ur dem och beställ dem för sig efteråt.",
                params["count"],
                articles=params["articles"],
                modes=format_alternatives(labels),
            )
        if labels:
            return _(
                "Leveranssättet passar inte artiklarna i beställningen. "
                "Välj {modes} i stället.",
                modes=format_alternatives(labels),
            )
    if isinstance(error, prescription_errors.NotStartedYet):
        if params.get("renewal"):
            return _(
                "Den nya förskrivningen börjar gälla {day}. Då kan du beställa.",
                day=format_date(params["opens_on"]),
            )
        return _(
            "Förskrivningen börjar gälla {day}. Då kan du beställa.",
            day=format_date(params["opens_on"]),
        )
    if isinstance(error, prescription_errors.LockOutlastsPrescription):
        if child:
            return _(
                "Förskrivningen gäller till och med {day}, och nästa beställning "
                "hade kunnat göras först efter det. Kontakta barnets mottagning "
                "om {name} behöver en ny förskrivning.",
                day=format_date(params["valid_to"]),
                name=child,
            )
        return _(
            "Förskrivningen gäller till och med {day}, och nästa beställning "
            "hade kunnat göras först efter det. Kontakta mottagningen om du "
            "behöver en ny förskrivning.",
            day=format_date(params["valid_to"]),
        )
    if isinstance(error, prescription_errors.TimeLocked):
        return _(
            "Nästa beställning kan göras från {day}.",
            day=format_date(params["opens_on"]),
        )
    if isinstance(error, prescription_errors.PrescriptionUsedUp):
        if child:
            return _(
                "Alla beställningar som förskrivningen räcker till är gjorda. "
                "Kontakta barnets mottagning om {name} behöver en ny förskrivning.",
                name=child,
            )
        return _(
            "Du har gjort alla beställningar som förskrivningen räcker till. "
            "Kontakta mottagningen om du behöver en ny förskrivning."
        )
    if isinstance(error, prescription_errors.PrescriptionExpired):
        if child:
            return _(
                "Förskrivningen gick ut {day}. Kontakta barnets mottagning om "
                "{name} behöver en ny.",
                day=format_date(params["valid_to"]),
                name=child,
            )
        return _(
            "Förskrivningen gick ut {day}. Kontakta mottagningen om du behöver en ny.",
            day=format_date(params["valid_to"]),
        )
    if isinstance(error, prescription_errors.TooManyPacks):
        return ngettext(
            "Du kan beställa högst {n} förpackning åt gången.",
            "Du kan beställa högst {n} förpackningar åt gången.",
            params["max_packs"],
        )
    if child and isinstance(error, order_errors.EReceptAtPharmacy):
        return ngettext(
            "E-receptet för {articles} finns redan hos apoteket, så beställningen "
            "kan inte makuleras här. Ska det inte hämtas ut, kontakta barnets "
            "mottagning, som kan makulera det.",
            "E-recepten för {articles} finns redan hos apoteket, så beställningen "
            "kan inte makuleras här. Ska de inte hämtas ut, kontakta barnets "
            "mottagning, som kan makulera dem.",
            params["count"],
            articles=params["articles"],
        )
    if child and isinstance(error, ordering.DeviceNeedsPrescriber):
        return _(
            "{article} är ett hjälpmedel som lånas ut och beställs av barnets "
            "förskrivare. Kontakta barnets mottagning om {name} behöver en ny.",
            article=params["article"],
            name=child,
        )
    return refusal_text(error)


class Problem(NamedTuple):
    """Something to put right on the reorder form, for the list that opens it."""

    anchor: str  # the id of the field, or of its error, to jump to
    label: str  # the article or the field, shown
    messages: list[str]  # msgids, shown through _()


def form_problems(form, options) -> list[Problem]:
    """Everything the reorder form says is wrong, in page order: on a phone
    the fields with errors may be screens further down, and the page opens
    at its top ('Granska' seemed to do nothing)."""
    found = []
    lines = [e for e in form.lines.errors if not isinstance(e, Mapping)]
    if lines:
        found.append(Problem("lines-error", _("Vad vill du beställa?"), lines))
    rows = {row.prescription_id.data: row for row in form.lines}
    for choice in options.choices:
        row = rows.get(str(choice.prescription.id))
        if row is None or choice.refusal is not None:
            continue
        for part in (row.selected, row.packs):
            if part.errors:
                found.append(Problem(part.id, choice.prescription.article.name,
                                     list(part.errors)))  # fmt: skip
    if form.delivery_mode.errors:
        found.append(
            Problem("mode-error", _("Leveranssätt"), list(form.delivery_mode.errors))
        )
    for part in (form.street, form.postal_code, form.city, form.door_code, form.phone):
        if part.errors:
            found.append(Problem(part.id, _(part.label.text), list(part.errors)))
    return found


def refused_lines(form, options, child: str | None = None) -> list[Problem]:
    """Lines the posted form asks for that cannot be ordered now: the form
    went stale (ordered meanwhile, perhaps in another window). The form draws
    them disabled, with no field to mark, so they are said at its top, by name.
    `child`: as in `plain_refusal`."""
    rows = {row.prescription_id.data: row for row in form.lines}
    found = []
    for choice in options.choices:
        rx = choice.prescription
        row = rows.get(str(rx.id))
        if row is not None and row.selected.data and choice.refusal is not None:
            found.append(
                Problem(
                    f"rx-{rx.id}",
                    rx.article.name,
                    [plain_refusal(choice.refusal, child)],
                )
            )
    return found


def orderable_rows(form, options) -> dict:
    """The posted form's rows that can be ordered now, by prescription id (as
    the form's data has it); a refused one is drawn without its fields."""
    orderable = {str(c.prescription.id) for c in options.choices if c.refusal is None}
    return {
        row.prescription_id.data: row
        for row in form.lines
        if row.prescription_id.data in orderable
    }


def child_name(user, patient) -> str | None:
    """The first name of the child a guardian acts for; None for the patient."""
    return patient.first_name if user.role == Role.GUARDIAN else None


def mode_label(mode: str, child: str | None = None) -> str:
    """A delivery mode in plain words: the patient's own ("hem till mig"), or a
    guardian's about the child (`child`: the child's first name)."""
    if child and mode in GUARDIAN_MODE_LABELS:
        return _(GUARDIAN_MODE_LABELS[mode], name=child)
    return _(PORTAL_MODE_LABELS.get(mode, mode))


def rule_text(prescription, today: date) -> str:
    """The entitlement and time lock of a prescription in one sentence."""
    packs = ngettext(
        "Du kan beställa {n} förpackning åt gången.",
        "Du kan beställa {n} förpackningar åt gången.",
        prescription.packs_per_withdrawal,
    )
    days = ngettext(
        "Det ska gå minst {n} dag mellan två beställningar.",
        "Det ska gå minst {n} dagar mellan två beställningar.",
        prescription.lock_days,
    )
    if prescription.valid_from > today:  # a renewal waiting, say
        valid_to = _(
            "Förskrivningen gäller från {valid_from} till och med {valid_to}.",
            valid_from=format_date(prescription.valid_from),
            valid_to=format_date(prescription.valid_to),
        )
    else:
        valid_to = _(
            "Förskrivningen gäller till och med {valid_to}.",
            valid_to=format_date(prescription.valid_to),
        )
    return f"{packs} {days} {valid_to}"


def runout_warning(runout_on: date | None, today: date, window_days: int):
    """How urgent a supply's run-out is: ("out" | "soon", text), or None."""
    if runout_on is None:
        return None
    days = (runout_on - today).days
    if days < 0:
        if days == -1:
            return "out", _("Tog slut i går.")
        return "out", ngettext(
            "Tog slut för {n} dag sedan.", "Tog slut för {n} dagar sedan.", -days
        )
    if days == 0:
        return "out", _("Tar slut i dag.")
    if days <= window_days:
        if days == 1:
            return "soon", _("Tar slut i morgon.")
        return "soon", ngettext("Tar slut om {n} dag.", "Tar slut om {n} dagar.", days)
    return None


def gap_advice(row, child: str | None = None) -> str:
    """What to do when the supplies run out before the next order can be made
    (the time lock, or a renewal that starts later): ask the clinic, who can
    help in between. Empty when they last, or nothing goes by."""
    refusal = row.refusal
    if row.runout_on is None or row.ordered or refusal is None:
        return ""
    if not isinstance(refusal, prescription_errors.TimeLocked) or isinstance(
        refusal,
        prescription_errors.LockOutlastsPrescription,  # says to call
    ):
        return ""
    if row.runout_on >= refusal.params["opens_on"]:
        return ""
    if child:
        return _(
            "Kontakta barnets mottagning om {name} behöver hjälpmedel innan dess.",
            name=child,
        )
    return _("Kontakta mottagningen om du behöver hjälpmedel innan dess.")


def running_out(aids, today: date | None = None) -> list:
    """The consumables that have run out or will within the reminder window,
    and have no order that is not delivered yet."""
    window = current_app.config["RUNOUT_REMINDER_DAYS"]
    today = today or region_today()
    return [
        row
        for row in aids.aids
        if not row.prescription.article.is_device
        and not row.ordered  # more is on its way
        and runout_warning(row.runout_on, today, window)
    ]


# The staff's sentences about "the patient", as the patient or guardian reads them.
PORTAL_SENTENCES = {
    order_status.COLLECTED: N_("Varan är hämtad på mottagningen."),
    order_status.AT_CLINIC[LineStatus.DELIVERED]: N_(
        "Varan har kommit till mottagningen och kan hämtas där."
    ),
}


def portal_words(state: order_status.StatusText) -> order_status.StatusText:
    """A status in the portal's words: the same label, no "patienten"."""
    sentence = PORTAL_SENTENCES.get(state.sentence)
    return state if sentence is None else replace(state, sentence=sentence)


# Lines on their way: the channel's lead time gives the day they should be
# there by, the day the clinic's work list counts them late from. Not pharmacy
# lines (sent_to_pharmacy: collected when the patient goes to a pharmacy), nor
# backordered ones (waiting for goods: no day can be promised).
ON_THE_WAY = (LineStatus.RESERVED, LineStatus.SENT_TO_SUPPLIER, LineStatus.SHIPPED)


def arrival(line, order, today: date, child: str | None = None) -> str | None:
    """When the line should be there (home, pickup point or clinic), or that
    it is late and whom to ask; None where no day can be said."""
    if line.status not in ON_THE_WAY:
        return None
    due = order_status.due_on(order.placed_at, line.channel)
    day = format_date(due)
    if due >= today:
        if order.delivery_mode == DeliveryMode.CLINIC:
            return _("Väntas till mottagningen senast {day}.", day=day)
        return _("Väntas fram senast {day}.", day=day)
    if child:
        return _(
            "Skulle ha kommit fram senast {day}. Hör av dig till barnets "
            "mottagning om den inte har kommit.",
            day=day,
        )
    return _(
        "Skulle ha kommit fram senast {day}. Hör av dig till din mottagning om "
        "den inte har kommit.",
        day=day,
    )


class OrderRow(NamedTuple):
    """An order in the portal's lists, its words ready to print."""

    url: str
    title: str
    placed: str
    badge: str
    label: str
    sentence: str
    lines: list[str]  # "2 förp. Article"
    mode: str
    tracking: str | None


def amount(packs: int, is_device: bool) -> str:
    """How many of an article a line holds: a lent device is one piece ("1 st"),
    a consumable comes in packs ("3 förp.")."""
    if is_device:
        return ngettext("{n} st", "{n} st", packs)
    return ngettext("{n} förp.", "{n} förp.", packs)


def order_rows(
    orders, today: date | None = None, child: str | None = None
) -> list[OrderRow]:
    """The order list's rows, worked out here: a template spends several times
    the CPU on each call it makes, and "my aids" shows ten orders. `child`: as
    in `mode_label`."""
    # Every order's page is the list's address and its number (one url_for).
    prefix = url_for("portal.orders")
    today = today or region_today()  # orders: portal.services.ListedOrder
    rows = []
    for order in orders:
        state = portal_words(order_status.order_status(order, today))
        rows.append(
            OrderRow(
                f"{prefix}/{order.id}",
                _("Beställning {id}", id=order.id),
                _("Beställd {day}", day=format_date(order.placed_at)),
                state.badge,
                _(state.label),
                _(state.sentence),
                _listed_lines(order, today),
                _listed_mode(order, child),
                order.tracking_ref,
            )
        )
    return rows


def _listed_lines(order, today: date) -> list[str]:
    """ "2 förp. Article" a line; of an order whose lines stand differently
    (one shipped, one backordered or cancelled), each with its own status:
    the order's, its least advanced line's, hid the parcel on its way."""
    lines = [f"{amount(line.packs, line.is_device)} {line.article_name}"
             f"{_came_back(line)}" for line in order.lines]  # fmt: skip
    if len({line.status for line in order.lines}) < 2:
        return lines
    return [
        f"{text} · {_(portal_words(order_status.line_status(line, today)).label)}"
        for text, line in zip(lines, order.lines, strict=True)
    ]


def _came_back(line) -> str:
    """ " · 2 förp. tillbaka": packs of a line that came back to the aids
    centre, as the order's page says (a line all returned says so by status)."""
    if not line.packs_returned or line.status == LineStatus.RETURNED:
        return ""
    return " · " + ngettext("{n} förp. tillbaka", "{n} förp. tillbaka",
                            line.packs_returned)  # fmt: skip


def _listed_mode(order, child: str | None) -> str:
    """The order's delivery as its own page says it: the pharmacy lines of an
    order home by post are collected at the pharmacy."""
    mode = mode_label(order.delivery_mode, child)
    if any(goes_via_pharmacy(line, order.delivery_mode) for line in order.lines):
        return f"{mode}; {_('apoteksvarorna via apoteket')}"
    return mode


def render(template: str, status: int = 200, **context):
    return render_template(f"portal/{template}", **_helpers(), **context), status


def render_part(template: str, today: date | None = None, **context) -> Markup:
    """A part of a page (HTML to put in one), with the same helpers as a page;
    `today`: the day it is built for (by default the region's today)."""
    return Markup(render_template(f"portal/{template}", **_helpers(today), **context))


def _helpers(today: date | None = None) -> dict:
    today = today or region_today()
    window = current_app.config["RUNOUT_REMINDER_DAYS"]
    return dict(
        order_status=lambda order, handed=None: portal_words(
            order_status.order_status(order, today, handed)
        ),
        line_status=lambda line, handover=None: portal_words(
            order_status.line_status(line, today, handover)
        ),
        mode_label=mode_label,
        child_name=child_name,
        arrival=lambda line, order, child=None: arrival(line, order, today, child),
        plain_refusal=plain_refusal,
        gap_advice=gap_advice,
        amount=amount,
        rule_text=lambda prescription: rule_text(prescription, today),
        category_label=category_label,
        address_modes=ADDRESS_MODES,
        device_refused=lambda error: isinstance(error, ordering.DeviceNeedsPrescriber),
        today=today,
        runout_warning=lambda day: runout_warning(day, today, window),
    )
