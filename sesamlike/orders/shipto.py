"""Where an order really goes: the ship-to every page, file, mail and answer uses.

An order keeps the address confirmed when it was placed (a snapshot). Protected
identity is followed at every step, also when it was set after the order was
placed: the parcel then goes to the clinic, in neutral packaging, and nothing of
the patient's name, address, door code or phone travels with it. Pharmacy
articles are picked up at the pharmacy instead, with no address at all.

Who sees it (domain.md, need to know): `ship_to_seen_by`. The aids centre sees
the ship-to of an order it ships: one with a line of the central channel that
is not cancelled, while it handles it. Until every such line is delivered it
sees all of it (a parcel on its way, or lost, needs the address); after the
last delivery, for the days unused packs may still come back
(`rules.RETURN_DAYS`), the name, address and phone, not the door code (only
the postman at the door needed it); after that nothing, as the FHIR
interface's delivery history. Of an order that only the pharmacy or a
supplier delivers it sees no name, address, door code or phone.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from sesamlike.accounts.models import Role, User
from sesamlike.catalog.models import Channel
from sesamlike.common.time import region_today
from sesamlike.orders.delivery import clinic_of_lines, waiting_lines
from sesamlike.orders.models import (
    UNDELIVERED_LINE_STATUSES,
    DeliveryMode,
    LineStatus,
    Order,
    OrderLine,
)
from sesamlike.orders.rules import RETURN_DAYS

ADDRESS_FIELDS = ("name", "street", "postal_code", "city", "door_code")


@dataclass(frozen=True)
class ShipTo:
    mode: str  # the delivery mode in force, which protection may have changed
    name: str | None = None
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    door_code: str | None = None
    phone: str | None = None
    neutral: bool = False  # protected identity: no patient name on the parcel
    # Not this user's to see: the aids centre does not ship the order.
    withheld: bool = False
    # Not any more: delivered, and the days for a return are over.
    delivered_long_ago: bool = False

    @property
    def has_address(self) -> bool:
        return bool(self.street)

    def address(self) -> dict[str, str | None] | None:
        """name, street, postal_code, city, door_code; None without an address."""
        if not self.has_address:
            return None
        return {name: getattr(self, name) for name in ADDRESS_FIELDS}


def ship_to(order: Order, line: OrderLine | None = None) -> ShipTo:
    """The order's ship-to now; `line` names the prescribing clinic in a file."""
    if not order.patient.protected_identity:
        return ShipTo(
            order.delivery_mode,
            order.ship_to_name,
            order.ship_to_street,
            order.ship_to_postal_code,
            order.ship_to_city,
            # Only the postman at the door needs it; older pickup orders kept it.
            order.ship_to_door_code
            if order.delivery_mode == DeliveryMode.HOME
            else None,
            order.contact_phone,
        )
    lines = [line] if line is not None else order.lines
    mode = mode_in_force(order, line)
    if mode == DeliveryMode.PHARMACY:
        return ShipTo(DeliveryMode.PHARMACY, neutral=True)
    if mode != DeliveryMode.CLINIC:  # it left before the protection: not shown
        return ShipTo(mode, neutral=True)
    if order.delivery_mode == DeliveryMode.CLINIC and order.ship_to_street:
        # Placed for the clinic: the snapshot is the clinic's address.
        return ShipTo(
            DeliveryMode.CLINIC,
            order.ship_to_name,
            order.ship_to_street,
            order.ship_to_postal_code,
            order.ship_to_city,
            neutral=True,
        )
    # Protected after ordering: the prescribing clinic while it cares for
    # the patient, else a caring clinic.
    clinic = clinic_of_lines(order.patient, lines)
    if clinic is None:
        return ShipTo(DeliveryMode.CLINIC, neutral=True)
    return ShipTo(
        DeliveryMode.CLINIC,
        clinic.name,
        clinic.street,
        clinic.postal_code,
        clinic.city,
        neutral=True,
    )


def ship_to_seen_by(user: User, order: Order, today: date | None = None) -> ShipTo:
    """The order's ship-to as `user` may see it: the aids centre sees only the
    ship-to of an order it ships (`shipped_by_aids_centre`), and only while it
    handles it (the module's docstring), else no address."""
    place = ship_to(order)
    if user.role != Role.DEPOT:
        return place
    if not shipped_by_aids_centre(order):
        return ShipTo(place.mode, neutral=place.neutral, withheld=True)
    central = _central_lines(order)
    if any(line.status in UNDELIVERED_LINE_STATUSES for line in central):
        return place
    last = max((line.delivered_on for line in central if line.delivered_on),
               default=None)  # fmt: skip
    if last is None or last < (today or region_today()) - timedelta(RETURN_DAYS):
        return ShipTo(
            place.mode, neutral=place.neutral, withheld=True, delivered_long_ago=True
        )
    return replace(place, door_code=None)


def shipped_by_aids_centre(order: Order) -> bool:
    """Some line of the order goes (or went) out from the aids centre's stock."""
    return bool(_central_lines(order))


def _central_lines(order: Order) -> list[OrderLine]:
    return [
        line
        for line in order.lines
        if line.channel == Channel.CENTRAL and line.status != LineStatus.CANCELLED
    ]


def mode_in_force(order: Order, line: OrderLine | None = None) -> str:
    """`ship_to(order, line).mode` without looking up any address: protected
    identity sends all but pharmacy articles to the clinic."""
    if not order.patient.protected_identity:
        return order.delivery_mode
    lines = [line] if line is not None else order.lines
    if order.delivery_mode == DeliveryMode.PHARMACY or (
        lines and all(item.channel == Channel.PHARMACY for item in lines)
    ):
        return DeliveryMode.PHARMACY
    if _left_before_protection(order, lines):
        return order.delivery_mode
    return DeliveryMode.CLINIC


def _left_before_protection(order: Order, lines) -> bool:
    """A protected patient's order to a home or pickup point with nothing left
    to send (no line open but the pharmacy's): it left before the protection,
    which sends what still waits to the clinic (`delivery.reroute_to_clinic`).
    The parcel went where the order says; telling the clinic and the patient
    it comes to the clinic had them wait for it there."""
    if order.delivery_mode not in (DeliveryMode.HOME, DeliveryMode.PICKUP):
        return False
    return not waiting_lines(lines)


def goes_via_pharmacy(line: OrderLine, mode: str) -> bool:
    """A pharmacy line of an order sent another way (home by post, the only
    mode a pharmacy line shares with the aids centre's) reaches the patient via
    the pharmacy: the e-recept names no delivery, whatever the other lines do."""
    return line.channel == Channel.PHARMACY and mode != DeliveryMode.PHARMACY


def pharmacy_lines_apart(order: Order, shipped: ShipTo) -> bool:
    """Whether some line of the order goes via the pharmacy, not as `shipped`."""
    return any(goes_via_pharmacy(line, shipped.mode) for line in order.lines)
