"""English for prescriptions: rules, refusals, the pages and the API schema."""

EN: dict[str, str] = {
    # Refusals (orders/errors.py and the service)
    "Be en förskrivare med rätt till nyförskrivning att göra den första "
    "förskrivningen.": (
        "Ask a prescriber with the first-time right to make the first prescription."
    ),
    "Ange orsakskod och motivering: {detail}": (
        "Give a reason code and a justification: {detail}"
    ),
    "Artikeln {article_no} är utgången eller utanför avtal och kan inte förskrivas.": (
        "The article {article_no} is phased out or outside its contract and cannot "
        "be prescribed."
    ),
    "Artikeln {article_no} är utgången sedan {valid_to} och kan inte förskrivas. "
    "Välj en artikel i gällande avtal.": (
        "The article {article_no} was phased out on {valid_to} and cannot be "
        "prescribed. Choose an article in the current contract."
    ),
    "Artikeln {article_no} ingår i avtalet först från {valid_from} och kan inte "
    "förskrivas än. Välj en annan artikel.": (
        "The article {article_no} enters the contract only on {valid_from} and "
        "cannot be prescribed yet. Choose another article."
    ),
    "Välj en artikel som ingår i gällande avtal.": (
        "Choose an article in the current contract."
    ),
    "Artikeln {article_no} finns inte i sortimentet.": (
        "The article {article_no} is not in the assortment."
    ),
    "Artikeln finns inte. Kontrollera artikelnumret.": (
        "No such article. Check the article number."
    ),
    "Artikeln {article_no} är inte upphandlad. Välj en upphandlad artikel, eller "
    "ange orsakskod och motivering till avvikelsen.": (
        "The article {article_no} is not procured. Choose a procured article, or "
        "give a reason code and a justification for the deviation."
    ),
    "Artikeln {article_no} är inte förstahandsval i sin kategori. Välj "
    "förstahandsvalet, eller ange orsakskod och motivering till avvikelsen.": (
        "The article {article_no} is not the first choice in its category. Choose "
        "the first choice, or give a reason code and a justification for the "
        "deviation."
    ),
    "Välj en orsakskod.": "Choose a reason code.",
    "Skriv en motivering.": "Write a justification.",
    "Okänd orsakskod. Välj medicinska skäl, fungerar inte för patienten, "
    "patientens önskemål eller annat.": (
        "Unknown reason code. Choose medical reasons, does not work for the patient, "
        "the patient's wish or other."
    ),
    "Motiveringen får vara högst 500 tecken.": (
        "The justification may be at most 500 characters."
    ),
    "Bara förskrivare kan förskriva, förnya och makulera förskrivningar.": (
        "Only prescribers can prescribe, renew and cancel prescriptions."
    ),
    "Förskrivningen sparades inte. Rätta de markerade uppgifterna.": (
        "The prescription was not saved. Correct the marked fields."
    ),
    "Ange ett heltal.": "Enter a whole number.",
    "Ange ett datum som ÅÅÅÅ-MM-DD.": "Enter a date as YYYY-MM-DD.",
    "Ange text.": "Enter text.",
    "Okänt fält.": "Unknown field.",
    "Ange 1–999 förpackningar per uttag.": "Enter 1–999 packs per withdrawal.",
    "Ange 1–99 uttag.": "Enter 1–99 withdrawals.",
    "Ange en period på 1–730 dagar.": "Enter a period of 1–730 days.",
    "Spärrtiden ska vara 0 dagar till hela perioden.": (
        "The time lock must be from 0 days to the whole period."
    ),
    "Giltig till får inte vara före giltig från.": (
        "Valid to may not be before valid from."
    ),
    "Giltigheten får vara högst ett år. Välj ett tidigare slutdatum.": (
        "A prescription is valid for at most one year. Choose an earlier end date."
    ),
    "Giltigheten får vara högst två år för CGM-sensorer. Välj ett tidigare "
    "slutdatum.": (
        "CGM sensors may be prescribed for at most two years. Choose an earlier end "
        "date."
    ),
    "Alla uttag hinner inte göras inom giltighetstiden med den spärrtiden. Minska "
    "antalet uttag, korta spärrtiden eller förläng giltigheten.": (
        "Not every withdrawal can be made within the validity with that time lock. "
        "Reduce the withdrawals, shorten the time lock or extend the validity."
    ),
    "Kostnadsstället ska vara högst 20 tecken: bokstäver, siffror, bindestreck.": (
        "The cost centre must be at most 20 characters: letters, digits, hyphens."
    ),
    "Välj en av dina vårdenheter där patienten har vårdrelation.": (
        "Choose one of your clinics where the patient has a care relationship."
    ),
    "Förskrivningen är redan makulerad. Inget har ändrats.": (
        "The prescription is already cancelled. Nothing was changed."
    ),
    "En makulerad förskrivning kan inte förnyas. Gör en ny förskrivning i stället.": (
        "A cancelled prescription cannot be renewed. Make a new prescription instead."
    ),
    "Förskrivningen är redan förnyad. Förnya den nya förskrivningen, eller "
    "makulera den först.": (
        "The prescription is already renewed. Renew the new prescription, or cancel "
        "it first."
    ),
    # The form
    "Artikel": "Article",
    "Förpackningar per uttag": "Packs per withdrawal",
    "Antal uttag": "Number of withdrawals",
    "Dagar per uttag": "Days per withdrawal",
    "Giltig från": "Valid from",
    "Giltig till": "Valid to",
    "Spärrtid före nästa uttag (dagar)": "Time lock before the next withdrawal (days)",
    "Orsakskod": "Reason code",
    "Motivering": "Justification",
    "Förskrivande vårdenhet": "Prescribing clinic",
    "Betalande kostnadsställe": "Paying cost centre",
    "Högst 500 tecken.": "At most 500 characters.",
    "Högst 20 tecken.": "At most 20 characters.",
    "– Välj artikel –": "– Choose an article –",
    "– Ingen avvikelse –": "– No deviation –",
    "kostnadsställe": "cost centre",
    "Medicinska skäl (t.ex. hudproblem, allergi)": (
        "Medical reasons (e.g. skin problems, allergy)"
    ),
    "Upphandlad produkt fungerar inte för patienten i praktiken": (
        "The procured product does not work for the patient in practice"
    ),
    "Patientens önskemål": "The patient's wish",
    "Annat": "Other",
    "ej upphandlad": "not procured",
    "★ förstahandsval": "★ first choice",
    "upphandlad, ej förstahandsval": "procured, not first choice",
    "Ny förskrivning": "New prescription",
    "Bara artiklar i gällande avtal visas. ★ = förstahandsval i kategorin.": (
        "Only articles in the current contract are shown. ★ = first choice in the "
        "category."
    ),
    "Hur många dagar ett uttag ska räcka.": "How many days one withdrawal lasts.",
    "Lämna tomt för ett år. Högst ett år, två år för CGM-sensorer.": (
        "Leave empty for one year. At most one year, two years for CGM sensors."
    ),
    "Lämna tomt för två tredjedelar av perioden.": (
        "Leave empty for two thirds of the period."
    ),
    "Avvikelse från sortimentet": "Deviation from the assortment",
    "Orsakskod och motivering krävs när artikeln inte är upphandlad eller inte är "
    "förstahandsval i sin kategori.": (
        "A reason code and a justification are required when the article is not "
        "procured or not the first choice in its category."
    ),
    "Lämna tomt för vårdenhetens kostnadsställe.": (
        "Leave empty for the clinic's cost centre."
    ),
    "Spara förskrivningen": "Save the prescription",
    "Förskrivningen av {article} är sparad.": "The prescription of {article} is saved.",
    # The list
    "Förskrivningar": "Prescriptions",
    "Giltighetstiden har gått ut": "Expired",
    "Alla uttag gjorda": "Used up",
    "Makulerad": "Cancelled",
    "Artikelnr": "Article no.",
    "System": "System",
    "Förpackningar × uttag": "Packs × withdrawals",
    "{n} dagar per uttag": "{n} days per withdrawal",
    "Uttag kvar": "Withdrawals left",
    "{left} av {total}": "{left} of {total}",
    "Nästa uttag tidigast": "Next withdrawal from",
    "uttag kan göras nu": "can be made now",
    "Giltig": "Valid",
    "Spärrtid": "Time lock",
    "{n} dagar": "{n} days",
    "Leveranskanal": "Delivery channel",
    "Kostnadsställe": "Cost centre",
    "Avvikelse": "Deviation",
    "Förnyelse av": "Renewal of",
    "tidigare förskrivning": "earlier prescription",
    "Förnya": "Renew",
    "En ny förskrivning med samma villkor skapas. Den här finns kvar i historiken.": (
        "A new prescription with the same terms is made. This one stays in the history."
    ),
    "Ja, förnya": "Yes, renew",
    "Makulera": "Cancel",
    "Makulera förskrivningen? Inga fler uttag kan göras på den.": (
        "Cancel the prescription? No more withdrawals can be made on it."
    ),
    "Ja, makulera": "Yes, cancel",
    "Patienten har inga förskrivningar.": "The patient has no prescriptions.",
    "Förskrivningen av {article} är förnyad och gäller {valid_from}–{valid_to}.": (
        "The prescription of {article} is renewed and valid {valid_from}–{valid_to}."
    ),
    "Förskrivningen av {article} är makulerad.": (
        "The prescription of {article} is cancelled."
    ),
}
