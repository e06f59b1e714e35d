"""'Vem har tittat på mina uppgifter': the access log for patients and guardians.

Like the log view in 1177's Journalen, staff are shown by role and care unit
(clinic), not by name: the patient sees which part of the region looked and
when; a name-level log extract is asked of the region (PDL 8 kap. 1 §), where
someone can explain it. The patient's own and the guardian's own actions show
as "Du" and "Vårdnadshavare". The page opens on what others did (staff, jobs,
another guardian, the system's mails) and on the viewer's login used through
the API: the viewer's own clicks in the portal would bury them; ?show=all
shows everything. Looking at this page is logged like any read.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import request
from flask_login import current_user

from sesamlike.accounts import audit
from sesamlike.accounts.models import AuditEvent, Clinic, Role, User
from sesamlike.accounts.navigation import ROLE_NAMES
from sesamlike.common.i18n import N_
from sesamlike.common.paging import page_count, page_number
from sesamlike.extensions import db
from sesamlike.patients.models import Guardian, Patient
from sesamlike.portal.display import render
from sesamlike.portal.views import acting_patient_id, bp, portal_page

PAGE_SIZE = 50
SHOW_ALL = "all"  # ?show=all: the viewer's own actions too
# Who stands behind a role without a clinic (the aids centre's role names it:
# "Hjälpmedelscentral, Hjälpmedelscentralen" said it twice).
ORGANISATION = {
    Role.REGION: N_("Regionens uppföljning"),
    Role.ADMIN: N_("Regionens IT-förvaltning"),
}
CHANNELS = {"api": "API", "fhir": "FHIR"}
WHAT = {
    "read": N_("Läste uppgifter"),
    "search": N_("Sökte fram dig"),
    "update": N_("Ändrade uppgifter"),
    "create": N_("Registrerade dig"),
    "order": N_("Beställde hjälpmedel"),
    "cancel_order": N_("Makulerade en beställning"),
    "cancel_order_line": N_("Makulerade en rad i en beställning"),
    "read_orders": N_("Läste beställningar"),
    "read_order": N_("Läste en beställning"),
    "read_prescription": N_("Läste en förskrivning"),
    "read_my_aids": N_("Läste Mina hjälpmedel"),
    "act_for": N_("Valde att göra ärenden för barnet"),
    "list_children": N_("Listade barnen"),
    "ship_order": N_("Skickade en beställning"),
    "deliver_order": N_("Registrerade en leverans"),
    "return_line": N_("Tog emot en retur"),
    "return_device": N_("Tog emot en återlämnad enhet"),
    "replace_device": N_("Bytte en enhet under garanti"),
    "import": N_("Läste in leveranshistorik"),
    "registration_attempt": N_("Försökte registrera dig som ny patient"),
    "care_relationship_start": N_("Började vårdrelation"),
    "care_relationship_end": N_("Avslutade vårdrelation"),
    "mail_queued": N_("Skickade ett meddelande"),
    "renew": N_("Förnyade en förskrivning"),
    "take_over": N_("Tog över en förskrivning från en annan mottagning"),
    "cancel": N_("Makulerade"),
    "ship": N_("Skickade en beställning"),
    "deliver": N_("Registrerade en leverans"),
    "export": N_("Lämnade ut uppgifter i en export"),
    "collected": N_("Registrerade att en beställning hämtats"),
    "worklist": N_("Såg dig i en arbetslista"),
    "read_returns": N_("Såg dig i returregistret"),
    "read_devices_on_loan": N_("Såg dig i registret över utlånade hjälpmedel"),
    "read_unregistered_devices": N_(
        "Såg dig bland hjälpmedel levererade utan serienummer"
    ),
    "read_devices_due_back": N_(
        "Såg dig bland utlånade hjälpmedel att hämta efter avslutad vård"
    ),
    "pick_override": N_("Packade en beställning utan plockning"),
    "pick": N_("Plockade en beställning"),
    "backorder_filled": N_("Reserverade restnoterade varor till en beställning"),
    "return_packs": N_("Tog emot oanvända förpackningar i retur"),
    "read_reminders": N_("Läste påminnelseinställningarna"),
    "update_reminders": N_("Ändrade påminnelseinställningarna"),
    "guardian_add": N_("Kopplade en vårdnadshavare"),
    "login_create": N_("Skapade ditt konto för e-tjänsten"),
    "guardian_remove": N_("Tog bort en vårdnadshavare"),
    "protected_identity_set": N_("Satte skyddade personuppgifter"),
    "protected_identity_lift": N_("Hävde skyddade personuppgifter"),
    "care_end": N_("Registrerade att vården i regionen avslutats"),
    "care_end_undo": N_("Ångrade en felaktig registrering av avslutad vård"),
    "care_resume": N_("Registrerade att vården i regionen har tagits upp igen"),
    # Only ever done by the login's own holder, through the mailed link.
    "password_set": N_("Valde ett nytt lösenord med en länk från e-post"),
}


# An act on a login (accounts.audit.record_on_login), in the log of each
# patient the login acts for; {account} says whose login it was.
ON_LOGIN = {
    "user_create": N_("Skapade {account}"),
    "user_update": N_("Ändrade {account}"),
    "user_deactivate": N_("Stängde av {account}"),
    "user_reactivate": N_("Aktiverade {account} igen"),
    "user_unlock": N_("Låste upp {account}"),
    "password_link_sent": N_("Skickade en länk för nytt lösenord till {account}"),
    "user_token": N_("Gav {account} en API-nyckel"),
    "user_revoke_tokens": N_("Drog in API-nycklarna för {account}"),
}
LOGINS = {
    "yours": N_("ditt konto för e-tjänsten"),
    "childs": N_("barnets konto för e-tjänsten"),
    "your_guardians": N_("din vårdnadshavares konto för e-tjänsten"),
    "other_guardians": N_("en annan vårdnadshavares konto för e-tjänsten"),
}


# Where an action means something else on another kind of record: "create" on
# the patient registers them, on an order it places (or replaces) one.
WHAT_ON = {
    ("create", "order"): N_("Registrerade en beställning"),
    ("create", "pharmacy_prescription"): N_("Skickade ett e-recept till apoteket"),
    ("create", "prescription"): N_("Förskrev ett hjälpmedel"),
    ("cancel", "prescription"): N_("Makulerade en förskrivning"),
    ("cancel", "order"): N_("Makulerade en beställning"),
    ("cancel", "order_line"): N_("Makulerade en rad i en beställning"),
    ("cancel", "pharmacy_prescription"): N_("Makulerade ett e-recept hos apoteket"),
    ("read", "prescription"): N_("Läste en förskrivning"),
}


# A read of the patient's record in the words of what was read: the use case
# names it in the row's detail (none: the record itself, on its page or the API).
READ_OF = {
    None: N_("Läste personuppgifterna"),
    "overview": N_("Läste översikten över hjälpmedlen"),
    "prescriptions": N_("Läste förskrivningarna"),
    "new prescription": N_("Började en ny förskrivning"),
    "new kit": N_("Började förskriva ett paket"),
    "new order": N_("Började en ny beställning"),
    "costs": N_("Läste mottagningens kostnader för hjälpmedlen"),
    "administration": N_("Läste kopplingarna till vårdnadshavare och konton"),
    "access log": N_("Läste vem som har tittat på uppgifterna"),
}
READ_OF_PREFIX = {"follow-up": N_("Läste kostnadsunderlaget för uppföljningen")}


def read_words(detail: str | None) -> str | None:
    """What a read of the patient's record read, in words; None: unknown."""
    if detail in READ_OF:
        return READ_OF[detail]
    prefix = (detail or "").split(" ", 1)[0]
    return READ_OF_PREFIX.get(prefix)


