"""Refusals of the aids centre's work on orders, each with a stable code."""

from sesamlike.common.errors import Conflict, Invalid
from sesamlike.common.i18n import Plural

# Shipping and delivery.


class AlreadyShipped(Conflict):
    code = "already_shipped"
    message = "Beställning {order_id} är redan skickad."


class NotReserved(Conflict):
    code = "not_reserved"
    message = (
        "Beställning {order_id} har inga reserverade rader att skicka "
        "(restnoterade rader skickas när varorna kommit in)."
    )


class NotPicked(Conflict):
    code = "not_picked"
    message = (
        "Beställning {order_id} är inte plockad ({articles}). Plocka den först, "
        "eller ange varför den packas utan plockning."
    )


class NothingToPutBack(Conflict):
    """Only a line cancelled after its packs were picked has packs to put back."""

    code = "nothing_to_put_back"
    message = (
        "Beställning {order_id} har inga plockade förpackningar från makulerade "
        "rader att lägga tillbaka."
    )


class NotShipped(Conflict):
    code = "not_shipped"
    message = "Beställning {order_id} har inga skickade rader att leverera."


class AlreadyDelivered(Conflict):
    code = "already_delivered"
    message = "Beställning {order_id} är redan levererad."


class DeliveredBeforeOrdered(Invalid):
    code = "delivered_before_ordered"
    message = "Leveransdagen {delivered_on} är före beställningen ({ordered_on})."


class SerialsMissing(Invalid):
    """Serials missing or wrong on lines; `fields` names each (code `invalid`)."""

    message = "Ange serienummer för individmärkta hjälpmedel."


# Returns and warranty replacements.


class ReturnWindowClosed(Conflict):
    code = "return_window_closed"
    message = Plural(
        "Oanvända förbrukningsartiklar tas tillbaka inom {days} dag från "
        "leveransen ({delivered_on}).",
        "Oanvända förbrukningsartiklar tas tillbaka inom {days} dagar från "
        "leveransen ({delivered_on}).",
        count="days",
    )


class NotReturnable(Conflict):
    code = "not_returnable"
    message = "Raden kan inte returneras här: {detail}"


class TooManyPacksReturned(Conflict):
    code = "too_many_packs_returned"
    message = Plural(
        "{article}: {left} förp. kvar att returnera på raden, inte {asked}.",
        "{article}: {left} förp. kvar att returnera på raden, inte {asked}.",
        count="left",
    )


class NotUnderWarranty(Conflict):
    code = "not_under_warranty"
    message = (
        "Ersättning under garanti gäller en felaktig enhet som returnerats "
        "före garantins slut ({warranty_end})."
    )


class AlreadyReplaced(Conflict):
    code = "already_replaced"
    message = "Enheten {serial_no} är redan ersatt."
