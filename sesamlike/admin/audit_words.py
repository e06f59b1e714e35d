"""Audit rows in words: one Swedish sentence per row, translated at display.

An audit row stores an action, an object type, an id and a short detail written
by the use case (`accounts.audit.record`). Here each (action, object type) has a
sentence template; a few details are read for what they say (a year, a work
list, a reason). The patient is named by id only: an admin has no need to know
who the patient is (domain.md). A row nobody has worded yet still reads as a
sentence ("Gjorde 'x' på y") so nothing is hidden.
"""

from __future__ import annotations

import re

from sesamlike.accounts.models import AuditEvent
from sesamlike.common.i18n import N_, _
from sesamlike.orders.worklists import TITLES

_YEAR = re.compile(r"\b(20\d\d)\b")

# (action, object_type) or action -> sentence template.
SENTENCES: dict[tuple[str, str] | str, str] = {
    ("read", "patient"): N_("Läste patientuppgifterna för {patient}"),
    ("read", "patient_year_cost"): N_("Läste kostnadsunderlag för {patient}, {year}"),
    ("export", "patient_year_cost"): N_(
        "Exporterade kostnadsunderlag för {patient}, {year}, till en fil"
    ),
    ("read", "audit_log"): N_("Sökte i granskningsloggen"),
    ("read", "access_log"): N_("Läste åtkomstloggen för {patient}"),
    ("read", "supplier_order"): N_("Hämtade en leverantörsfil med {patient}"),
    ("search", "patient"): N_("Sökte fram {patient}"),
    ("create", "patient"): N_("Registrerade {patient}"),
    ("create", "order"): N_("Lade en beställning för {patient}"),
    ("create", "pharmacy_prescription"): N_("Skickade ett e-recept för {patient}"),
    ("cancel", "order"): N_("Makulerade en beställning för {patient}"),
    ("cancel", "order_line"): N_("Makulerade en rad i en beställning för {patient}"),
    ("cancel", "pharmacy_prescription"): N_("Makulerade ett e-recept för {patient}"),
    ("update", "patient"): N_("Ändrade uppgifter för {patient}"),
    ("update", "order"): N_("Uppdaterade en beställning för {patient}"),
    ("ship", "order"): N_("Skickade en beställning till {patient}"),
    ("deliver", "order"): N_("Registrerade en leverans till {patient}"),
    ("export", "supplier_order"): N_(
        "Skickade en beställning för {patient} till leverantören"
    ),
    ("export", "fhir_export"): N_("Startade en FHIR-export"),
    ("export_file", "fhir_export"): N_("Hämtade en fil ur en FHIR-export"),
    ("import", "delivered_history"): N_("Läste in leveranshistorik för {patient}"),
    "mail_queued": N_("Köade ett meddelande till {patient}"),
    "registration_attempt": N_(
        "Försökte registrera {patient} som ny patient vid {clinic}"
    ),
    "care_relationship_start": N_(
        "Startade vårdrelation mellan {patient} och {clinic}"
    ),
    "care_relationship_end": N_(
        "Avslutade vårdrelationen mellan {patient} och {clinic}"
    ),
    "guardian_add": N_("Kopplade vårdnadshavaren {detail} till {patient}"),
    "login_create": N_("Skapade inloggningen {detail} för {patient}"),
    "guardian_remove": N_("Tog bort vårdnadshavaren {detail} från {patient}"),
    "protected_identity_set": N_(
        "Satte skyddade personuppgifter för {patient}. Skäl: {detail}"
    ),
    "protected_identity_lift": N_(
        "Hävde skyddade personuppgifter för {patient}. Skäl: {detail}"
    ),
    "care_end": N_(
        "Registrerade att vården i regionen avslutats för {patient}: {detail}"
    ),
    "care_end_undo": N_(
        "Ångrade registreringen av avslutad vård för {patient}: {detail}"
    ),
    "care_resume": N_(
        "Tog in {patient} i vård i regionen igen efter avslutad vård: {detail}"
    ),
    "order": N_("Öppnade beställningen av hjälpmedel för {patient}"),
    "read_orders": N_("Läste beställningarna för {patient}"),
    "read_order": N_("Läste en beställning för {patient}"),
    "cancel_order": N_("Makulerade en beställning för {patient}"),
    "cancel_order_line": N_("Makulerade en rad i en beställning för {patient}"),
    "read_prescription": N_("Läste en förskrivning för {patient}"),
    "read_my_aids": N_("Läste Mina hjälpmedel för {patient}"),
    "act_for": N_("Valde att göra ärenden för {patient}"),
    "list_children": N_("Listade barnen, bland dem {patient}"),
    # The aids centre's read of the record that packing or a delivery needs;
    # the act itself is its own row ("ship" / "deliver" on the order).
    "ship_order": N_(
        "Läste uppgifterna om {patient} för att packa och skicka en beställning"
    ),
    "deliver_order": N_(
        "Läste uppgifterna om {patient} för att registrera en leverans"
    ),
    "return_line": N_("Tog emot en retur från {patient}"),
    "return_device": N_("Tog emot en återlämnad enhet från {patient}"),
    "replace_device": N_("Bytte en enhet under garanti för {patient}"),
    "collected": N_("Registrerade att {patient} hämtat en beställning på mottagningen"),
    "read_reminders": N_("Läste påminnelseinställningarna för {patient}"),
    "update_reminders": N_("Ändrade påminnelseinställningarna för {patient}"),
    "worklist": N_("Såg {patient} i arbetslistan {detail}"),
    "user_create": N_("Skapade kontot {account}"),
    "user_update": N_("Ändrade kontot {account}"),
    "user_deactivate": N_("Stängde av kontot {account}"),
    "user_reactivate": N_("Aktiverade kontot {account} igen"),
    "user_unlock": N_("Låste upp kontot {account}"),
    "password_link_sent": N_(
        "Skickade en länk för nytt lösenord till kontot {account}"
    ),
    "password_set": N_("Valde ett nytt lösenord med länken ({account})"),
    "user_token": N_("Gav kontot {account} en API-nyckel"),
    "user_revoke_tokens": N_("Drog in API-nycklarna för kontot {account}"),
    "user_depot": N_("Ändrade eget lager för kontot {account}"),
    "clinic_create": N_("Lade till vårdenheten {detail}"),
    "clinic_update": N_("Ändrade vårdenheten {detail}"),
    ("update", "user"): N_("Ändrade kontot {account}"),
    ("create", "prescription"): N_("Förskrev ett hjälpmedel till {patient}"),
    ("renew", "prescription"): N_("Förnyade en förskrivning för {patient}"),
    ("take_over", "prescription"): N_(
        "Tog över en annan mottagnings förskrivning för {patient}"
    ),
    ("cancel", "prescription"): N_("Makulerade en förskrivning för {patient}"),
    ("read", "prescription"): N_("Läste en förskrivning för {patient}"),
    "read_returns": N_("Såg {patient} i returregistret"),
    "read_devices_on_loan": N_("Såg {patient} i registret över utlånade hjälpmedel"),
    "read_unregistered_devices": N_(
        "Såg {patient} bland hjälpmedel levererade utan serienummer"
    ),
    "read_devices_due_back": N_(
        "Såg {patient} bland utlånade hjälpmedel att hämta efter avslutad vård"
    ),
    "pick_override": N_(
        "Packade en beställning för {patient} utan plockning. Skäl: {detail}"
    ),
    "return_packs": N_("Tog emot oanvända förpackningar i retur från {patient}"),
    "pick": N_("Plockade en beställning för {patient}"),
    "backorder_filled": N_(
        "Reserverade restnoterade varor till en beställning för {patient}"
    ),
    "release_block": N_("Hävde spärren av ett parti: {detail}"),
    ("export", "patient"): N_("Exporterade {patient} ur arbetslistan {detail}"),
    ("export", "register"): N_("Exporterade {patient} till kvalitetsregistret"),
}

