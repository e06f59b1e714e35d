"""The navigation each role sees: (endpoint, Swedish label, one-line description).

Entries whose endpoint the app does not have are left out, so navigation only
ever points at working pages.
"""

from __future__ import annotations

from flask import current_app

from sesamlike.accounts.models import Role

NAVIGATION: dict[str, list[tuple[str, str, str]]] = {
    Role.PRESCRIBER: [
        ("patients.search", "Patienter", "Sök, registrera och förskriv"),
        (
            "orders.worklist",
            "Arbetslistor",
            "Restnoterat, försenat, att hämta, förskrivningar som tar slut",
        ),
        ("catalog.index", "Sortiment", "Upphandlade artiklar och förstahandsval"),
    ],
    Role.PATIENT: [
        (
            "portal.my_aids",
            "Mina hjälpmedel",
            "Förskrivningar, beställningar och leveranser",
        ),
        (
            "portal.access_log",
            "Vem har tittat",
            "Vem som har läst eller ändrat dina uppgifter",
        ),
        ("portal.reminders", "Påminnelser", "E-post, SMS eller inga påminnelser"),
    ],
    Role.GUARDIAN: [
        ("portal.choose_patient", "Mina barn", "Välj vem du beställer för"),
        (
            "portal.access_log",
            "Vem har tittat",
            "Vem som har läst eller ändrat barnets uppgifter",
        ),
        ("portal.reminders", "Påminnelser", "E-post, SMS eller inga påminnelser"),
    ],
    Role.DEPOT: [
        ("patients.search", "Patienter", "Sök patient, adress och leveranser"),
        ("stock.overview", "Lager", "Saldo, inleverans och plocklistor"),
        ("channels.index", "Kanaler", "Leverantör, apotek och inköpsförslag"),
        ("catalog.index", "Sortiment", "Artiklar och kanaler"),
    ],
    Role.MANAGER: [
        (
            "followup.report",
            "Uppföljning",
            "Kostnad per patient, system och förskrivare",
        ),
        ("catalog.index", "Sortiment", "Upphandlade artiklar"),
    ],
    Role.REGION: [
        ("followup.report", "Uppföljning", "Regionens kostnader och följsamhet"),
        ("catalog.index", "Sortiment", "Upphandlade artiklar"),
    ],
    Role.ADMIN: [
        ("accounts.users", "Användare", "Konton och roller"),
        ("admin.jobs", "Schemalagda jobb", "Körningar, fel och kör nu"),
        ("admin.audit", "Granskningslogg", "Vem har läst och ändrat patientuppgifter"),
        ("catalog.index", "Sortiment", "Artiklar och avtal"),
    ],
}

ROLE_NAMES = {
    Role.PRESCRIBER: "Förskrivare",
    Role.PATIENT: "Patient",
    Role.GUARDIAN: "Vårdnadshavare",
    Role.DEPOT: "Hjälpmedelscentral",
    Role.MANAGER: "Verksamhetschef",
    Role.REGION: "Regional uppföljning",
    Role.ADMIN: "Administratör",
}


def navigation_for(role: str) -> list[tuple[str, str, str]]:
    known = current_app.view_functions
    return [entry for entry in NAVIGATION.get(role, []) if entry[0] in known]
