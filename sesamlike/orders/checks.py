"""What refuses an order, every fault at once: each line's, then the delivery mode's.

One statement of the rules for every way in: `place_order` (the prescriber's
page and the API), the portal's reorder form and its summary step, and a form
shown again with faults of its own. Each refusal names its line (`for_line`)
or carries `fields` naming the delivery mode, so a page shows it where it
belongs; the API answers the first with every refusal's fields (`refused`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import NamedTuple

from sesamlike.accounts.models import Role, User
from sesamlike.catalog.models import Channel
from sesamlike.common.errors import DomainError
from sesamlike.common.i18n import N_
from sesamlike.common.time import region_today
from sesamlike.orders import delivery, errors
from sesamlike.orders import rules as order_rules
from sesamlike.orders.models import DeliveryMode
from sesamlike.patients.models import Patient
from sesamlike.prescriptions.entitlement import withdrawal_refusal
from sesamlike.prescriptions.models import Prescription

# Patients and guardians reorder consumables themselves (the portal and the API).
SELF_SERVICE_ROLES = frozenset({Role.PATIENT, Role.GUARDIAN})


class CheckedOrder(NamedTuple):
    mode: str | None  # the delivery mode the order goes by; None when refused
    refusals: list[DomainError]  # every fault, lines first in their order


def device_refusal(user: User, prescription: Prescription) -> DomainError | None:
    """Patients and guardians may not order devices (pumps, CGM readers)."""
    if user.role in SELF_SERVICE_ROLES and prescription.article.is_device:
        return errors.DeviceNeedsPrescriber(article=prescription.article.name)
    return None


def line_refusal(
    user: User, prescription: Prescription, packs: int, today: date
) -> DomainError | None:
    """Why this user may not withdraw `packs` on the prescription today."""
    return device_refusal(user, prescription) or withdrawal_refusal(
        prescription, packs, today
    )


# `check_order`'s phone when a form judges its contact fields itself.
UNJUDGED = object()


def check_order(
    user: User,
    patient: Patient,
    lines: Sequence[tuple[Prescription | None, int | None]],
    requested_mode: str | None,
    today: date,
    *,
    phone: str | None | object = UNJUDGED,
) -> CheckedOrder:
    """Every refusal of an order: none chosen, each line's (device, entitlement,
    time lock, packs; a line without a prescription or a number of packs is
    the caller's to tell), then the delivery mode's, judged on every line
    chosen. `requested_mode` None: the usual mode, refused only when no mode
    suits the lines. `phone`: the number a pickup point's text message goes
    to (the order's, else the patient's), judged when an order is placed; left
    out (UNJUDGED), a form judges its own contact fields first."""
    refusals: list[DomainError] = []
    if not lines:
        refusals.append(
            errors.NoOrderLines(fields={"lines": [N_("Välj minst en rad.")]})
        )
    for index, (prescription, packs) in enumerate(lines):
        if prescription is None or packs is None:
            continue
        refusal = line_refusal(user, prescription, packs, today)
        if refusal is not None:
            refusals.append(order_rules.for_line(refusal, index))
    articles = [p.article for p, _packs in lines if p is not None]
    first_devices = delivery.first_devices(patient.id, articles)
    mode = None
    try:
        mode = order_rules.choose_delivery_mode(
            requested_mode,
            [a.channel for a in articles],
            patient.protected_identity,
            bool(first_devices),
        )
    except errors.DeliveryModeNotAllowed as error:
        refusals.append(
            order_rules.mode_refusal(error, requested_mode, articles, first_devices)
        )
    except DomainError as error:  # no mode suits them all; protected identity
        refusals.append(error)
    if first_devices and mode is not None and mode != DeliveryMode.CLINIC:
        refusals.append(
            order_rules.first_device_refusal(
                first_devices[0], any(a.channel == Channel.PHARMACY for a in articles)
            )
        )
        mode = None
    if phone is not UNJUDGED and mode is not None:
        if (refusal := order_rules.pickup_refusal(mode, phone)) is not None:
            refusals.append(refusal)
    return CheckedOrder(mode, refusals)


def order_refusals(
    user: User,
    options,
    lines: Sequence[tuple[int, int | None]],
    requested_mode: str | None,
    today: date | None = None,
) -> list[DomainError]:
    """`check_order`'s refusals of a form's lines, (prescription id, packs),
    among the prescriptions the form offered (`options.choices`); a line not
    among them is the caller's to tell. For a form shown again with faults of
    its own, and for the portal's reorder form."""
    offered = {
        choice.prescription.id: choice.prescription for choice in options.choices
    }
    chosen = [(offered.get(pid), packs) for pid, packs in lines]
    return check_order(
        user,
        options.patient,
        chosen,
        requested_mode,
        today or region_today(),
    ).refusals


def refused(refusals: Sequence[DomainError]) -> DomainError:
    """The refusal to raise for an order with these: the first's kind, code
    and message (as when it is the only one), with every refusal's `fields`,
    and each of them in `refusals` (`each_refusal`) for a page to show."""
    first = refusals[0]
    fields: dict[str, list[str]] = {}
    for refusal in refusals:
        for name, messages in refusal.fields.items():
            fields.setdefault(name, []).extend(messages)
    whole = type(first)(first.message, fields=fields, **first.params)
    whole.refusals = list(refusals)
    return whole


def each_refusal(error: DomainError) -> list[DomainError]:
    """The refusals an order was refused for (`refused`), or just this one."""
    return list(getattr(error, "refusals", None) or [error])
