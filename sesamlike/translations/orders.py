"""English for ordering: order pages, order errors, line statuses, reservations."""

EN: dict[str, str] = {
    # Refusals (sesamlike/orders/errors.py, sesamlike/stock/reservations.py)
    "Nästa uttag är möjligt från {opens_on}.": (
        "The next withdrawal is possible from {opens_on}."
    ),
    "Förskrivningen räcker inte: {detail}": (
        "The prescription does not cover it: {detail}"
    ),
    "Alla uttag på förskrivningen är gjorda. Be förskrivaren om en förnyelse.": (
        "Every withdrawal on the prescription has been made. Ask the prescriber to "
        "renew it."
    ),
    "Förskrivningen är inte aktiv ({status}).": (
        "The prescription is not active ({status})."
    ),
    "Beställningen kan inte makuleras: den är redan skickad eller levererad.": (
        "The order cannot be cancelled: it has already shipped or been delivered."
    ),
    (
        "Förskrivningen av {article} gick ut {valid_to}. Be förskrivaren om en ny "
        "förskrivning."
    ): (
        "The prescription of {article} expired on {valid_to}. Ask the prescriber for "
        "a new prescription."
    ),
    "Förskrivningen av {article} är makulerad och kan inte användas.": (
        "The prescription of {article} is cancelled and cannot be used."
    ),
    (
        "Förskrivningen {prescription_id} finns inte hos patienten. Välj en av "
        "patientens förskrivningar."
    ): (
        "Prescription {prescription_id} is not the patient's. Choose one of the "
        "patient's prescriptions."
    ),
    "Högst {max_packs} förpackningar per uttag av {article}. Minska antalet.": (
        "At most {max_packs} packs per withdrawal of {article}. Lower the number."
    ),
    "Välj minst en förskrivning att beställa från.": (
        "Choose at least one prescription to order from."
    ),
    (
        "Förskrivningen {prescription_id} finns på flera rader. Beställ ett uttag per"
        " förskrivning."
    ): (
        "Prescription {prescription_id} is on more than one line. Order one "
        "withdrawal per prescription."
    ),
    "Leveranssättet passar inte artiklarna i beställningen. Välj ett av: {allowed}.": (
        "The delivery mode does not suit the articles in the order. Choose one of: "
        "{allowed}."
    ),
    (
        "Patienten har skyddade personuppgifter: leverans sker till mottagningen "
        "(apoteksartiklar hämtas på apotek). Välj det leveranssättet."
    ): (
        "The patient has a protected identity: delivery goes to the clinic (pharmacy "
        "articles are collected at a pharmacy). Choose that delivery mode."
    ),
    (
        "Artiklarna i beställningen kan inte levereras på samma sätt. Dela upp dem i "
        "två beställningar."
    ): (
        "The articles in the order cannot be delivered the same way. Split them into "
        "two orders."
    ),
    (
        "Det finns inget lager att reservera eller restnotera i. Kontakta "
        "hjälpmedelscentralen."
    ): ("There is no depot to reserve or backorder in. Contact the aids centre."),
    # Field messages (pages and API)
    "Okänd förskrivning.": "Unknown prescription.",
    "För många förpackningar.": "Too many packs.",
    "Finns redan på en rad.": "Already on a line.",
    "Välj minst en rad.": "Choose at least one line.",
    "Ange minst 1.": "Enter at least 1.",
    "Ange antal förpackningar.": "Enter the number of packs.",
    "Välj ett annat leveranssätt.": "Choose another delivery mode.",
    "Välj leveranssätt.": "Choose a delivery mode.",
    "Högst 80 tecken.": "At most 80 characters.",
    "För lång text.": "Text too long.",
    "Ange ett heltal.": "Enter a whole number.",
    "Leveranssättet ska vara home, clinic, pickup eller pharmacy.": (
        "The delivery mode must be home, clinic, pickup or pharmacy."
    ),
    "Not a valid choice.": "Not a valid choice.",
    "Not a valid integer value.": "Not a valid integer value.",
    # Line statuses, delivery modes
    "Restnoterad": "Backordered",
    "Skickad": "Shipped",
    "Levererad": "Delivered",
    "Makulerad": "Cancelled",
    "Returnerad": "Returned",
    "Hem med post": "Home by post",
    "Till mottagningen": "To the clinic",
    "Till ombud (utlämningsställe)": "To a pickup point",
    "Hämtas på apotek": "Collected at a pharmacy",
    # Forms and pages
    "Beställ": "Order",
    "Antal förpackningar": "Number of packs",
    "Leveranssätt": "Delivery mode",
    "Beställningen är skickad.": "The order has been sent.",
    "Beställningen var redan skickad. Här är den.": (
        "The order had already been sent. Here it is."
    ),
    "Beställningen är makulerad. Uttagen är återförda till förskrivningarna.": (
        "The order is cancelled. The withdrawals are back on the prescriptions."
    ),
    "Beställningar": "Orders",
    "Ny beställning": "New order",
    "Patienten har inga aktiva förskrivningar att beställa från.": (
        "The patient has no active prescriptions to order from."
    ),
    "Till förskrivningarna": "To the prescriptions",
    "Välj förskrivningar": "Choose prescriptions",
    "Ett uttag per förskrivning. Antalet är förvalt till det förskrivna per uttag.": (
        "One withdrawal per prescription. The number is preset to what is prescribed "
        "per withdrawal."
    ),
    "{left} av {total} uttag kvar": "{left} of {total} withdrawals left",
    "Antal förpackningar (högst {n})": "Number of packs (at most {n})",
    "Kan inte beställas nu.": "Cannot be ordered now.",
    (
        "Patienten har skyddade personuppgifter. Leverans sker till mottagningen "
        "(apoteksartiklar hämtas på apotek)."
    ): (
        "The patient has a protected identity. Delivery goes to the clinic (pharmacy "
        "articles are collected at a pharmacy)."
    ),
    (
        "Första pump eller CGM-läsare levereras till mottagningen, så att patienten "
        "kan få instruktion."
    ): (
        "A first pump or CGM reader is delivered to the clinic, so that the patient "
        "can be instructed."
    ),
    "Patientens leveransadress": "The patient's delivery address",
    "portkod": "door code",
    (
        "Används vid leverans hem eller till ombud. Vid leverans till mottagningen "
        "används mottagningens adress."
    ): (
        "Used for delivery home or to a pickup point. Delivery to the clinic uses the"
        " clinic's address."
    ),
    "Skicka beställningen": "Send the order",
    "Beställningsnummer": "Order number",
    "Status": "Status",
    "Beställd": "Ordered",
    "Leveransadress": "Delivery address",
    "Skyddad": "Protected",
    "Hämtas på valfritt apotek": "Collected at any pharmacy",
    "Rader": "Lines",
    "Artikel": "Article",
    "Förpackningar": "Packs",
    "Kanal": "Channel",
    "Beställning {id}": "Order {id}",
    "Beställningen är mottagen": "The order has been received",
    (
        "Beställningsnummer {id}. Spara numret om patienten eller "
        "hjälpmedelscentralen frågar."
    ): (
        "Order number {id}. Keep the number in case the patient or the aids centre "
        "asks."
    ),
    "Visa beställningen": "Show the order",
    "Alla beställningar": "All orders",
    "Makulera beställningen": "Cancel the order",
    (
        "Raderna makuleras, reserverat lager frigörs och uttagen återförs till "
        "förskrivningarna."
    ): (
        "The lines are cancelled, reserved stock is released and the withdrawals go "
        "back to the prescriptions."
    ),
    "Ja, makulera": "Yes, cancel",
    "Nr": "No.",
    "Artiklar": "Articles",
    "Patienten har inga beställningar.": "The patient has no orders.",
}
