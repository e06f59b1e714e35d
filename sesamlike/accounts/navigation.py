"""The navigation each role sees: (endpoint, Swedish label, one-line description).

Entries whose endpoint the app does not have are left out, so navigation only
ever points at working pages.
"""

from __future__ import annotations

from flask import current_app

from sesamlike.accounts.models import Role
from sesamlike.common.i18n import N_

NAVIGATION: dict[str, list[tuple[str, str, str]]] = {
    Role.PRESCRIBER: [
        ("patients.search", "Patienter", N_("Sök, registrera och förskriv")),
        (
            "orders.worklist",
            "Arbetslistor",
            N_("Restnoterat, försenat, att hämta, förskrivningar som tar slut"),
        ),
        ("catalog.index", "Sortiment", N_("Upphandlade artiklar och förstahandsval")),
    ],
    Role.PATIENT: [
        (
            "portal.my_aids",
            "Mina hjälpmedel",
            N_("Förskrivningar, beställningar och leveranser"),
        ),
        (
            "portal.access_log",
            N_("Vem har tittat"),
            N_("Vem som har läst eller ändrat dina uppgifter"),
        ),
        ("portal.reminders", "Påminnelser", N_("E-post, SMS eller inga påminnelser")),
    ],
    Role.GUARDIAN: [
        ("portal.choose_patient", N_("Mina barn"), N_("Välj vem du beställer för")),
        (
            "portal.access_log",
            N_("Vem har tittat"),
            N_("Vem som har läst eller ändrat barnets uppgifter"),
        ),
        ("portal.reminders", "Påminnelser", N_("E-post, SMS eller inga påminnelser")),
    ],
    Role.DEPOT: [
        ("stock.overview", "Lager", N_("Saldo, inleverans och plocklistor")),
        (
            "fulfilment.backorders_page",
            N_("Restnoterat"),
            N_("Beställningar som väntar på varor, och vad som är beställt"),
        ),
        ("channels.index", N_("Kanaler"), N_("Leverantör, apotek och inköpsförslag")),
        ("catalog.index", "Sortiment", N_("Artiklar och kanaler")),
    ],
    Role.MANAGER: [
        (
            "followup.report",
            "Uppföljning",
            N_("Kostnad per patient, system och förskrivare"),
        ),
        ("catalog.index", "Sortiment", N_("Upphandlade artiklar")),
    ],
    Role.REGION: [
        ("followup.report", "Uppföljning", N_("Regionens kostnader och följsamhet")),
        ("catalog.index", "Sortiment", N_("Upphandlade artiklar")),
    ],
    Role.ADMIN: [
        ("admin.users", "Användare", N_("Konton och roller")),
        (
            "admin.patients",
            "Patientkopplingar",
            N_("Vårdrelationer, vårdnadshavare, skyddade personuppgifter"),
        ),
        (
            "admin.clinics",
            "Vårdenheter",
            N_("Namn, adress, telefon och kostnadsställe"),
        ),
        ("admin.jobs", "Schemalagda jobb", N_("Körningar, fel och kör nu")),
        (
            "admin.audit",
            "Granskningslogg",
            N_("Vem har läst och ändrat patientuppgifter"),
        ),
        ("catalog.index", "Sortiment", N_("Artiklar och avtal")),
    ],
}

ROLE_NAMES = {
    Role.PRESCRIBER: "Förskrivare",
    Role.PATIENT: "Patient",
    Role.GUARDIAN: "Vårdnadshavare",
    Role.DEPOT: "Hjälpmedelscentral",
    Role.MANAGER: N_("Verksamhetschef"),
    Role.REGION: N_("Regional uppföljning"),
    Role.ADMIN: N_("Administratör"),
}


def navigation_for(role: str) -> list[tuple[str, str, str]]:
    known = current_app.view_functions
    return [entry for entry in NAVIGATION.get(role, []) if entry[0] in known]
