"""What refuses an order, every fault at once: each line's, then the delivery mode's.

One statement of the rules for every way in: `place_order` (the prescriber's
page and the API), the portal's reorder form and its summary step, and a form
shown again with faults of its own. Each refusal names its line (`for_line`)
or carries `fields` naming the delivery mode, so a page shows it where it
belongs; the API answers the first with every refusal's fields (`refused`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date
from typing import NamedTuple

from sesamlike.accounts.models import Role, User
from sesamlike.catalog.models import Channel
from sesamlike.common.errors import DomainError, Invalid
from sesamlike.common.i18n import N_
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.orders import delivery, errors
from sesamlike.orders import rules as order_rules
from sesamlike.orders.models import DeliveryMode
from sesamlike.orders.withdrawals import find_prescriptions
from sesamlike.patients import access, care_end
from sesamlike.patients.models import Patient
from sesamlike.prescriptions.entitlement import withdrawal_refusal
from sesamlike.prescriptions.errors import PrescriptionNotActive
from sesamlike.prescriptions.models import Prescription

# Patients and guardians reorder consumables themselves (the portal and the API).
SELF_SERVICE_ROLES = frozenset({Role.PATIENT, Role.GUARDIAN})
# Roles that may place and cancel orders.
ORDERING_ROLES = frozenset({Role.PRESCRIBER}) | SELF_SERVICE_ROLES


class CheckedOrder(NamedTuple):
    mode: str | None  # the delivery mode the order goes by; None when refused
    refusals: list[DomainError]  # every fault, lines first in their order


def device_refusal(user: User, prescription: Prescription) -> DomainError | None:
    """Patients and guardians may not order devices (pumps, CGM readers)."""
    if user.role in SELF_SERVICE_ROLES and prescription.article.is_device:
        return errors.DeviceNeedsPrescriber(article=prescription.article.name)
    return None


def line_refusal(
    user: User,
    prescription: Prescription,
    packs: int,
    today: date,
    *,
    placing: bool = False,
) -> DomainError | None:
    """Why this user may not withdraw `packs` on the prescription today: one
    no longer (or not yet) in force says so first, device or not (a pump's
    ended prescription is not "ordered by your prescriber" any more). An
    order being placed (`placing`) is refused first for what the role may not
    do: the API's answer to a patient's device stays 403, whatever the state
    of its prescription."""
    device = device_refusal(user, prescription)
    if placing and device is not None:
        return device
    refusal = withdrawal_refusal(prescription, packs, today)
    if isinstance(refusal, PrescriptionNotActive):
        return refusal
    return device or refusal


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
    # No order at all for a patient whose care in the region ended: said
    # alone, not beside each line's own refusal.
    if (ended := care_end.care_ended_refusal(user, patient)) is not None:
        return CheckedOrder(None, [ended])
    refusals: list[DomainError] = []
    if not lines:
        refusals.append(
            errors.NoOrderLines(fields={"lines": [N_("Välj minst en rad.")]})
        )
    for index, (prescription, packs) in enumerate(lines):
        if prescription is None or packs is None:
            continue
        refusal = line_refusal(user, prescription, packs, today, placing=True)
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


def order_lines(
    patient: Patient,
    lines: Sequence[tuple[object, object]],
    found: Mapping[int, Prescription],
) -> tuple[list[tuple[Prescription | None, int | None]], list[DomainError]]:
    """Each line (prescription id, packs) with its prescription among `found`,
    and the refusals of the lines whose packs are no whole number of at least
    1, that name a prescription twice, or one the patient does not have (those
    lines are (None, packs) or (prescription, None): `check_order` skips them)."""
    chosen: list[tuple[Prescription | None, int | None]] = []
    refusals: list[DomainError] = []
    seen = set()
    for index, (pid, packs) in enumerate(lines):
        prescription = found.get(pid) if isinstance(pid, int) else None
        if not isinstance(packs, int) or isinstance(packs, bool) or packs < 1:
            refusals.append(Invalid(fields={f"lines.{index}.packs": ["Ange minst 1."]}))
            packs = None
        if pid in seen:
            refusals.append(
                errors.DuplicateOrderLine(
                    prescription_id=pid,
                    line=index,
                    fields={
                        f"lines.{index}.prescription_id": [N_("Finns redan på en rad.")]
                    },
                )
            )
            prescription = None
        elif prescription is None or prescription.patient_id != patient.id:
            refusals.append(
                errors.UnknownPrescription(
                    prescription_id=pid,
                    line=index,
                    fields={
                        f"lines.{index}.prescription_id": [N_("Okänd förskrivning.")]
                    },
                )
            )
            prescription = None
        seen.add(pid)
        chosen.append((prescription, packs))
    return chosen, refusals


def order_faults(
    user: User, data: Mapping[str, object], unchecked: Collection[str]
) -> dict[str, list[str]]:
    """The field faults `place_order` would refuse `data` (the API's body) for,
    the fields in `unchecked` left out: for the API to answer with its
    schema's. Nothing for a role that may not order or a patient out of reach;
    a refusal logs the read of the patient, as `place_order`'s does."""
    patient_id = data.get("patient_id")
    if "patient_id" in unchecked or not isinstance(patient_id, int):
        return {}
    if user.role not in ORDERING_ROLES:
        return {}
    patient = access.visible_patient(user, patient_id)
    if patient is None:
        return {}
    sent = data.get("lines") if isinstance(data.get("lines"), list) else []
    lines = [
        tuple(
            None if f"lines.{index}.{name}" in unchecked else line.get(name)
            for name in ("prescription_id", "packs")
        )
        for index, line in enumerate(sent)
        if isinstance(line, dict)
    ]
    ids = sorted({pid for pid, _packs in lines if isinstance(pid, int)})
    chosen, refusals = order_lines(patient, lines, find_prescriptions(ids))
    mode = None if "delivery_mode" in unchecked else data.get("delivery_mode")
    phone = UNJUDGED
    if "contact_phone" not in unchecked:
        phone = data.get("contact_phone") or patient.phone
    refusals += check_order(
        user, patient, chosen, mode, region_today(), phone=phone
    ).refusals
    if not refusals:
        return {}
    error = refused(refusals)
    access.log_refusal_read(user, patient.id, error, "refused order")
    db.session.commit()
    return {n: m for n, m in error.fields.items() if n not in unchecked}


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
