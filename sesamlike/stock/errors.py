"""Refusals of stock use cases, each with a stable code for pages and API."""

from sesamlike.catalog.errors import UnknownArticle  # noqa: F401  (raised here too)
from sesamlike.common.errors import Conflict, Invalid, NotVisible


class UnknownDepot(Invalid):
    code = "unknown_depot"
    message = "Lagret {depot_code} finns inte."


class DepotOnlyForDepotStaff(Invalid):
    code = "depot_only_for_depot_staff"
    message = "Bara hjälpmedelscentralens personal har ett eget lager."


class LotNotRestockable(Conflict):
    """Packs come back from a lot since blocked (a recall) or past its expiry:
    they cannot go back on stock, and are scrapped instead."""

    code = "lot_not_restockable"
    message = (
        "Partiet {lot} är spärrat eller har gått ut: förpackningarna kan inte gå "
        "tillbaka i lager. Välj Kasseras."
    )


class SerialsRequired(Invalid):
    code = "serials_required"
    message = (
        "{article} är individmärkt: ange ett serienummer per förpackning ({packs} st)."
    )


class SerialsNotAllowed(Invalid):
    code = "serials_not_allowed"
    message = "{article} är inte individmärkt och tar inga serienummer."


class DuplicateSerial(Conflict):
    code = "duplicate_serial"
    message = "Serienumret {serial_no} finns redan för {article}."


class SerialOnLoan(Conflict):
    """A serial number lent to a patient already: one device is lent once."""

    code = "serial_on_loan"
    message = "Serienumret {serial_no} är redan utlånat ({article})."


class SerialNotInStock(Conflict):
    code = "serial_not_in_stock"
    message = "Serienumret {serial_no} finns inte i lager för {article}."


class InsufficientStock(Conflict):
    code = "insufficient_stock"
    message = (
        "Det finns inte nog med plockbart lager av {article} "
        "(utgångna och spärrade partier plockas aldrig)."
    )


class DeviceNotFound(NotVisible):
    code = "device_not_found"
    message = "Inget utlånat hjälpmedel med serienumret {serial_no}."


class DeviceAlreadyInQuarantine(Conflict):
    """A device returned a second time: its first return is already booked."""

    code = "device_already_in_quarantine"
    message = (
        "{serial_no} ({article}) är redan återlämnad och står i karantän sedan "
        "{day}. Returen är redan registrerad."
    )


class DeviceNotInQuarantine(Conflict):
    code = "device_not_in_quarantine"
    message = "Hjälpmedlet {serial_no} står inte i karantän."


class FaultyDeviceNotRestocked(Conflict):
    """A device returned faulty goes back to the supplier (warranty) or is
    scrapped; put back on the shelf it would be lent to another patient."""

    code = "faulty_device_not_restocked"
    message = (
        "Hjälpmedlet {serial_no} kom tillbaka med fel på enheten och lånas inte ut "
        "igen: skicka det till leverantören eller kassera det."
    )


class LotNotFound(NotVisible):
    code = "lot_not_found"
    message = "Partiet finns inte."


class ReasonCodeRequired(Invalid):
    code = "reason_code_required"
    message = "Ange en orsakskod för differensen."


class UnreadableBarcode(Invalid):
    code = "unreadable_barcode"
    # What the parser said (English, for the log) is kept in `detail`, never shown.
    message = (
        "Streckkoden kunde inte tolkas som GS1. Skanna den igen, eller fyll i "
        "artikelnummer, parti och utgångsdatum för hand."
    )


class DepotDetailsRequired(Invalid):
    code = "depot_details_required"
    message = "Lagrets kod och namn krävs."


class DepotDetailsTooLong(Invalid):
    code = "depot_details_too_long"
    message = "Lagrets kod får ha högst {code_max} tecken och namnet högst {name_max}."


class DepotExists(Conflict):
    code = "depot_exists"
    message = "Lagret {code} finns redan."


class LotBlocked(Conflict):
    code = "lot_blocked"
    message = "Partiet {lot} är spärrat och tar inte emot inleverans."


class LotExpiryMismatch(Conflict):
    code = "lot_expiry_mismatch"
    message = "Partiet {lot} har redan utgångsdatum {expiry}."


class QuarantineCountedBySerial(Conflict):
    code = "quarantine_counted_by_serial"
    message = "Karantänen räknas per serienummer, inte som parti."


class CountedBySerial(Conflict):
    """Packs counted into a lot of devices would have no serial number: stock
    would offer them, orders reserve them, and none could be packed."""

    code = "counted_by_serial"
    message = (
        "{article} är individmärkt och räknas per serienummer, inte som antal. "
        "Enheter tas emot med sina serienummer under Inleverans och kommer "
        "tillbaka under Utlånade enheter och karantän."
    )


class LotNotExpired(Conflict):
    code = "lot_not_expired"
    message = (
        "Bara spärrade partier och partier vars utgångsdatum har passerats "
        "kasseras här."
    )


class LotNotBlocked(Conflict):
    code = "lot_not_blocked"
    message = "Partiet {lot} är inte spärrat."


class ExpiredLotStaysBlocked(Conflict):
    """An expired lot is blocked by the nightly check; released, its packs
    would be offered again though no one may use them."""

    code = "expired_lot_stays_blocked"
    message = "Partiet {lot} gick ut {expiry} och förblir spärrat: kassera det."


class QuarantineBySerial(Conflict):
    """The devices' quarantine lot: each device is reconditioned or scrapped."""

    code = "quarantine_by_serial"
    message = (
        "Karantänen hanteras per enhet under Utlånade enheter och karantän, "
        "inte som parti."
    )


class ReservationChanged(Conflict):
    code = "reservation_changed"
    message = "Reservationen har ändrats av någon annan. Försök igen."


class ProposalAlreadyDecided(Conflict):
    code = "proposal_already_decided"
    message = "Förslaget är redan hanterat."


class NoDepot(Conflict):
    code = "no_depot"
    message = (
        "Det finns inget lager att reservera eller restnotera i. "
        "Kontakta hjälpmedelscentralen."
    )


class CountToConfirm(Invalid):
    """A count far from the books, above or below (`picking.count_far_off`): a
    slip of the keyboard would move stock and purchase proposals, so the clerk
    checks and confirms it."""

    code = "count_to_confirm"
    message = (
        "Räknat antal {counted} skiljer sig mycket från saldot {on_hand}. "
        "Kontrollera antalet och bekräfta att det stämmer."
    )
