"""Ordering rules without a database: delivery modes, entitlement, address snapshot."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence

from sesamlike.catalog.models import Channel
from sesamlike.common.errors import DomainError, Invalid
from sesamlike.common.formatting import format_list
from sesamlike.common.i18n import N_
from sesamlike.orders import errors
from sesamlike.orders.models import (
    OPEN_LINE_STATUSES,
    DeliveryMode,
    LineStatus,
    cancellable_statuses,
)
from sesamlike.patients.addresses import BOX_ADDRESS_REFUSAL, is_box_address
from sesamlike.patients.contact_checks import (
    city_refusal,
    door_code_refusal,
    street_refusal,
)
from sesamlike.prescriptions import errors as prescription_errors

MODES = tuple(DeliveryMode)
# How each channel can reach the patient: pharmacy articles are picked up at a
# pharmacy or posted by it; the others come by post, to a pickup point or clinic.
CHANNEL_MODES = {
    Channel.CENTRAL: {DeliveryMode.HOME, DeliveryMode.CLINIC, DeliveryMode.PICKUP},
    Channel.SUPPLIER: {DeliveryMode.HOME, DeliveryMode.CLINIC, DeliveryMode.PICKUP},
    Channel.PHARMACY: {DeliveryMode.PHARMACY, DeliveryMode.HOME},
}
# The modes that decide where a channel's goods go. Pharmacy goods go by an
# e-recept, collected at a pharmacy (or sent by one the patient chooses): an
# order may go home with them (its other lines do), but home is no way to get
# them, so a form offers it for pharmacy goods alone no more than the clinic.
DESTINATIONS = {
    Channel.CENTRAL: {DeliveryMode.HOME, DeliveryMode.CLINIC, DeliveryMode.PICKUP},
    Channel.SUPPLIER: {DeliveryMode.HOME, DeliveryMode.CLINIC, DeliveryMode.PICKUP},
    Channel.PHARMACY: {DeliveryMode.PHARMACY},
}
# Protected identity: nothing goes to the patient's address. Clinic delivery, and
# for pharmacy articles pickup at the pharmacy, which needs no address either.
PROTECTED_MODES = frozenset({DeliveryMode.CLINIC, DeliveryMode.PHARMACY})
RETURN_DAYS = 14  # unused consumables come back to stock within this many days
SUPPLIER_STATUS = {
    Channel.SUPPLIER: LineStatus.SENT_TO_SUPPLIER,
    Channel.PHARMACY: LineStatus.SENT_TO_PHARMACY,
}


def replacement_channel(article_channel: str) -> str:
    """The channel a lent device's warranty replacement goes by: its article's,
    as every order of it (a supplier's pump from the supplier, who replaces it
    under warranty); never the pharmacy, which lends no device."""
    return Channel.SUPPLIER if article_channel == Channel.SUPPLIER else Channel.CENTRAL


# Lines that show a patient already has (or had) a device of a category.
DEVICE_HISTORY_STATUSES = OPEN_LINE_STATUSES | {
    LineStatus.SHIPPED,
    LineStatus.DELIVERED,
    LineStatus.RETURNED,
}


def allowed_delivery_modes(channels: Iterable[str], protected: bool) -> list[str]:
    """Delivery modes that suit every channel in the order, in display order."""
    allowed = set(PROTECTED_MODES) if protected else set(MODES)
    for channel in set(channels):
        allowed &= CHANNEL_MODES[Channel(channel)]
    return [mode for mode in MODES if mode in allowed]


def default_delivery_mode(
    channels: Iterable[str], protected: bool, first_device: bool
) -> str | None:
    """Clinic for protected identity or a first pump/CGM reader; else the usual."""
    channels = list(channels)
    allowed = allowed_delivery_modes(channels, protected)
    preferred = []
    if protected or first_device:
        preferred.append(DeliveryMode.CLINIC)
    if channels and all(c == Channel.PHARMACY for c in channels):
        preferred.append(DeliveryMode.PHARMACY)
    preferred += [DeliveryMode.HOME, *allowed]
    return next((mode for mode in preferred if mode in allowed), None)


def choose_delivery_mode(
    requested: str | None, channels: Sequence[str], protected: bool, first: bool
) -> str:
    allowed = allowed_delivery_modes(channels, protected)
    if not allowed:
        raise errors.MixedDeliveryChannels()
    if requested is None:
        return default_delivery_mode(channels, protected, first)
    if requested in allowed:
        return requested
    field = {"delivery_mode": [N_("Välj ett annat leveranssätt.")]}
    if protected and requested in MODES:
        raise errors.ProtectedIdentityClinicOnly(fields=field)
    raise errors.DeliveryModeNotAllowed(allowed=", ".join(allowed), fields=field)


PICKUP_PHONE = N_("Skriv ett mobilnummer: vi skickar ett sms när paketet kan hämtas.")
PICKUP_NOT_MOBILE = N_(
    "Skriv ett mobilnummer som börjar med 07: vi skickar ett sms när paketet kan "
    "hämtas."
)
# A Swedish mobile number (07x xxx xx xx), also with +46 or 0046 for the 0.
_MOBILE = re.compile(r"^(?:\+46|0046|0)7\d{8}$")
_SEPARATORS = re.compile(r"[\s\-()]")


def is_mobile(phone: str | None) -> bool:
    """Whether a text message reaches this number: a landline waits in vain.
    (The portal's form asks it of a pickup; the contract's API asks a number.)"""
    return _MOBILE.match(_SEPARATORS.sub("", phone or "")) is not None


def pickup_refusal(mode: str | None, phone: str | None) -> DomainError | None:
    """A parcel to a pickup point needs a mobile number for the text message
    that says it can be collected: `phone` is the order's, else the patient's."""
    if mode != DeliveryMode.PICKUP or (phone or "").strip():
        return None
    return errors.PickupNeedsMobile(
        fields={
            "contact_phone": [PICKUP_PHONE],
            "delivery_mode": [N_("Välj ett annat leveranssätt.")],
        }
    )


SHIP_TO_FIELDS = ("street", "postal_code", "city", "door_code")
SHIP_TO_CHECKS = {
    "street": street_refusal,
    "city": city_refusal,
    "door_code": door_code_refusal,
}


def ship_to_snapshot(patient, mode, clinic, override, phone, today) -> dict:
    """The delivery address snapshot for an order: the clinic's or the patient's."""
    if mode == DeliveryMode.CLINIC:
        return dict(
            ship_to_name=clinic.name,
            ship_to_street=clinic.street,
            ship_to_postal_code=clinic.postal_code,
            ship_to_city=clinic.city,
            contact_phone=None if patient.protected_identity else phone,
        )
    contact = {"contact_phone": phone}
    if mode == DeliveryMode.PHARMACY:
        return contact
    # An address given in full (as the portal's form gives it) needs none read.
    given = override or {}
    address = (
        None
        if all(given.get(name) for name in SHIP_TO_FIELDS)
        else patient.delivery_address_on(today)
    )
    snapshot = dict(
        ship_to_name=patient.full_name,
        ship_to_street=address.street if address else None,
        ship_to_postal_code=address.postal_code if address else None,
        ship_to_city=address.city if address else None,
        ship_to_door_code=address.door_code if address else None,
    )
    for name in ("name", *SHIP_TO_FIELDS):
        if given.get(name):
            snapshot[f"ship_to_{name}"] = override[name].strip()
    if mode == DeliveryMode.PICKUP:
        # The parcel is handed over at the pickup point, found by the address:
        # nobody comes to the door, so its code is not needed (domain.md).
        snapshot["ship_to_door_code"] = None
    # No aid is delivered to a box: the street given, or the one on record
    # (an older one, saved before the record refused every way of saying it).
    if is_box_address(snapshot["ship_to_street"]):
        raise Invalid(fields={"ship_to.street": [BOX_ADDRESS_REFUSAL]})
    # Nor to an address nobody could deliver to, as given here (the portal's
    # form says it first; the API and the prescriber's page say it here).
    faults = {
        f"ship_to.{name}": [message]
        for name, check in SHIP_TO_CHECKS.items()
        if given.get(name) and (message := check(given[name])) is not None
    }
    if faults:
        raise Invalid(fields=faults)
    return snapshot | contact


def mode_refusal(
    error: errors.DeliveryModeNotAllowed, requested: str | None, articles, first_devices
) -> DomainError:
    """A mode that does not suit the order, said of the lines that rule it out
    when others would go that way: those lines go in an order of their own.
    With a first device (which goes to the clinic) no other mode is offered."""
    # A first device goes to the clinic whatever was asked: what cannot go
    # there is taken out, and no other mode is offered (it would be refused).
    way = DeliveryMode.CLINIC if first_devices else requested
    blocking = [
        article
        for article in articles
        if way not in CHANNEL_MODES[Channel(article.channel)]
    ]
    if not blocking or len(blocking) == len(articles):
        return error  # nothing to take out: another mode is the answer
    names = list(dict.fromkeys(article.name for article in blocking))
    said = dict(
        articles=format_list(names),
        count=len(names),
        allowed=error.params["allowed"],
        fields=error.fields,
    )
    if first_devices:
        return errors.LinesApartFromFirstDevice(device=first_devices[0].name, **said)
    return errors.LinesNotThatWay(**said)


def first_device_refusal(article, pharmacy_articles: bool = False) -> DomainError:
    """The first pump or CGM reader goes to the clinic, where the patient is taught;
    pharmacy articles in the same order (`pharmacy_articles`) need one of their own.
    """
    refusal = (
        errors.FirstDeviceBesidePharmacyArticles
        if pharmacy_articles
        else errors.FirstDeviceToClinic
    )
    return refusal(
        article=article.name,
        fields={"delivery_mode": [N_("Välj Till mottagningen.")]},
    )


def for_line(refusal: DomainError, index: int) -> DomainError:
    """Name the line a refusal is about (params for pages, fields for 422s)."""
    refusal.params["line"] = index
    if isinstance(refusal, prescription_errors.TooManyPacks):
        refusal.fields = {f"lines.{index}.packs": [N_("För många förpackningar.")]}
    return refusal


def statuses_refusal(statuses: Iterable[str]) -> DomainError | None:
    """Why an order with lines of these statuses cannot be cancelled, if it
    cannot: every line cancelled already, or something shipped or handed out."""
    statuses = list(statuses)
    if cancellable_statuses(statuses):
        return None
    if statuses and all(s == LineStatus.CANCELLED for s in statuses):
        return errors.AlreadyCancelled()  # a double submit, another tab
    return errors.NotCancellable()


def cancel_refusal(
    lines: Sequence, self_service: bool, issued: Collection[int]
) -> DomainError | None:
    """Why these lines (an order's, or one of them) cannot be cancelled now,
    or None. `issued`: the ids of lines whose e-recept the pharmacy has. The
    pharmacy hands those out whatever the portal says, so a patient or
    guardian (`self_service`) cannot withdraw them; the prescriber can, and
    cancelling withdraws the e-recept."""
    refusal = statuses_refusal(line.status for line in lines)
    if refusal is not None:
        return refusal
    if not self_service:
        return None
    at_pharmacy = [
        line.article.name
        for line in lines
        if line.id in issued and line.status == LineStatus.SENT_TO_PHARMACY
    ]
    if not at_pharmacy:
        return None
    names = list(dict.fromkeys(at_pharmacy))
    return errors.EReceptAtPharmacy(articles=format_list(names), count=len(names))