# A guardian reads the child's log: what was done to "dig" was done to the child.
WHAT_TO_CHILD = {
    "search": N_("Sökte fram barnet"),
    "create": N_("Registrerade barnet"),
    "registration_attempt": N_("Försökte registrera barnet som ny patient"),
    "worklist": N_("Såg barnet i en arbetslista"),
    "read_returns": N_("Såg barnet i returregistret"),
    "read_devices_on_loan": N_("Såg barnet i registret över utlånade hjälpmedel"),
    "read_unregistered_devices": N_(
        "Såg barnet bland hjälpmedel levererade utan serienummer"
    ),
    "read_devices_due_back": N_(
        "Såg barnet bland utlånade hjälpmedel att hämta efter avslutad vård"
    ),
    "login_create": N_("Skapade barnets konto för e-tjänsten"),
}


# A change is logged twice: the access check names its purpose (an action on
# the patient) and the change names its record. To the patient that is one act:
# change (action, object) -> the purpose row it follows in the same request.
PURPOSE_OF = {
    ("create", "order"): "order",
    ("cancel", "order"): "cancel_order",
    ("cancel", "order_line"): "cancel_order_line",
    ("update_reminders", "reminder_preference"): "update_reminders",
    # The aids centre's read of the record to pack, and the shipment itself.
    ("ship", "order"): "ship_order",
    ("deliver", "order"): "deliver_order",
}
# Rows of one request are written within this much of each other.
SAME_ACT = timedelta(seconds=2)


