"""English for the depot: stock, receipts, picking, shipping, devices, returns."""

EN: dict[str, str] = {
    # Navigation inside the depot pages
    "Lagrets sidor": "Depot pages",
    "Saldo": "Stock",
    "Inleverans": "Goods receipt",
    "Plocklista": "Pick list",
    "Packa och skicka": "Pack and ship",
    "Leveranser att bekräfta": "Deliveries to confirm",
    "Utlånade enheter och karantän": "Lent devices and quarantine",
    "Returer": "Returns",
    "Inventering": "Cycle count",
    # Overview
    "Saldo per artikel, lager och parti. Utgångna och spärrade partier plockas "
    "aldrig.": (
        "Stock per article, depot and lot. Expired and blocked lots are never picked."
    ),
    "Saldot stämmer inte med transaktionsloggen för {n} partier.": (
        "On hand does not match the ledger for {n} lots."
    ),
    "Saldot stämmer med transaktionsloggen.": "On hand matches the ledger.",
    "Per artikel och lager": "Per article and depot",
    "Saldo per artikel och lager": "Stock per article and depot",
    "I lager": "On hand",
    "Reserverat": "Reserved",
    "Disponibelt": "Available",
    "Restnoterat": "Backordered",
    "Inget i lager ännu.": "Nothing in stock yet.",
    "Partier": "Lots",
    "Partier med utgångsdatum": "Lots with expiry dates",
    "Parti": "Lot",
    "Lagerplats": "Bin",
    "Spärrat": "Blocked",
    "Utgånget": "Expired",
    "Går ut inom 60 dagar": "Expires within 60 days",
    "Kassera": "Scrap",
    "{packs} förp. kasserade.": "{packs} packs scrapped.",
    # Receipt
    "Skanna eller klistra in förpackningens GS1-kod och tryck Tolka: artikel, "
    "batch och utgångsdatum fylls i.": (
        "Scan or paste the pack's GS1 code and press Interpret: article, batch and "
        "expiry are filled in."
    ),
    "Till exempel (01)07312345678906(17)271231(10)ABC123": (
        "For example (01)07312345678906(17)271231(10)ABC123"
    ),
    "Tolka": "Interpret",
    "Registrera inleverans": "Register receipt",
    "Bara för individmärkta hjälpmedel: ett serienummer per förpackning.": (
        "Serial-tracked aids only: one serial number per pack."
    ),
    "Streckkod (GS1 DataMatrix eller GS1-128)": "Barcode (GS1 DataMatrix or GS1-128)",
    "Batch/parti": "Batch/lot",
    "Utgångsdatum": "Expiry date",
    "Serienummer (ett per rad)": "Serial numbers (one per line)",
    "Ingen artikel i sortimentet har GTIN {gtin}.": (
        "No article in the catalogue has GTIN {gtin}."
    ),
    "{packs} förp. {article} inlevererade till parti {lot}. Restorder som fick "
    "reservation: {filled}.": (
        "{packs} packs of {article} received into lot {lot}. Backorders now "
        "reserved: {filled}."
    ),
    "Partiet {lot} har redan utgångsdatum {expiry}.": (
        "Lot {lot} already has expiry date {expiry}."
    ),
    "Partiet {lot} är spärrat och tar inte emot inleverans.": (
        "Lot {lot} is blocked and takes no receipts."
    ),
    "Stämmer inte med partiets utgångsdatum.": "Does not match the lot's expiry date.",
    "Ange ett antal förpackningar från 1.": "Enter a number of packs from 1.",
    "Reserverat namn för karantän.": "A name reserved for quarantine.",
    "Högst 40 tecken.": "At most 40 characters.",
    "Högst 20 tecken.": "At most 20 characters.",
    "Högst 60 tecken per serienummer.": "At most 60 characters per serial number.",
    "Samma serienummer finns flera gånger.": "The same serial number appears twice.",
    "Ett serienummer per förpackning.": "One serial number per pack.",
    "Inte individmärkt.": "Not serial-tracked.",
    "Serienumret finns redan.": "The serial number already exists.",
    "Okänt lager.": "Unknown depot.",
    "Okänd artikel.": "Unknown article.",
    "Ange ett datum som ÅÅÅÅ-MM-DD.": "Enter a date as YYYY-MM-DD.",
    # Stock errors
    "Lagret {depot_code} finns inte.": "Depot {depot_code} does not exist.",
    "{article} är individmärkt: ange ett serienummer per förpackning ({packs} st).": (
        "{article} is serial-tracked: give one serial number per pack ({packs})."
    ),
    "{article} är inte individmärkt och tar inga serienummer.": (
        "{article} is not serial-tracked and takes no serial numbers."
    ),
    "Serienumret {serial_no} finns redan för {article}.": (
        "Serial number {serial_no} already exists for {article}."
    ),
    "Serienumret {serial_no} finns inte i lager för {article}.": (
        "Serial number {serial_no} of {article} is not in stock."
    ),
    "Det finns inte nog med plockbart lager av {article} (utgångna och spärrade "
    "partier plockas aldrig).": (
        "There is not enough pickable stock of {article} (expired and blocked lots "
        "are never picked)."
    ),
    "Inget utlånat hjälpmedel med serienumret {serial_no}.": (
        "No lent aid has serial number {serial_no}."
    ),
    "Hjälpmedlet {serial_no} står inte i karantän.": (
        "Device {serial_no} is not in quarantine."
    ),
    "Partiet finns inte.": "The lot does not exist.",
    "Ange en orsakskod för differensen.": "Give a reason code for the difference.",
    "Streckkoden kunde inte tolkas som GS1: {detail}": (
        "The barcode could not be read as GS1: {detail}"
    ),
    "Bara partier vars utgångsdatum har passerats kasseras här.": (
        "Only lots past their expiry date are scrapped here."
    ),
    "Karantänen räknas per serienummer, inte som parti.": (
        "Quarantine is counted by serial number, not as a lot."
    ),
    "Reservationen har ändrats av någon annan. Försök igen.": (
        "Someone else changed the reservation. Try again."
    ),
    "Fler serienummer än förpackningar.": "More serial numbers than packs.",
    "Välj en orsak.": "Choose a reason.",
    "Före utlåningsdagen.": "Before the day it was lent.",
    "Inget lager finns.": "There is no depot.",
    "Ange ett antal från 0.": "Enter a number from 0.",
    # Picking and packing
    "Plocka kortast utgångsdatum först. Utgångna och spärrade partier finns inte "
    "med.": "Pick the earliest expiry first. Expired and blocked lots are not listed.",
    "Visa": "Show",
    "Inget att plocka.": "Nothing to pick.",
    "Beställning {order_id}": "Order {order_id}",
    "Övriga reservationer": "Other reservations",
    "Plockbart lager räcker inte": "Not enough pickable stock",
    "Markera plockad": "Mark picked",
    "Beställning {order_id} är plockad.": "Order {order_id} is picked.",
    "Beställningar med reserverade rader, äldst först. Restnoterade rader skickas "
    "senare.": (
        "Orders with reserved lines, oldest first. Backordered lines ship later."
    ),
    "Beställning": "Order",
    "Plockad": "Picked",
    "Inget att skicka.": "Nothing to ship.",
    "Packa beställning {order_id}": "Pack order {order_id}",
    "Ingen adress: hämtas på apotek.": "No address: collected at a pharmacy.",
    "Skyddade personuppgifter: neutral förpackning, inget namn på paketet.": (
        "Protected identity: neutral packaging, no name on the parcel."
    ),
    "Rader att skicka nu": "Lines to ship now",
    "Serienummer för rad {line_id}": "Serial numbers for line {line_id}",
    "Sändnings-id (kollinummer)": "Tracking reference (parcel number)",
    "Sändnings-id": "Tracking reference",
    "Skicka": "Ship",
    "Beställning {order_id} är skickad.": "Order {order_id} has shipped.",
    "Ange serienummer för individmärkta hjälpmedel.": (
        "Give serial numbers for serial-tracked aids."
    ),
    "Raden skickas inte nu.": "The line is not shipped now.",
    "Artikeln är inte individmärkt.": "The article is not serial-tracked.",
    "Okänd rad i beställningen.": "Unknown line in the order.",
    "Högst 80 tecken.": "At most 80 characters.",
    "Beställning {order_id} är redan skickad.": "Order {order_id} has already shipped.",
    "Beställning {order_id} har inga reserverade rader att skicka (restnoterade "
    "rader skickas när varorna kommit in).": (
        "Order {order_id} has no reserved lines to ship (backordered lines ship when "
        "the goods have arrived)."
    ),
    # Deliveries
    "Levererad": "Delivered",
    "Bekräfta leverans av beställning {order_id}": (
        "Confirm delivery of order {order_id}"
    ),
    "Inga skickade beställningar väntar på leveransbekräftelse.": (
        "No shipped orders wait for delivery confirmation."
    ),
    "Ange leveransdag.": "Enter the delivery day.",
    "Beställning {order_id} är levererad.": "Order {order_id} is delivered.",
    "Beställning {order_id} har inga skickade rader att leverera.": (
        "Order {order_id} has no shipped lines to deliver."
    ),
    "Beställning {order_id} är redan levererad.": (
        "Order {order_id} is already delivered."
    ),
    "Leveransdagen kan inte vara i framtiden.": (
        "The delivery day cannot be in the future."
    ),
    # Devices
    "Ta emot en returnerad enhet": "Take back a returned device",
    "Serienummer": "Serial number",
    "Orsak": "Reason",
    "Returdatum": "Return date",
    "Ta emot retur": "Take back",
    "I karantän": "In quarantine",
    "Returnerad": "Returned",
    "Garanti till": "Warranty until",
    "Åtgärd": "Action",
    "Återställ till lager": "Recondition to stock",
    "Ersätt under garanti": "Replace under warranty",
    "Inga enheter i karantän.": "No devices in quarantine.",
    "Ersatt av ny enhet": "Replaced by a new device",
    "Fel på enheten": "Device faulty",
    "Behandlingen avslutad": "Therapy ended",
    "{serial_no} är mottagen och står i karantän.": (
        "{serial_no} is received and in quarantine."
    ),
    "Enheten är åter i lager.": "The device is back in stock.",
    "Enheten är kasserad.": "The device is scrapped.",
    "Ersättning beställd under garanti.": "Replacement ordered under warranty.",
    "Kan inte vara i framtiden.": "Cannot be in the future.",
    "Enheten {serial_no} är redan ersatt.": "Device {serial_no} is already replaced.",
    "Ersättning under garanti gäller en felaktig enhet som returnerats före "
    "garantins slut ({warranty_end}).": (
        "Replacement under warranty is for a faulty device returned before the "
        "warranty ends ({warranty_end})."
    ),
    # Consumable returns
    "Oanvända lagerförda förbrukningsartiklar tas tillbaka inom {days} dagar från "
    "leveransen.": (
        "Unused stocked consumables are taken back within {days} days of delivery."
    ),
    "Inga leveranser inom returtiden.": "No deliveries within the return period.",
    "Levererad {day}": "Delivered {day}",
    "Ta tillbaka i lager": "Take back into stock",
    "Returen är inlagd i lager.": "The return is back in stock.",
    "Ange returdatum.": "Enter the return date.",
    "Mellan leveransdagen och i dag.": "Between the delivery day and today.",
    "Oanvända förbrukningsartiklar tas tillbaka inom {days} dagar från leveransen "
    "({delivered_on}).": (
        "Unused consumables are taken back within {days} days of delivery "
        "({delivered_on})."
    ),
    "Raden kan inte returneras här: {detail}": (
        "The line cannot be returned here: {detail}"
    ),
    "bara lagerförda förbrukningsartiklar": "stocked consumables only",
    "raden är inte levererad": "the line is not delivered",
    # Cycle count
    "Räkna ett parti och bokför differensen med en orsakskod.": (
        "Count a lot and book the difference with a reason code."
    ),
    "Räknat antal förpackningar": "Packs counted",
    "Orsak till differens": "Reason for the difference",
    "Ingen differens": "No difference",
    "Inventeringsdifferens": "Count difference",
    "Skadad": "Damaged",
    "Återfunnen": "Found",
    "Felplacerad": "Misplaced",
    "Annat": "Other",
    "Bokför inventering": "Book count",
    "Inventering bokförd: differens {difference} förp., nytt saldo {on_hand}.": (
        "Count booked: difference {difference} packs, new on hand {on_hand}."
    ),
}
