"""English for the patient pages, forms, services and API schema."""

EN: dict[str, str] = {
    # Search
    "Sök patient": "Search patient",
    "Personnummer (ÅÅÅÅMMDD-NNNN eller ÅÅMMDD-NNNN), födelsedatum, reservnummer eller "
    "namn. Bara patienter med vårdrelation till din vårdenhet visas.":
        "Personal identity number (YYYYMMDD-NNNN or YYMMDD-NNNN), birth date, reserve "
        "number or name. Only patients with a care relationship with your clinic "
        "are shown.",
    "Sök": "Search",
    "{n} träffar": "{n} matches",
    "1 träff": "1 match",
    "Sökresultat": "Search results",
    "Åldersgrupp": "Age group",
    "Skyddad": "Protected",
    "Sidor": "Pages",
    "Föregående": "Previous",
    "Nästa": "Next",
    "Sida {page} av {pages}": "Page {page} of {pages}",
    "Registrera patient": "Register patient",
    "Sök på personnummer (ÅÅÅÅMMDD-NNNN), födelsedatum eller namn.":
        "Search by personal identity number (YYYYMMDD-NNNN), birth date or name.",
    # Labels of stored codes
    "Barn 0–17 år": "Child 0–17 years",
    "Vuxen 18–64 år": "Adult 18–64 years",
    "Äldre 65+ år": "Elderly 65+ years",
    "Typ 1-diabetes": "Type 1 diabetes",
    "Typ 2-diabetes": "Type 2 diabetes",
    "Annan diabetes": "Other diabetes",
    "Personnummer": "Personal identity number",
    "Samordningsnummer": "Coordination number",
    "Reservnummer": "Reserve number",
    "Portkod:": "Door code:",
    "Skyddade personuppgifter: adressen visas inte; leverans sker till vårdenheten":
        "Protected identity: the address is not shown; delivery goes to the clinic",
    # Forms
    "Typ av identitet": "Kind of identity",
    "Personnummer eller samordningsnummer": "Personal identity or coordination number",
    "Reservnummer (saknar personnummer, t.ex. LMA-kort)":
        "Reserve number (no personal identity number, e.g. LMA card)",
    "Nummer": "Number",
    "LMA-nummer": "LMA number",
    "LMA-kortet gäller till": "LMA card valid until",
    "Födelsedatum": "Birth date",
    "Förnamn": "First name",
    "Efternamn": "Last name",
    "Diabetestyp": "Diabetes type",
    "Välj": "Choose",
    "c/o": "c/o",
    "Gatuadress": "Street address",
    "Postnummer": "Postal code",
    "Ort": "City",
    "Portkod": "Door code",
    "Mobiltelefon": "Mobile phone",
    "E-post": "E-mail",
    "Skyddade personuppgifter": "Protected identity",
    "Patienten har skyddade personuppgifter": "The patient has a protected identity",
    "Gäller från": "Valid from",
    "Gäller till och med": "Valid to (inclusive)",
    "Ange ett datum som ÅÅÅÅ-MM-DD.": "Enter a date as YYYY-MM-DD.",
    "För långt.": "Too long.",
    # Register page
    "Identitet": "Identity",
    "Personnummer eller samordningsnummer som ÅÅÅÅMMDD-NNNN, eller regionens "
    "reservnummer.":
        "Personal identity or coordination number as YYYYMMDD-NNNN, or the region's "
        "reserve number.",
    "Fyll bara i för den som saknar personnummer, till exempel med LMA-kort.":
        "Fill in only for someone without a personal identity number, for example "
        "with an LMA card.",
    "Registreringen ger vårdenheten vårdrelation med patienten.":
        "Registration gives the clinic a care relationship with the patient.",
    "Hemadress": "Home address",
    "Hjälpmedel levereras inte till boxadress.": "Aids are not delivered to a PO box.",
    "Avisering": "Notices",
    "För sms när leveransen är på väg.":
        "For a text message when delivery is on its way.",
    "För avisering via e-post.": "For notices by e-mail.",
    "Adressen visas då bara för hjälpmedelscentralen, och leveranser går alltid till "
    "vårdenheten.":
        "The address is then shown only to the aids centre, and deliveries always go "
        "to the clinic.",
    "Registrera": "Register",
    "Avbryt": "Cancel",
    "Öppna den registrerade patienten": "Open the registered patient",
    "Patienten är registrerad.": "The patient is registered.",
    # Detail page
    "Till patientsökningen": "Back to patient search",
    "Förskrivningar": "Prescriptions",
    "Beställningar": "Orders",
    "Kontakt för avisering": "Contact for notices",
    "Ändra kontaktuppgifter": "Change contact details",
    "Adress": "Address",
    "Tillfälliga adresser": "Temporary addresses",
    "Gäller": "Valid",
    "Åtgärd": "Action",
    "Ta bort": "Remove",
    "Inga tillfälliga adresser.": "No temporary addresses.",
    "Ändra hemadress": "Change home address",
    "Lägg till tillfällig adress": "Add temporary address",
    "Inga vårdnadshavare registrerade.": "No guardians registered.",
    "har inloggning": "has a login",
    "Lägg till vårdnadshavare": "Add guardian",
    "Vårdrelationer": "Care relationships",
    "sedan {day}": "since {day}",
    "avslutad {day}": "ended {day}",
    "Ge en till av dina vårdenheter vårdrelation med patienten.":
        "Give another of your clinics a care relationship with the patient.",
    "Lägg till vårdrelation": "Add care relationship",
    # Change forms
    "Tillbaka till patienten": "Back to the patient",
    "Spara": "Save",
    "Kan bara slås på här. Adressen visas då bara för hjälpmedelscentralen, och "
    "leveranser går alltid till vårdenheten.":
        "Can only be turned on here. The address is then shown only to the aids "
        "centre, and deliveries always go to the clinic.",
    "Skyddade personuppgifter: den nuvarande adressen visas inte.":
        "Protected identity: the current address is not shown.",
    "Kontaktuppgifterna är sparade.": "The contact details are saved.",
    "Hemadressen är sparad.": "The home address is saved.",
    "Den tillfälliga adressen är sparad.": "The temporary address is saved.",
    "Den tillfälliga adressen är borttagen.": "The temporary address is removed.",
    "Vårdnadshavaren är tillagd.": "The guardian is added.",
    "Vårdrelationen är registrerad.": "The care relationship is registered.",
    # Service and API refusals
    "Kontrollera de markerade fälten.": "Check the marked fields.",
    "Välj diabetestyp.": "Choose the diabetes type.",
    "Välj en av dina vårdenheter.": "Choose one of your clinics.",
    "Ange ett telefonnummer med 6–15 siffror.":
        "Enter a phone number with 6–15 digits.",
    "Ange en e-postadress som namn@exempel.se.":
        "Enter an e-mail address like name@example.com.",
    "Postnumret ska ha fem siffror.": "The postal code has five digits.",
    "Välj typ av identitet.": "Choose the kind of identity.",
    "Födelsedatumet ligger i framtiden.": "The birth date is in the future.",
    "LMA-kortets giltighetstid har gått ut.": "The LMA card has expired.",
    "Ett reservnummer innehåller bokstäver.": "A reserve number contains letters.",
    "Finns redan.": "Already exists.",
    "Patienten är redan registrerad.": "The patient is already registered.",
    "Patienten är redan registrerad hos din vårdenhet (patient {id}).":
        "The patient is already registered at your clinic (patient {id}).",
    "Patienten är redan registrerad i regionen, men inte hos någon av dina "
    "vårdenheter. Kontakta regionens hjälpmedelsadministration för att registrera "
    "vårdrelationen.":
        "The patient is already registered in the region, but not at any of your "
        "clinics. Contact the region's aids administration to register the care "
        "relationship.",
    "Patienten har skyddade personuppgifter: leveranser går alltid till vårdenheten, "
    "så en tillfällig adress används inte.":
        "The patient has a protected identity: deliveries always go to the clinic, so "
        "a temporary address is not used.",
    "Till-datum får inte vara före från-datum.":
        "The end date may not be before the start date.",
    "Till-datum har redan passerat.": "The end date has already passed.",
    "Perioden överlappar en annan tillfällig adress.":
        "The period overlaps another temporary address.",
    "Vårdnadshavare kan bara läggas till för barn (0–17 år).":
        "Guardians can only be added for children (0–17 years).",
    "Patienten har redan vårdrelation med {clinic}.":
        "The patient already has a care relationship with {clinic}.",
    "Okänt fält.": "Unknown field.",
    "Fel typ av värde.": "Wrong type of value.",
    "Skicka ett JSON-objekt.": "Send a JSON object.",
    "Välj type1, type2 eller other.": "Choose type1, type2 or other.",
    "Ange true eller false.": "Give true or false.",
    "Välj personnummer, samordningsnummer eller reserve.":
        "Choose personnummer, samordningsnummer or reserve.",
}
