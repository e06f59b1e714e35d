"""Refusals of stock use cases, each with a stable code for pages and API."""

from sesamlike.common.errors import Conflict, Invalid, NotVisible


class UnknownDepot(Invalid):
    code = "unknown_depot"
    message = "Lagret {depot_code} finns inte."


class UnknownArticle(Invalid):
    code = "unknown_article"
    message = "Artikeln {article_no} finns inte i sortimentet."


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


class DeviceNotInQuarantine(Conflict):
    code = "device_not_in_quarantine"
    message = "Hjälpmedlet {serial_no} står inte i karantän."


class LotNotFound(NotVisible):
    code = "lot_not_found"
    message = "Partiet finns inte."


class ReasonCodeRequired(Invalid):
    code = "reason_code_required"
    message = "Ange en orsakskod för differensen."


class UnreadableBarcode(Invalid):
    code = "unreadable_barcode"
    message = "Streckkoden kunde inte tolkas som GS1: {detail}"
