"""English for the patient portal: choosing a child, my aids, reordering."""

EN: dict[str, str] = {
    # Refusals (sesamlike/orders/ordering.py) and their plain-language forms
    (
        "{article} är ett hjälpmedel som lånas ut och beställs av din förskrivare. "
        "Kontakta mottagningen om du behöver en ny."
    ): (
        "{article} is a device on loan, ordered by your prescriber. Contact the "
        "clinic if you need a new one."
    ),
    "Nästa beställning kan göras från {day}.": "You can order again from {day}.",
    (
        "Du har gjort alla beställningar som förskrivningen räcker till. "
        "Kontakta mottagningen om du behöver en ny förskrivning."
    ): (
        "You have made every order the prescription allows. Contact the clinic if "
        "you need a new prescription."
    ),
    "Du kan beställa högst {n} förpackningar åt gången.": (
        "You can order at most {n} packs at a time."
    ),
    (
        "Du kan beställa {packs} förpackningar åt gången. Det ska gå minst {days} "
        "dagar mellan två beställningar. Förskrivningen gäller till och med "
        "{valid_to}."
    ): (
        "You can order {packs} packs at a time. At least {days} days must pass "
        "between two orders. The prescription is valid until {valid_to}."
    ),
    "Förskrivningen gick ut {day}. Kontakta mottagningen om du behöver en ny.": (
        "The prescription expired on {day}. Contact the clinic if you need a new one."
    ),
    # Statuses and delivery modes in plain words (sesamlike/portal/display.py)
    "Beställd, packas": "Ordered, being packed",
    "Beställd hos leverantören": "Ordered from the supplier",
    "Hem till mig med posten": "To my home by post",
    "Till ett utlämningsställe (ombud) nära mig": "To a pickup point near me",
    "Jag hämtar på apotek": "I collect it at a pharmacy",
    # Choosing a child
    "Barn": "Child",
    "Välj barn": "Choose a child",
    "Välj vilket barn du vill se och beställa hjälpmedel för.": (
        "Choose the child whose aids you want to see and order."
    ),
    "Välj {name}": "Choose {name}",
    "Vald nu": "Chosen now",
    (
        "Du kan inte göra ärenden för barnet här, eftersom barnet har skyddade "
        "personuppgifter. Kontakta barnets mottagning för att beställa."
    ): (
        "You cannot act for this child here, because the child has a protected "
        "identity. Contact the child's clinic to order."
    ),
    "Ditt konto är inte kopplat till något barn. Kontakta barnets mottagning.": (
        "Your account is not linked to any child. Contact the child's clinic."
    ),
    "Du gör nu ärenden för {name}.": "You are now acting for {name}.",
    "Du kan inte längre göra ärenden för det barnet här.": (
        "You can no longer act for that child here."
    ),
    "Du gör ärenden för {name}.": "You are acting for {name}.",
    "Byt barn": "Change child",
    # My aids
    "Hjälpmedel för {name}": "Aids for {name}",
    "Beställ förbrukningsartiklar": "Order supplies",
    "artikelnummer {no}": "article number {no}",
    "Beställningar kvar": "Orders left",
    "Nästa beställning": "Next order",
    "Kan göras nu": "Can be made now",
    "Räcker ungefär till": "Lasts until about",
    "Ingen leverans ännu": "No delivery yet",
    "Beställ {article}": "Order {article}",
    (
        "Datumet för när det räcker till är en uppskattning från den senaste "
        "leveransen och hur mycket man brukar använda per dag."
    ): (
        "The date it lasts until is an estimate from the latest delivery and how "
        "much is usually used per day."
    ),
    "Du har inga giltiga förskrivningar. Kontakta din mottagning.": (
        "You have no valid prescriptions. Contact your clinic."
    ),
    "Lånade hjälpmedel": "Devices on loan",
    "Serienummer": "Serial number",
    "Garanti till och med": "Warranty until",
    "Lånad sedan": "On loan since",
    (
        "Pumpar och läsare lånas ut av regionen. Kontakta mottagningen om något är "
        "fel på dem."
    ): (
        "Pumps and readers are lent by the region. Contact the clinic if something "
        "is wrong with them."
    ),
    "Inga lånade hjälpmedel.": "No devices on loan.",
    "Inga beställningar ännu.": "No orders yet.",
    "Visa alla beställningar": "Show all orders",
    "Beställd {day}": "Ordered {day}",
    "{packs} förp.": "{packs} packs",
    "Sändningsnummer": "Tracking number",
    "Sort": "Kind",
    "Tillbaka till mina hjälpmedel": "Back to my aids",
    # Reordering
    "Beställ hjälpmedel": "Order aids",
    "Granska och skicka": "Check and send",
    "Just nu finns inget som kan beställas.": "There is nothing to order right now.",
    "Vad vill du beställa?": "What do you want to order?",
    "{left} av {total} beställningar kvar.": "{left} of {total} orders left.",
    "Hur vill du få dina hjälpmedel?": "How do you want to receive your aids?",
    "Välj hur du vill få hjälpmedlen.": "Choose how you want to receive the aids.",
    (
        "Du har skyddade personuppgifter. Därför skickas hjälpmedlen till din "
        "mottagning (apoteksvaror hämtar du på apotek)."
    ): (
        "You have a protected identity. Your aids are therefore sent to your clinic "
        "(pharmacy goods you collect at a pharmacy)."
    ),
    "Adress och telefon": "Address and phone",
    (
        "Kontrollera att uppgifterna stämmer. Adressen används när paketet skickas "
        "hem eller till ett utlämningsställe."
    ): (
        "Check that the details are right. The address is used when the parcel goes "
        "to your home or to a pickup point."
    ),
    "Portkod (om det finns)": "Door code (if any)",
    "Mobilnummer för avisering": "Mobile number for notification",
    "Vi skickar ett sms när paketet kan hämtas.": (
        "We send a text message when the parcel can be collected."
    ),
    "Spara adress och telefonnummer som mina nya kontaktuppgifter": (
        "Save the address and phone number as my new contact details"
    ),
    "Skriv gatuadressen.": "Enter the street address.",
    "Skriv orten.": "Enter the city.",
    "Skriv ett telefonnummer med bara siffror.": "Enter a phone number with digits.",
    "Granska beställningen": "Check the order",
    (
        "Beställningen är inte skickad än. Kontrollera uppgifterna och tryck på "
        "Skicka beställningen."
    ): ("The order has not been sent yet. Check the details and press Send the order."),
    "Det här beställer du": "What you are ordering",
    "Leverans": "Delivery",
    "Din mottagning": "Your clinic",
    "Telefon": "Phone",
    "Kontaktuppgifter": "Contact details",
    "Sparas som dina nya": "Saved as your new ones",
    "Ändra": "Change",
    "Tack! Vi har tagit emot din beställning.": (
        "Thank you! We have received your order."
    ),
    # An order
    "Innehåll": "Contents",
    "Levererad {day}": "Delivered {day}",
    "Ångra beställningen": "Undo the order",
    "Beställningen är makulerad.": "The order is cancelled.",
    "Tog slut i går.": "Ran out yesterday.",
    "Tog slut för {n} dagar sedan.": "Ran out {n} days ago.",
    "Tar slut i dag.": "Runs out today.",
    "Tar slut i morgon.": "Runs out tomorrow.",
    "Tar slut om {n} dagar.": "Runs out in {n} days.",
    "Ett hjälpmedel har tagit slut eller tar snart slut:": "One aid has run out or will soon:",
    "{n} hjälpmedel har tagit slut eller tar snart slut:": "{n} aids have run out or will soon:",
    "Beställ nu": "Order now",
    "Vem har tittat på uppgifterna om {name}": "Who has looked at the data about {name}",
    "När (svensk tid)": "When (Swedish time)",
    "Påminnelser": "Reminders",
    "E-post, SMS eller inga påminnelser": "E-mail, SMS or no reminders",
    "E-post": "E-mail",
    "SMS": "SMS",
    "Påminnelser skickas som": "Send reminders as",
    "Skicka inga påminnelser om att beställa": "Send no reminders to reorder",
    "Välj e-post eller SMS.": "Choose e-mail or SMS.",
    "Det finns inget mobilnummer att skicka SMS till. Välj e-post, eller be mottagningen lägga in numret.": "There is no mobile number to send SMS to. Choose e-mail, or ask the clinic to add the number.",
    "Du får inga fler påminnelser om att beställa.": "You will get no more reminders to reorder.",
    "Dina val för påminnelser är sparade.": "Your reminder choices are saved.",
    "När det är dags att beställa igen skickar vi en påminnelse, och sedan en gång i veckan tills en beställning kommer, högst tre gånger. Meddelandet har en länk direkt till beställningen; du loggar in som vanligt.": "When it is time to reorder we send a reminder, then once a week until an order comes, at most three times. The message links straight to the order form; you log in as usual.",
    "Inga påminnelser": "No reminders",
    "Beställningsbekräftelser och besked om leveranser kommer ändå.": "Order confirmations and delivery notices still come.",
}