def one_row_per_act(events: list[AuditEvent]) -> list[AuditEvent]:
    """The events newest first, each change's purpose row folded into the change
    (shown in the purpose's words: "Beställde hjälpmedel", not also "Registrerade
    en beställning"). The audit log itself keeps both rows."""
    shown: list[AuditEvent] = []
    for event in events:
        at = _change_of(shown, event) if event.object_type == "patient" else None
        if at is not None:
            shown[at] = event  # the purpose's words, the change's place
            continue
        shown.append(event)
    return shown


def _change_of(shown: list[AuditEvent], purpose: AuditEvent) -> int | None:
    """Where in `shown` the change that `purpose` is the access check of is,
    if it is there: a row of the same act (user, channel, moments apart), with
    the act's mails (a shipment's notice) possibly in between."""
    for at in range(len(shown) - 1, -1, -1):
        row = shown[at]
        if abs(row.at - purpose.at) > SAME_ACT:
            return None
        if row.action == MAIL:
            continue
        same = (row.user_id, row.channel) == (purpose.user_id, purpose.channel)
        if same and PURPOSE_OF.get((row.action, row.object_type)) == purpose.action:
            return at
        return None
    return None


def what(event: AuditEvent, child: bool = False) -> str:
    """What the event did, in words (a msgid, shown through _()); `child`: to
    a guardian, about the child."""
    found = WHAT_ON.get((event.action, event.object_type))
    if found is None and (event.action, event.object_type) == ("read", "patient"):
        found = read_words(event.detail)
    if found is None and child:
        found = WHAT_TO_CHILD.get(event.action)
    return (
        found or ON_LOGIN.get(event.action) or WHAT.get(event.action, "Läste uppgifter")
    )


def whose_login(event: AuditEvent, viewer: User, patient: Patient) -> str:
    """Whose login an act on a login was on, as the viewer says it (a msgid)."""
    if event.object_id == str(viewer.id):
        return LOGINS["yours"]
    if viewer.role != Role.GUARDIAN:
        return LOGINS["your_guardians"]  # the patient's own is the viewer's
    if event.object_id == str(patient.user_id):
        return LOGINS["childs"]
    return LOGINS["other_guardians"]


# A mail is the system's: queued by whoever's act it follows (their own order
# too), sent to the recipient its row names ("order_received to guardian:7").
MAIL = "mail_queued"
MAIL_TO = {
    "you": N_("Skickade ett meddelande till dig"),
    "user": N_("Skickade ett meddelande om dig till förskrivaren"),
    "guardian": N_("Skickade ett meddelande till din vårdnadshavare"),
}
MAIL_TO_CHILD = {
    "you": N_("Skickade ett meddelande till dig"),
    "user": N_("Skickade ett meddelande om barnet till förskrivaren"),
    "guardian": N_("Skickade ett meddelande till en annan vårdnadshavare"),
    "patient": N_("Skickade ett meddelande till barnet"),
}


def mail_to(event: AuditEvent, yours: set[str], child: bool = False) -> str:
    """Whom a mail went to, in words (a msgid); `yours`: the viewer's recipient
    keys ("patient:3", "guardian:7")."""
    recipient = (event.detail or "").rpartition(" to ")[2]
    kind = "you" if recipient in yours else recipient.partition(":")[0]
    found = (MAIL_TO_CHILD if child else MAIL_TO).get(kind)
    return found if found and ":" in recipient else WHAT[MAIL]