# What a read of the patient record was for (the detail of access.get_patient).
READ_DETAILS = {
    "access log": N_("Läste åtkomstloggen för {patient}"),
    "prescriptions": N_("Läste förskrivningarna för {patient}"),
    "new prescription": N_("Började en ny förskrivning för {patient}"),
    "new kit": N_("Började förskriva ett paket för {patient}"),
    "new order": N_("Började en ny beställning för {patient}"),
    "overview": N_("Läste översikten för {patient}"),
    "costs": N_("Läste mottagningens kostnader för {patient}"),
    "administration": N_("Läste patientkopplingarna för {patient}"),
}
FALLBACK = N_("Gjorde ”{action}” på {object}")
NO_PATIENT = N_("okänd patient")

# The actions the filter offers, with a name each.
ACTION_NAMES = {
    "read": N_("Läsning"),
    "search": N_("Sökning"),
    "create": N_("Registrering"),
    "update": N_("Ändring"),
    "cancel": N_("Makulering"),
    "order": N_("Beställning"),
    "ship": N_("Leverans skickad"),
    "deliver": N_("Leverans registrerad"),
    "export": N_("Export"),
    "mail_queued": N_("Meddelande"),
    "registration_attempt": N_("Försök att registrera"),
    "care_relationship_start": N_("Vårdrelation startad"),
    "care_relationship_end": N_("Vårdrelation avslutad"),
    "guardian_add": N_("Vårdnadshavare kopplad"),
    "login_create": N_("Inloggning skapad för patienten"),
    "guardian_remove": N_("Vårdnadshavare borttagen"),
    "protected_identity_set": N_("Skyddade personuppgifter satta"),
    "protected_identity_lift": N_("Skyddade personuppgifter hävda"),
    "care_end": N_("Vård i regionen avslutad"),
    "care_end_undo": N_("Avslutad vård ångrad"),
    "care_resume": N_("Åter i vård i regionen"),
    "user_create": N_("Konto skapat"),
    "user_update": N_("Konto ändrat"),
    "user_deactivate": N_("Konto avstängt"),
    "user_unlock": N_("Konto upplåst"),
    "password_link_sent": N_("Lösenordslänk skickad"),
    "password_set": N_("Lösenord valt"),
    "user_reactivate": N_("Konto aktiverat igen"),
    "user_token": N_("API-nyckel utfärdad"),
    "user_revoke_tokens": N_("API-nycklar indragna"),
    "user_depot": N_("Eget lager ändrat"),
    "clinic_create": N_("Vårdenhet tillagd"),
    "clinic_update": N_("Vårdenhet ändrad"),
    "renew": N_("Förnyelse"),
    "take_over": N_("Övertagen förskrivning"),
    "import": N_("Inläsning av leveranshistorik"),
    "export_file": N_("Hämtad exportfil"),
    "worklist": N_("Arbetslista"),
    "cancel_order": N_("Beställning makulerad"),
    "cancel_order_line": N_("Rad i beställning makulerad"),
    "read_orders": N_("Beställningar lästa"),
    "read_order": N_("Beställning läst"),
    "read_prescription": N_("Förskrivning läst"),
    "read_my_aids": N_("Mina hjälpmedel lästa"),
    "act_for": N_("Ärenden för barn"),
    "list_children": N_("Barnen listade"),
    "ship_order": N_("Beställning packad"),
    "deliver_order": N_("Leverans registrerad (förråd)"),
    "collected": N_("Hämtad på mottagningen"),
    "return_line": N_("Retur mottagen"),
    "return_device": N_("Enhet återlämnad"),
    "replace_device": N_("Enhet bytt under garanti"),
    "return_packs": N_("Förpackningar i retur"),
    "pick": N_("Beställning plockad"),
    "backorder_filled": N_("Restnoterat reserverat"),
    "pick_override": N_("Packad utan plockning"),
    "release_block": N_("Spärr av parti hävd"),
    "read_returns": N_("Returregistret läst"),
    "read_devices_on_loan": N_("Utlåningsregistret läst"),
    "read_unregistered_devices": N_("Leveranser utan serienummer lästa"),
    "read_devices_due_back": N_("Enheter att hämta efter avslutad vård lästa"),
    "read_reminders": N_("Påminnelseinställningar lästa"),
    "update_reminders": N_("Påminnelseinställningar ändrade"),
}


