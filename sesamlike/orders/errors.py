"""Refusals of prescribing and ordering, each with a stable code for pages and API."""

from sesamlike.common.errors import Conflict, Forbidden, Invalid
from sesamlike.common.i18n import Plural


class NotCancellable(Conflict):
    code = "not_cancellable"
    message = "Beställningen kan inte makuleras: den är redan skickad eller levererad."


class EReceptAtPharmacy(Conflict):
    """A patient or guardian cannot withdraw an e-recept the pharmacy already has
    (it could be collected all the same); the prescriber can, by cancelling."""

    code = "e_recept_at_pharmacy"
    message = Plural(
        "E-receptet för {articles} finns redan hos apoteket, så beställningen kan "
        "inte makuleras här. Ska det inte hämtas ut, kontakta mottagningen, som "
        "kan makulera det.",
        "E-recepten för {articles} finns redan hos apoteket, så beställningen kan "
        "inte makuleras här. Ska de inte hämtas ut, kontakta mottagningen, som "
        "kan makulera dem.",
        count="count",
    )


class AlreadyCancelled(NotCancellable):
    """Cancelled already (a double submit, another tab): nothing has shipped,
    so "skickad eller levererad" would be untrue. The code stays
    `not_cancellable`: a client acting on it keeps working."""

    message = (
        "Beställningen kan inte makuleras igen: den är redan makulerad. Inget har "
        "ändrats."
    )


# Ordering (withdrawals against prescriptions).


class DeviceNeedsPrescriber(Forbidden):
    """A pump or CGM reader is ordered by the prescriber, never by the patient."""

    code = "device_needs_prescriber"
    message = (
        "{article} är ett hjälpmedel som lånas ut och beställs av din förskrivare. "
        "Kontakta mottagningen om du behöver en ny."
    )


class UnknownPrescription(Invalid):
    code = "unknown_prescription"
    message = (
        "Förskrivningen {prescription_id} finns inte hos patienten. "
        "Välj en av patientens förskrivningar."
    )


class NoOrderLines(Invalid):
    code = "no_order_lines"
    message = "Välj minst en förskrivning att beställa från."


class DuplicateOrderLine(Invalid):
    code = "duplicate_order_line"
    message = (
        "Förskrivningen {prescription_id} finns på flera rader. "
        "Beställ ett uttag per förskrivning."
    )


class DeliveryModeNotAllowed(Invalid):
    code = "delivery_mode_not_allowed"
    message = (
        "Leveranssättet passar inte artiklarna i beställningen. Välj ett av: {allowed}."
    )


class LinesNotThatWay(DeliveryModeNotAllowed):
    """Some lines never go the way asked (pharmacy articles never to the
    clinic): named, to go in an order of their own (the code stays
    `delivery_mode_not_allowed`)."""

    message = Plural(
        "{articles} kan inte levereras på det sättet. Beställ den i en egen "
        "beställning, eller välj ett av: {allowed}.",
        "{articles} kan inte levereras på det sättet. Beställ dem i en egen "
        "beställning, eller välj ett av: {allowed}.",
        count="count",
    )


class LinesApartFromFirstDevice(DeliveryModeNotAllowed):
    """The first device goes to the clinic, where these lines never go: they
    need an order of their own (no other mode would do for the device)."""

    message = Plural(
        "{articles} kan inte levereras till mottagningen, dit {device} ska. "
        "Beställ den i en egen beställning.",
        "{articles} kan inte levereras till mottagningen, dit {device} ska. "
        "Beställ dem i en egen beställning.",
        count="count",
    )


class PickupNeedsMobile(Invalid):
    """A parcel to a pickup point waits there until collected; a text message
    to the patient's mobile says when it can be. Without a number nobody is
    told (the portal, the prescriber's page and the API alike)."""

    code = "pickup_needs_mobile"
    message = (
        "Ett paket till ett utlämningsställe (ombud) behöver ett mobilnummer: ett "
        "sms säger när det kan hämtas. Ange ett mobilnummer, eller välj ett annat "
        "leveranssätt."
    )


class ProtectedIdentityClinicOnly(Invalid):
    code = "protected_identity_clinic_only"
    message = (
        "Patienten har skyddade personuppgifter: leverans sker till mottagningen "
        "(apoteksartiklar hämtas på apotek). Välj det leveranssättet."
    )


class MixedDeliveryChannels(Invalid):
    code = "mixed_delivery_channels"
    message = (
        "Artiklarna i beställningen kan inte levereras på samma sätt. "
        "Dela upp dem i två beställningar."
    )


class FirstDeviceToClinic(Invalid):
    """The patient's first pump or CGM reader goes to the clinic for instruction."""

    code = "first_device_to_clinic"
    message = (
        "{article} är patientens första pump eller CGM-avläsare och levereras till "
        "mottagningen, där patienten får instruktion. Välj leveranssättet Till "
        "mottagningen."
    )


class FirstDeviceBesidePharmacyArticles(FirstDeviceToClinic):
    """The first device and pharmacy articles, which never go to the clinic, in
    one order: two orders are needed (code `first_device_to_clinic`)."""

    message = (
        "{article} är patientens första pump eller CGM-avläsare och levereras till "
        "mottagningen, där patienten får instruktion. Välj leveranssättet Till "
        "mottagningen (beställ apoteksartiklar i en egen beställning)."
    )


# The clinic's work lists and deliveries to the clinic.


class WorkListsForPrescribers(Forbidden):
    """Only prescribers work from the clinic's lists (code `forbidden`)."""

    message = "Arbetslistorna är förskrivarnas."


class NotOwnClinic(Invalid):
    """A work list filtered on a clinic that is not the user's (code `invalid`)."""

    message = "Välj en av dina vårdenheter."


class NotAllSent(Conflict):
    """An order is collected whole: not while part of it has not been sent."""

    code = "not_all_sent"
    message = (
        "Beställning {order_id} kan inte markeras som hämtad än: en del av den har "
        "inte skickats till mottagningen."
    )


class NotAtClinic(Conflict):
    """Only an order delivered to the clinic, and not yet collected, is collected."""

    code = "not_at_clinic"
    message = (
        "Beställning {order_id} väntar inte på mottagningen: den ska inte levereras "
        "dit, har inte kommit än eller är redan hämtad."
    )
