"""English for the shared layout, accounts and identity text."""

EN: dict[str, str] = {
    # Errors shared by every area
    "Ogiltig uppgift.": "Invalid input.",
    "Hittades inte.": "Not found.",
    "Din roll får inte göra detta.": "Your role may not do this.",
    "Går inte i nuvarande läge.": "Not possible in the current state.",
    # Layout
    "Sesamlike": "Sesamlike",
    "Hoppa till innehållet": "Skip to content",
    "Huvudmeny": "Main menu",
    "Start": "Home",
    "Logga ut": "Log out",
    "Logga in": "Log in",
    "Felaktig begäran": "Bad request",
    "Du saknar behörighet": "Access denied",
    "Sidan finns inte": "Page not found",
    "Metoden stöds inte": "Method not allowed",
    "Filen är för stor": "File too large",
    "För många försök": "Too many attempts",
    "Något gick fel": "Something went wrong",
    "Din roll har inte tillgång till den här sidan.": "Your role has no access to this page.",
    "Det du letar efter finns inte, eller så har du inte tillgång till det.":
        "What you are looking for does not exist, or you have no access to it.",
    "Formuläret kunde inte tas emot. Ladda om sidan och försök igen.":
        "The form could not be accepted. Reload the page and try again.",
    "Vänta en stund och försök igen.": "Wait a moment and try again.",
    "För många misslyckade inloggningar eller anrop. Av säkerhetsskäl är det spärrat en stund: försök igen om 15 minuter, eller kontakta supporten.":
        "Too many failed logins or requests. For security it is blocked for a while: "
        "try again in 15 minutes, or contact support.",
    "Försök igen. Om felet kvarstår, kontakta supporten.":
        "Try again. If the problem persists, contact support.",
    "Till startsidan": "To the home page",
    "Ja": "Yes",
    "Nej": "No",
    "Obligatoriskt.": "Required.",
    "This field is required.": "This field is required.",
    # Accounts
    "Användarnamn": "Username",
    "Lösenord": "Password",
    "Beställning och uppföljning av diabeteshjälpmedel.":
        "Ordering and follow-up of diabetes aids.",
    "Fel användarnamn eller lösenord.": "Wrong username or password.",
    "Du är utloggad.": "You are logged out.",
    "Välkommen, {name}": "Welcome, {name}",
    "Du är inloggad som {role}.": "You are logged in as {role}.",
    "Vårdenhet:": "Clinic:",
    "Användare": "Users",
    "Namn": "Name",
    "Roll": "Role",
    "Vårdenhet": "Clinic",
    "Senast inloggad": "Last login",
    "Aktiv": "Active",
    "nyförskrivning": "first-time prescribing",
    "Kod, namn och kostnadsställe krävs.": "Code, name and cost centre are required.",
    "Vårdenheten {code} finns redan.": "The clinic {code} already exists.",
    "Okänd vårdenhet: {code}.": "Unknown clinic: {code}.",
    "Okänd roll: {role}.": "Unknown role: {role}.",
    "Användarnamn krävs.": "A username is required.",
    "För kort.": "Too short.",
    "Lösenordet får inte innehålla användarnamnet.":
        "The password must not contain the username.",
    "Innehåller användarnamnet.": "Contains the username.",
    "Lösenordet är för lätt att gissa. Välj en längre fras.":
        "The password is too easy to guess. Choose a longer phrase.",
    "För lätt att gissa.": "Too easy to guess.",
    "Lösenordet måste ha minst {n} tecken.": "The password must have at least {n} characters.",
    "Användarnamnet {username} är upptaget.": "The username {username} is taken.",
    "Förskrivare och verksamhetschefer behöver en vårdenhet.":
        "Prescribers and clinic managers need a clinic.",
    "Okänd användare: {username}.": "Unknown user: {username}.",
    # Roles and navigation
    "Förskrivare": "Prescriber",
    "Patient": "Patient",
    "Vårdnadshavare": "Guardian",
    "Hjälpmedelscentral": "Aids centre",
    "Verksamhetschef": "Clinic manager",
    "Regional uppföljning": "Regional follow-up",
    "Administratör": "Administrator",
    "Patienter": "Patients",
    "Sök, registrera och förskriv": "Search, register and prescribe",
    "Sök patient, adress och leveranser": "Find a patient, address and deliveries",
    "Sortiment": "Assortment",
    "Upphandlade artiklar och förstahandsval": "Procured articles and first choices",
    "Mina hjälpmedel": "My aids",
    "Förskrivningar, beställningar och leveranser": "Prescriptions, orders and deliveries",
    "Mina barn": "My children",
    "Välj vem du beställer för": "Choose who you order for",
    "Lager": "Stock",
    "Kanaler": "Channels",
    "Leverantör, apotek och inköpsförslag": "Supplier, pharmacy and purchase proposals",
    "Saldo, inleverans och plocklistor": "Stock levels, receipts and pick lists",
    "Artiklar och kanaler": "Articles and channels",
    "Uppföljning": "Follow-up",
    "Kostnad per patient, system och förskrivare": "Cost per patient, system and prescriber",
    "Upphandlade artiklar": "Procured articles",
    "Regionens kostnader och följsamhet": "The region's costs and compliance",
    "Konton och roller": "Accounts and roles",
    "Artiklar och avtal": "Articles and contracts",
    # Patients and identity
    "Ange personnummer.": "Enter a personal identity number.",
    "Personnumret ska ha 10 eller 12 siffror (ÅÅÅÅMMDD-NNNN).":
        "The personal identity number needs 10 or 12 digits (YYYYMMDD-NNNN).",
    "Fel format.": "Wrong format.",
    "Personnumret är inte giltigt: kontrollera siffrorna.":
        "The personal identity number is not valid: check the digits.",
    "Ogiltig kontrollsiffra eller datum.": "Invalid check digit or date.",
    "Reservnumret ska vara 4–20 tecken (bokstäver, siffror, bindestreck).":
        "The reserve number must be 4–20 characters (letters, digits, hyphens).",
    "Bara patienter och vårdnadshavare kopplas till patienter.":
        "Only patients and guardians are linked to patients.",
    "Ange vilken patient kontot gäller (--patient-id).":
        "Name the patient the account is for (--patient-id).",
    "Ett patientkonto gäller exakt en patient.": "A patient account is for exactly one patient.",
    "Okänd patient: {id}.": "Unknown patient: {id}.",
    "Patienten {id} har redan ett konto.": "Patient {id} already has an account.",
}
