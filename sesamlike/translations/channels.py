"""English for the supplier and pharmacy channels, proposals and reorder points."""

EN: dict[str, str] = {
    # Pages and navigation
    "Kanaler och påfyllning": "Channels and replenishment",
    "Översikt": "Overview",
    "Leverantörsfiler": "Supplier files",
    "Apotek och e-recept": "Pharmacy and e-prescriptions",
    "Inköpsförslag": "Purchase proposals",
    "Beställningspunkter": "Reorder points",
    "Beställningar som går via leverantör eller apotek, inköpsförslag och lotter "
    "som snart går ut.": (
        "Orders that go through a supplier or a pharmacy, purchase proposals and "
        "lots that expire soon."
    ),
    "Väntar på leverantörsfil": "Waiting for a supplier file",
    "Inga leverantörsrader väntar.": "No supplier lines are waiting.",
    "{n} rader": "{n} lines",
    "Öppna e-recept: {n}": "Open e-prescriptions: {n}",
    "Öppna förslag: {n}": "Open proposals: {n}",
    "Lotter som går ut inom 60 dagar": "Lots expiring within 60 days",
    "Lot": "Lot",
    "Utgångsdatum": "Expiry date",
    "I lager (förp.)": "On hand (packs)",
    "I karantän": "In quarantine",
    "Går snart ut": "Expires soon",
    "Inga lotter går ut inom 60 dagar.": "No lots expire within 60 days.",
    "Filen lästes inte in": "The file was not imported",
    "rad {line}": "line {line}",
    # Supplier files
    "En CSV-fil per leverantör och dag med rader som levereras direkt till "
    "patienten eller mottagningen.": (
        "One CSV file per supplier and day, with lines delivered straight to the "
        "patient or the clinic."
    ),
    "Skapa dagens filer": "Create the day's files",
    "Väntar på fil:": "Waiting for a file:",
    "Dag": "Day",
    "Rader beställda till och med dagen. En dag som redan har en fil behåller den.": (
        "Lines ordered up to and including the day. A day that already has a file "
        "keeps it."
    ),
    "Skapa filer": "Create files",
    "Filer": "Files",
    "Fil": "File",
    "Ladda ned": "Download",
    "Inga filer ännu.": "No files yet.",
    "Makulerade efter att filen skickats": "Cancelled after the file was sent",
    "Meddela leverantören att raderna inte ska levereras.": (
        "Tell the supplier that these lines must not be delivered."
    ),
    "orderrad {id}": "order line {id}",
    "Läs in status från leverantör": "Import status from a supplier",
    "Kolumner: line_id, status (confirmed, shipped, delivered, cancelled), "
    "tracking_ref, delivered_on. Hela filen eller inget läses in.": (
        "Columns: line_id, status (confirmed, shipped, delivered, cancelled), "
        "tracking_ref, delivered_on. The whole file is imported, or nothing."
    ),
    "CSV-fil": "CSV file",
    "Välj en fil.": "Choose a file.",
    "Läs in status": "Import status",
    "Skickad": "Sent",
    "Bekräftad": "Confirmed",
    "Skickad av leverantören": "Shipped by the supplier",
    "Levererad": "Delivered",
    "Makulerad av leverantören": "Cancelled by the supplier",
    "Ange ett datum.": "Enter a date.",
    "{n} leverantörsfiler för {day}.": "{n} supplier files for {day}.",
    "Statusfilen är inläst: {confirmed} bekräftade, {shipped} skickade, {delivered} "
    "levererade, {cancelled} makulerade, {unchanged} oförändrade.": (
        "The status file is imported: {confirmed} confirmed, {shipped} shipped, "
        "{delivered} delivered, {cancelled} cancelled, {unchanged} unchanged."
    ),
    "Filen är större än 5 MB.": "The file is larger than 5 MB.",
    "Filen är inte UTF-8 (byte {n}).": "The file is not UTF-8 (byte {n}).",
    # Pharmacy
    "Apoteksrader blir e-recept som patienten hämtar ut. Expedieringar från "
    "apoteken markerar raderna levererade.": (
        "Pharmacy lines become e-prescriptions the patient collects. Dispensings "
        "reported by the pharmacies mark the lines delivered."
    ),
    "Skapa e-recept för nya apoteksrader": (
        "Issue e-prescriptions for new pharmacy lines"
    ),
    "Öppna e-recept": "Open e-prescriptions",
    "E-recept": "E-prescription",
    "Orderrad": "Order line",
    "Förp.": "Packs",
    "Expedierat": "Dispensed",
    "Giltigt": "Valid",
    "Inga öppna e-recept.": "No open e-prescriptions.",
    "Läs in expedieringar": "Import dispensings",
    "Kolumner: pharmacy_prescription_id, dispensing_ref, pharmacy_id, "
    "pharmacy_name, dispensed_on, packs. Hela filen eller inget läses in.": (
        "Columns: pharmacy_prescription_id, dispensing_ref, pharmacy_id, "
        "pharmacy_name, dispensed_on, packs. The whole file is imported, or nothing."
    ),
    "{n} nya e-recept.": "{n} new e-prescriptions.",
    "Expedieringarna är inlästa: {dispensings} expedieringar ({partial} delvis), "
    "{unchanged} redan kända.": (
        "The dispensings are imported: {dispensings} dispensings ({partial} "
        "partial), {unchanged} already known."
    ),
    # Proposals and reorder points
    "Artiklar vid eller under beställningspunkten, per leverantör. Förslagen räknas "
    "om varje natt.": (
        "Articles at or below their reorder point, by supplier. The proposals are "
        "recomputed every night."
    ),
    "Kontrollera lagret nu": "Check stock now",
    "Disponibelt (förp.)": "Available (packs)",
    "Beställningspunkt": "Reorder point",
    "Föreslaget (förp.)": "Proposed (packs)",
    "Förslag": "Proposed",
    "Avfärda": "Dismiss",
    "Inga inköpsförslag.": "No purchase proposals.",
    "Nya förslag: {proposed}, uppdaterade: {updated}.": (
        "New proposals: {proposed}, updated: {updated}."
    ),
    "Förslaget är redan hanterat.": "The proposal has already been handled.",
    "När disponibelt lager i ett lager når beställningspunkten föreslås inköp upp "
    "till den nivå du anger.": (
        "When available stock in a depot reaches the reorder point, a purchase up "
        "to the level you give is proposed."
    ),
    "Lägg till eller ändra": "Add or change",
    "Artikelnummer": "Article number",
    "Ange artikelnummer.": "Enter an article number.",
    "Beställningspunkt (förp.)": "Reorder point (packs)",
    "Fyll på upp till (förp.)": "Order up to (packs)",
    "Fyll på upp till": "Order up to",
    "Ange 0 eller mer.": "Enter 0 or more.",
    "Ange 1 eller mer.": "Enter 1 or more.",
    "Ange ett heltal, 0 eller mer.": "Enter a whole number, 0 or more.",
    "Ska vara större än beställningspunkten.": (
        "Must be greater than the reorder point."
    ),
    "Okänt lager.": "Unknown depot.",
    "Okänt artikelnummer.": "Unknown article number.",
    "Inga beställningspunkter ännu.": "No reorder points yet.",
    "Beställningspunkten är sparad.": "The reorder point is saved.",
    "Beställningspunkten är borttagen.": "The reorder point is removed.",
    # File problems and refusals
    "Filen har fel på {count} rader; inget importerades.": (
        "The file has errors on {count} lines; nothing was imported."
    ),
    "Statusfilen har fel på {count} rader; inget importerades.": (
        "The status file has errors on {count} lines; nothing was imported."
    ),
    "Expedieringsfilen har fel på {count} rader; inget importerades.": (
        "The dispensing file has errors on {count} lines; nothing was imported."
    ),
    "Filen innehåller inga rader.": "The file has no rows.",
    "Filen har fler än {n} rader.": "The file has more than {n} rows.",
    "Okänd status «{value}»; tillåtna: {allowed}.": (
        "Unknown status «{value}»; allowed: {allowed}."
    ),
    "Orderraden {line_id} står redan på rad {line}.": (
        "Order line {line_id} is already on line {line}."
    ),
    "Orderraden {line_id} finns inte i någon leverantörsfil.": (
        "Order line {line_id} is in no supplier file."
    ),
    "Leveransdatumet {value} är före beställningen ({ordered_on}).": (
        "The delivery date {value} is before the order ({ordered_on})."
    ),
    "Orderraden {line_id} är makulerad.": "Order line {line_id} is cancelled.",
    "Orderraden {line_id} är redan skickad och kan inte makuleras.": (
        "Order line {line_id} has already been shipped and cannot be cancelled."
    ),
    "Orderraden {line_id} är redan skickad med sändningsnummer {tracking_ref}.": (
        "Order line {line_id} has already been shipped with tracking number "
        "{tracking_ref}."
    ),
    "Orderraden {line_id} är redan levererad {delivered_on}.": (
        "Order line {line_id} was already delivered on {delivered_on}."
    ),
    "Orderraden {line_id} ändrades under importen; försök igen.": (
        "Order line {line_id} changed during the import; try again."
    ),
    "Leverantörsfiler kan inte skapas för ett datum i framtiden ({day}).": (
        "Supplier files cannot be created for a future date ({day})."
    ),
    "Välj dagens datum eller ett tidigare.": "Choose today or an earlier date.",
    "Expedieringsdatumet {value} ligger i framtiden.": (
        "The dispensing date {value} is in the future."
    ),
    "Expedieringen {ref} från apotek {pharmacy_id} står redan på rad {line}.": (
        "Dispensing {ref} from pharmacy {pharmacy_id} is already on line {line}."
    ),
    "E-receptet {id} finns inte.": "E-prescription {id} does not exist.",
    "Expedieringen {ref} är redan inläst med andra uppgifter.": (
        "Dispensing {ref} has already been imported with other details."
    ),
    "E-receptet {id} gäller en orderrad som inte väntar på apoteket.": (
        "E-prescription {id} is for an order line that is not waiting at the pharmacy."
    ),
    "E-receptet {id} gäller {valid_from}–{valid_to}.": (
        "E-prescription {id} is valid {valid_from} to {valid_to}."
    ),
    "E-receptet {id} har bara {left} förpackningar kvar.": (
        "E-prescription {id} has only {left} packs left."
    ),
}