# A personnummer or samordningsnummer (10 or 12 digits, with or without a sign).
_IDENTITY_NUMBER = re.compile(r"(?<!\d)(?:\d{2})?\d{6}[-+ ]?\d{4}(?!\d)")
MASK = "ÅÅÅÅMMDD-XXXX"


def masked(text: str | None) -> str:
    """The text with every identity number in it masked (search texts in details)."""
    return _IDENTITY_NUMBER.sub(MASK, text or "")


def described(event: AuditEvent, clinic_names: dict[str, str]) -> str:
    """What the row says as an admin may read it, on the page and in every export:
    the sentence, the patient by id, a searched name as "ett namn", numbers masked.
    The raw detail never leaves the database (an admin has no need to know)."""
    return masked(sentence(event, clinic_names))


def is_worded(action: str, object_type: str) -> bool:
    """Whether rows of this kind read as a sentence of their own (not FALLBACK)."""
    return (action, object_type) in SENTENCES or action in SENTENCES


def patient_words(patient_id: int | None) -> str:
    if patient_id is None:
        return _(NO_PATIENT)
    return _("patienten (id {id})", id=patient_id)


def sentence(event: AuditEvent, clinic_names: dict[str, str]) -> str:
    """The row as one sentence in the reader's language."""
    detail = event.detail or ""
    template = SENTENCES.get((event.action, event.object_type)) or SENTENCES.get(
        event.action
    )
    if event.action == "read" and event.object_type == "patient":
        template = _read_template(detail) or template
    if event.action.startswith("worklist") or detail.startswith("arbetslista: "):
        template = SENTENCES[
            ("export", "patient") if event.action == "export" else "worklist"
        ]
        detail = detail.removeprefix("arbetslista: ")
        detail = _(TITLES[detail]) if detail in TITLES else detail
    if event.action == "search" and detail.startswith("sökning: "):
        template = (
            N_("Sökte på {detail} och fick fram {patient}")
            if event.patient_id
            else N_("Sökte på {detail} utan träff")
        )
        detail = _search_words(detail.removeprefix("sökning: "))
    if event.action == "search" and detail == "administration":
        template = (
            N_("Hämtade {patient} för att sköta patientkopplingarna")
            if event.patient_id
            else N_("Sökte en patient att sköta patientkopplingarna för, utan träff")
        )
    if event.action == "search" and detail == "vårdrelation":
        template = N_("Sökte en patient att ta i vård på {clinic}, utan träff")
    if event.action == "update" and detail == "skyddade personuppgifter på":
        template = N_("Satte skyddade personuppgifter för {patient}")
    if event.action == "read" and event.object_type == "audit_log" and event.patient_id:
        template = N_("Sökte i granskningsloggen efter {patient}")
    if template is None:
        return _(FALLBACK, action=event.action, object=event.object_type)
    year = _YEAR.search(detail)
    clinic = event.clinic_code or detail
    return _(
        template,
        patient=patient_words(event.patient_id),
        clinic=clinic_names.get(clinic, clinic or "–"),
        detail=detail,
        account=detail.split(":", 1)[0],
        year=year.group(1) if year else "",
    ).rstrip(", ")


def _search_words(text: str) -> str:
    """What was searched for: a whole identity number (masked later), else
    just "a name" or "a date or number": a birth date or part of a number
    beside the patient it found would tell the admin who it is."""
    if any(char.isalpha() for char in text.replace(MASK, "")):
        return _("ett namn")
    if any(char.isdigit() for char in masked(text)):
        return _("ett datum eller nummer")
    return f"”{text}”"


def _read_template(detail: str) -> str | None:
    if detail in READ_DETAILS:
        return READ_DETAILS[detail]
    if detail.startswith("follow-up"):
        return N_("Läste kostnadsunderlag för {patient}, {year}")
    if detail.startswith("FHIR"):
        return N_("Läste uppgifter om {patient} via FHIR")
    return None