def recipient_keys(user: User, patient_id: int) -> set[str]:
    """How the mail log names the viewer: the patient, or this guardian."""
    if user.role != Role.GUARDIAN:
        return {f"patient:{patient_id}"}
    guardian_ids = db.session.scalars(
        sa.select(Guardian.id).where(
            Guardian.patient_id == patient_id, Guardian.user_id == user.id
        )
    )
    return {f"guardian:{guardian_id}" for guardian_id in guardian_ids}


def who(
    event: AuditEvent, user: User | None, clinic_names: dict[str, str]
) -> list[str]:
    """Role and organisation (each shown through _()), never the staff member's
    name. The clinic is the one the event was done for (`clinic_code`, as the
    API's log gives it), not the clinics the staff member has today: another
    post, or a move, is not the patient's to learn, nor does it change who
    read the record then. Without one (a login of several clinics), the role."""
    if event.action == MAIL:
        return [N_("Systemet")]  # whoever's act made the system send it
    if user is not None and user.id == current_user.id:
        return [N_("Du")]
    role = event.role or ""
    name = ROLE_NAMES.get(role, N_("Systemet") if not role else role)
    if role in (Role.PRESCRIBER, Role.MANAGER):
        clinic = clinic_names.get(event.clinic_code or "")
        return [name, clinic] if clinic else [name]
    if role in ORGANISATION:
        return [name, ORGANISATION[role]]
    return [name]


@bp.route("/access-log")
@portal_page
def access_log():
    """Who has looked at or changed my (or my child's) data, newest first."""
    patient_id = acting_patient_id()
    page = page_number(request.args.get("page"))
    # By default what others did (staff, jobs, another guardian): what the
    # page is opened for. The viewer's own clicks on request (?show=all).
    show_all = request.args.get("show") == SHOW_ALL
    query = sa.select(AuditEvent).where(AuditEvent.patient_id == patient_id)
    if not show_all:  # hidden: only the viewer's own clicks in the portal
        query = query.where(
            sa.or_(
                AuditEvent.user_id.is_(None),
                AuditEvent.user_id != current_user.id,
                AuditEvent.action == MAIL,  # the system's, whoever set it off
                AuditEvent.channel.in_(tuple(CHANNELS)),  # own login elsewhere
                # A new password is no click in the portal: whoever chose it
                # with the mailed link, the holder should see that it was done.
                AuditEvent.action == "password_set",
            )
        )
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    pages = page_count(total, PAGE_SIZE)
    page = min(page, pages)  # past the last (a number typed): the last
    events = db.session.scalars(
        query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    user_ids = {e.user_id for e in events if e.user_id}
    users = {
        u.id: u
        for u in db.session.scalars(sa.select(User).where(User.id.in_(user_ids)))
    }
    codes = {e.clinic_code for e in events if e.clinic_code}
    clinic_names = {
        code: name
        for code, name in db.session.execute(
            sa.select(Clinic.code, Clinic.name).where(Clinic.code.in_(codes))
        )
    } if codes else {}  # fmt: skip
    child = current_user.role == Role.GUARDIAN
    user = current_user._get_current_object()
    yours = (
        recipient_keys(user, patient_id)
        if any(e.action == MAIL for e in events)
        else set()
    )
    patient = db.session.get(Patient, patient_id)
    rows = [
        (e.at, who(e, users.get(e.user_id), clinic_names),
         mail_to(e, yours, child) if e.action == MAIL else what(e, child),
         # A mail is the system's, whatever request set it off: never "(API)",
         # which says the viewer's login was used outside the e-service.
         "" if e.action == MAIL else CHANNELS.get(e.channel, ""),
         whose_login(e, user, patient) if e.action in ON_LOGIN else None)
        for e in one_row_per_act(events)
    ]  # fmt: skip
    audit.record(
        "read",
        "access_log",
        patient_id=patient_id,
        object_id=patient_id,
        detail=f"page {page}" + (" (all)" if show_all else ""),
    )
    db.session.commit()
    return render(
        "access_log.html", rows=rows, page=page, show=SHOW_ALL if show_all else None,
        patient=patient, pages=pages,
    )  # fmt: skip
