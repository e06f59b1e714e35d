"""English for the clinic's work: kits, prescribing rules, work lists, overview,
and the one status model of order lines (orders/status.py)."""

EN: dict[str, str] = {
    # Prescribing rules (prescriptions/errors.py, compatibility.py, kits.py)
    "Första förskrivningen av pump eller CGM (avläsare, sändare eller sensorer) "
    "kräver förskrivningsrätt för nyförskrivning (läkare eller "
    "diabetessjuksköterska med utbildning).": (
        "The first prescription of a pump or of CGM (reader, transmitter or "
        "sensors) needs the right to prescribe for the first time (a doctor or a "
        "diabetes nurse with training)."
    ),
    "{article} passar inte patientens pump ({pumps}). Välj en artikel till "
    "patientens pumpsystem, eller ange orsakskod om den ändå ska förskrivas.": (
        "{article} does not fit the patient's pump ({pumps}). Choose an article "
        "for the patient's pump system, or give a reason code if it is to be "
        "prescribed anyway."
    ),
    "Patienten har ingen pump som {article} passar till. Förskriv pumpen "
    "först, till exempel som ett helt system, eller ange orsakskod om "
    "artikeln ändå ska förskrivas.": (
        "The patient has no pump that {article} fits. Prescribe the pump first, "
        "for example as a whole system, or give a reason code if the article is "
        "to be prescribed anyway."
    ),
    "Välj en artikel som passar patientens pump, eller ange orsakskod.": (
        "Choose an article that fits the patient's pump, or give a reason code."
    ),
    "{article} lånas ut till patienten och förskrivs som 1 uttag av 1 "
    "förpackning. Ändra förpackningar per uttag och antal uttag till 1.": (
        "{article} is lent to the patient and prescribed as 1 withdrawal of 1 "
        "pack. Change packs per withdrawal and the number of withdrawals to 1."
    ),
    "Ange 1 för en pump eller CGM-avläsare.": "Enter 1 for a pump or CGM reader.",
    "Ange 1 uttag för en pump eller CGM-avläsare.": (
        "Enter 1 withdrawal for a pump or CGM reader."
    ),
    "Systemet {system} finns inte i sortimentet. Välj ett av: {known}.": (
        "The system {system} is not in the assortment. Choose one of: {known}."
    ),
    "Välj ett system i sortimentet.": "Choose a system in the assortment.",
    "Välj minst en rad att förskriva.": "Choose at least one line to prescribe.",
    "Välj minst en rad.": "Choose at least one line.",
    "Välj en artikel som ingår i systemet.": "Choose an article of the system.",
    "Artikeln finns redan på en rad.": "The article is on another line already.",
    "Satsen för {system} sparades inte. Rätta de markerade raderna.": (
        "The kit for {system} was not saved. Correct the marked lines."
    ),
    # first_device_to_clinic (orders/errors.py, orders/rules.py)
    "{article} är patientens första pump eller CGM-avläsare och levereras till "
    "mottagningen, där patienten får instruktion. Välj leveranssättet Till "
    "mottagningen (beställ apoteksartiklar i en egen beställning).": (
        "{article} is the patient's first pump or CGM reader and is delivered to "
        "the clinic, where the patient is instructed. Choose delivery To the "
        "clinic (order pharmacy articles in an order of their own)."
    ),
    "Välj Till mottagningen.": "Choose To the clinic.",
    # Kit page
    "Förskriv ett helt system": "Prescribe a whole system",
    "Pumpen eller CGM-avläsaren och förbrukningsmaterialet i en förskrivning: "
    "förstahandsvalet i varje kategori, med mängder efter förväntad användning. "
    "Ändra det som behövs innan du sparar.": (
        "The pump or CGM reader and the consumables in one prescription: the "
        "first choice in each category, with quantities from expected use. "
        "Change what is needed before you save."
    ),
    "Patientens pump i dag: {pumps}.": "The patient's pump today: {pumps}.",
    "– Välj system –": "– Choose a system –",
    "Visa förslaget": "Show the proposal",
    "Förslag för {system}": "Proposal for {system}",
    "Bocka ur det patienten inte ska ha. Väljer du en annan artikel än "
    "förstahandsvalet behövs orsakskod och motivering.": (
        "Untick what the patient should not have. If you choose another article "
        "than the first choice, a reason code and a justification are needed."
    ),
    "Förskriv": "Prescribe",
    "Förskriv {what}": "Prescribe {what}",
    "Lånas ut till patienten: 1 uttag av 1 förpackning, giltig ett år.": (
        "Lent to the patient: 1 withdrawal of 1 pack, valid one year."
    ),
    "Förstahandsval {name}: {packs} förpackningar per uttag räcker 90 dagar vid "
    "{units} per dag och {size} per förpackning.": (
        "First choice {name}: {packs} packs per withdrawal last 90 days at "
        "{units} a day and {size} a pack."
    ),
    "Förstahandsval {name}.": "First choice {name}.",
    "Avvikelse från förstahandsvalet": "Departure from the first choice",
    "Gäller alla rader": "For every line",
    "Alla rader gäller ett år från detta datum.": (
        "Every line is valid one year from this date."
    ),
    "Spara förskrivningarna": "Save the prescriptions",
    "{n} förskrivningar för {system} är sparade.": (
        "{n} prescriptions for {system} are saved."
    ),
    "1 förskrivning för {system} är sparad.": "1 prescription for {system} is saved.",
    # New-prescription page
    "En pump eller ett CGM-system förskrivs enklast som en helhet, med "
    "förbrukningsmaterial och mängder efter förväntad användning.": (
        "A pump or CGM system is best prescribed as a whole, with consumables "
        "and quantities from expected use."
    ),
    "En pump eller CGM-avläsare lånas ut: 1 förpackning och 1 uttag.": (
        "A pump or CGM reader is lent: 1 pack and 1 withdrawal."
    ),
    # Prescriptions page
    "Visa förskrivningar": "Show prescriptions",
    "Aktuella": "Current",
    "Alla, även utgångna och makulerade": "All, expired and cancelled too",
    "1 utgången eller makulerad förskrivning visas inte.": (
        "1 expired or cancelled prescription is not shown."
    ),
    "{n} utgångna eller makulerade förskrivningar visas inte.": (
        "{n} expired or cancelled prescriptions are not shown."
    ),
    "Visa alla": "Show all",
    "Patientens förskrivningar, aktiva först": (
        "The patient's prescriptions, active ones first"
    ),
    "Räcker till": "Lasts until",
    "Patienten har inga aktuella förskrivningar.": (
        "The patient has no current prescriptions."
    ),
    # A patient's pages
    "Patientens sidor": "The patient's pages",
    "Patientuppgifter": "Patient details",
    # Status model (orders/status.py), shown to prescribers, patients and depot
    "Restnoterad, väntar på varor": "Backordered, waiting for stock",
    "Hos apoteket": "At the pharmacy",
    "Okänd status": "Unknown status",
    "Varorna är reserverade i hjälpmedelscentralens lager och packas för leverans.": (
        "The goods are reserved in the aids centre's stock and are being packed "
        "for delivery."
    ),
    "Varan finns inte i lager just nu. Hjälpmedelscentralen skickar den när "
    "den har kommit in.": (
        "The item is out of stock just now. The aids centre sends it when it has "
        "come in."
    ),
    "Leverantören har fått beställningen och levererar direkt.": (
        "The supplier has the order and delivers directly."
    ),
    "Apoteket har fått förskrivningen. Varan hämtas ut på apotek eller skickas "
    "av apoteket.": (
        "The pharmacy has the prescription. The item is collected at a pharmacy "
        "or sent by the pharmacy."
    ),
    "Leverantören har skickat varan och den är på väg.": (
        "The supplier has sent the item and it is on its way."
    ),
    "Paketet har lämnat hjälpmedelscentralen och är på väg.": (
        "The parcel has left the aids centre and is on its way."
    ),
    "Apoteket har lämnat ut varan.": "The pharmacy has dispensed the item.",
    "Varan är levererad.": "The item is delivered.",
    "Raden är makulerad och levereras inte.": (
        "The line is cancelled and will not be delivered."
    ),
    "Varan har kommit tillbaka till hjälpmedelscentralen.": (
        "The item has come back to the aids centre."
    ),
    "Varan är på väg till mottagningen.": "The item is on its way to the clinic.",
    "Varan har kommit till mottagningen och väntar på patienten.": (
        "The item has arrived at the clinic and waits for the patient."
    ),
    "Patienten har hämtat varan på mottagningen.": (
        "The patient has collected the item at the clinic."
    ),
    "Beställningen kan makuleras tills något i den har skickats eller lämnats "
    "ut.": "The order can be cancelled until something in it has been sent or "
    "dispensed.",
    "Du kan makulera beställningen tills något i den har skickats eller lämnats "
    "ut.": "You can cancel the order until something in it has been sent or dispensed.",
    "Något i beställningen har redan skickats eller lämnats ut, så den kan inte "
    "makuleras. Kontakta hjälpmedelscentralen om en retur.": (
        "Something in the order has been sent or dispensed already, so it cannot "
        "be cancelled. Contact the aids centre about a return."
    ),
    "Vad händer": "What happens",
    "Levererad {day}.": "Delivered {day}.",
    "Hämtad på mottagningen": "Collected at the clinic",
    "Bekräftad av leverantören": "Confirmed by the supplier",
    # Work lists
    "Arbetslistor": "Work lists",
    "Restnoterat, försenat, att hämta, förskrivningar som tar slut": (
        "Backorders, late lines, to collect, prescriptions running out"
    ),
    "Arbetslistorna är förskrivarnas.": "The work lists are the prescribers'.",
    "Välj en av dina vårdenheter.": "Choose one of your clinics.",
    "Restnoterade": "Backordered",
    "Hos leverantör eller apotek": "At the supplier or pharmacy",
    "Väntar på mottagningen": "Waiting at the clinic",
    "Försenade": "Late",
    "Förskrivningar som tar slut": "Prescriptions running out",
    "Garantin går ut": "Warranty ending",
    "Rader som väntar på varor i hjälpmedelscentralens lager.": (
        "Lines waiting for goods in the aids centre's stock."
    ),
    "Rader som leverantören eller apoteket har fått men inte levererat.": (
        "Lines the supplier or pharmacy has received but not delivered."
    ),
    "Leveranser till mottagningen som patienten inte har hämtat. Markera dem "
    "när patienten har hämtat.": (
        "Deliveries to the clinic the patient has not collected. Mark them when "
        "the patient has collected them."
    ),
    "Rader som inte är levererade inom kanalens ledtid: 5 arbetsdagar från "
    "hjälpmedelscentralen, 10 från leverantör och apotek.": (
        "Lines not delivered within their channel's lead time: 5 working days "
        "from the aids centre, 10 from supplier and pharmacy."
    ),
    "Förskrivningar av förbrukningsmaterial som tar slut inom vald tid eller "
    "nyss har tagit slut, och som inte är förnyade.": (
        "Prescriptions of consumables that run out within the chosen time or "
        "just have, and are not renewed."
    ),
    "Utlånade pumpar och läsare vars garanti går ut inom vald tid.": (
        "Lent pumps and readers whose warranty ends within the chosen time."
    ),
    "Alla mina vårdenheter": "All my clinics",
    "Alla kanaler": "All channels",
    "Tar slut eller går ut inom": "Runs out or ends within",
    "Listorna": "The lists",
    "Exportera CSV": "Export CSV",
    "Listan visar de 500 första raderna. Välj en vårdenhet eller kanal, eller "
    "exportera hela listan.": (
        "The list shows the first 500 rows. Choose a clinic or channel, or export "
        "the whole list."
    ),
    "Inget på den här listan just nu.": "Nothing on this list just now.",
    "Levereras senast": "Due by",
    "Försenad": "Late",
    "Hämtad av patienten": "Collected by the patient",
    "Nr {id}": "No. {id}",
    "giltig till {day}": "valid until {day}",
    "Har tagit slut": "Has run out",
    "i dag": "today",
    "om {n} dagar": "in {n} days",
    "Hjälpmedel": "Aid",
    "Utlånad sedan": "Lent since",
    "Garantin har gått ut": "Warranty has ended",
    "Beställning {id} är markerad som hämtad av {name}.": (
        "Order {id} is marked as collected by {name}."
    ),
    "Beställning {order_id} väntar inte på mottagningen: den ska inte levereras "
    "dit, har inte kommit än eller är redan hämtad.": (
        "Order {order_id} is not waiting at the clinic: it is not delivered "
        "there, has not arrived yet or is collected already."
    ),
    # Patient overview
    "Översikt över hjälpmedel": "Overview of aids",
    "Sammanfattning": "Summary",
    "Aktuella förskrivningar": "Current prescriptions",
    "Beställningar på väg": "Orders on their way",
    "Hjälpmedel i bruk": "Aids in use",
    "I bruk sedan": "In use since",
    "Garantin går snart ut": "Warranty ends soon",
    "Patienten har inga utlånade pumpar eller läsare.": (
        "The patient has no lent pumps or readers."
    ),
    "Alla förskrivningar": "All prescriptions",
    "Snart slut": "Running out soon",
    "Lånas ut": "Lent",
    "Förnya eller makulera": "Renew or cancel",
    "Senaste beställningar": "Latest orders",
}
