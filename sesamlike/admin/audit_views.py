"""The audit log search for admins (log review under Patientdatalagen).

Filters: patient (personnummer or id), user (username), clinic, action, period;
newest first, paged, CSV export. Each row reads as a Swedish sentence
(`admin.audit_words`), at the region's local time; the period is in local days.
Looking at the log is itself logged: one audit row per page or export, with the
filters used, and with the patient's id when one is named.
No route changes or deletes audit rows (and the ORM and PostgreSQL refuse to).

Need to know: an admin sees no patient's identity. Patients show by row id, an
identity number in a row's detail (a search text) is masked, and a personnummer
to filter by is sent in a POST body, never in a URL, and never shown back: the
page names the patient by id from then on.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import abort, flash, render_template, request

from sesamlike.accounts import audit
from sesamlike.accounts.models import AuditEvent, Clinic, User
from sesamlike.accounts.navigation import ROLE_NAMES
from sesamlike.admin import audit_words
from sesamlike.admin.views import bp
from sesamlike.common.errors import ControlCharacterInSearch
from sesamlike.common.i18n import N_, _
from sesamlike.common.paging import page_number
from sesamlike.common.spreadsheets import (
    CSV_FORMATS,
    SWEDISH,
    Dialect,
    csv_bytes,
    download,
)
from sesamlike.common.text import has_control_character
from sesamlike.common.time import REGION_TIMEZONE, stored_utc
from sesamlike.extensions import commit_keeping_loaded, db
from sesamlike.patients.models import Patient

PAGE_SIZE = 50
# The matching rows are counted up to this many: a search of the whole log counted
# every row of it (1 million rows: 0.56 s a page, and the log grows by a row a read).
COUNT_MAX = 10_000
# The export's columns: what the page shows, in Swedish (the raw detail stays in
# the database: `audit_words.described` says what an admin may read of it).
CSV_COLUMNS = (
    N_("Tid (svensk tid)"), N_("Användare"), N_("Roll"), N_("Klinik"),
    N_("Händelse"), N_("Åtgärd (kod)"), N_("Objekt"), N_("Objekt-id"),
    N_("Patient-id"), N_("Kanal"), N_("IP-adress"),
)  # fmt: skip
CHANNEL_NAMES = {
    "web": N_("webben"),
    "api": "API",
    "fhir": "FHIR",
    "cli": N_("kommandorad"),
}


def _day(name: str) -> date | None:
    try:
        return date.fromisoformat(request.form.get(name, "").strip())
    except ValueError:
        return None


def _text(name: str, length: int) -> str:
    """A text filter; one with a control character is no filter (the search
    says so: `_search_problems`), nor is it written in the review's row."""
    value = request.form.get(name, "").strip()[:length]
    return "" if has_control_character(value) else value


def _filters() -> dict:
    """The filters of a POST (the search form, a pager button, the export)."""
    return {
        "patient": _text("patient", 40),
        "user": _text("user", 80),
        "clinic": _text("clinic", 20),
        "action": _text("action", 40),
        "from": _day("from"),
        "to": _day("to"),
    }


def _search_problems(filters: dict, patient_ids: list[int]) -> list[str]:
    """Why a search can find nothing, in words: a patient no one has, a day
    that is no date, a period that ends before it starts."""
    problems = []
    if any(has_control_character(value) for value in request.form.values()):
        problems.append(_(ControlCharacterInSearch.message))
    unknown = patient_ids == [-1] or (
        len(patient_ids) == 1
        and db.session.scalar(sa.select(Patient.id).where(Patient.id == patient_ids[0]))
        is None
    )  # (only whether the id is anyone's: nothing of the patient is read)
    if filters["patient"] and unknown:
        problems.append(_("Ingen patient har det id-numret eller personnumret."))
    for name in ("from", "to"):
        if request.form.get(name, "").strip() and filters[name] is None:
            problems.append(_("Skriv datumen som ÅÅÅÅ-MM-DD."))
            break
    if filters["from"] and filters["to"] and filters["from"] > filters["to"]:
        problems.append(_("Från-datumet är efter till-datumet."))
    return problems


def _patient_ids(text: str) -> list[int]:
    """A patient by id or by personnummer (with or without the dash)."""
    if not text:
        return []
    digits = text.replace("-", "").replace("+", "").replace(" ", "")
    ids = list(
        db.session.scalars(sa.select(Patient.id).where(Patient.personal_id == digits))
    )
    if not ids and text.isdecimal() and len(text) < 10:
        ids = [int(text)]
    return ids or [-1]  # a search for an unknown patient finds nothing


def _query(filters: dict, patient_ids: list[int]) -> sa.Select:
    query = sa.select(AuditEvent, User.username).outerjoin(
        User, User.id == AuditEvent.user_id
    )
    if patient_ids:
        query = query.where(AuditEvent.patient_id.in_(patient_ids))
    if filters["user"]:
        query = query.where(sa.func.lower(User.username) == filters["user"].lower())
    if filters["clinic"]:
        query = query.where(AuditEvent.clinic_code == filters["clinic"])
    if filters["action"]:
        query = query.where(AuditEvent.action == filters["action"])
    if filters["from"]:
        query = query.where(
            AuditEvent.at >= datetime.combine(filters["from"], time(), REGION_TIMEZONE)
        )
    if filters["to"]:
        end = datetime.combine(
            filters["to"] + timedelta(days=1), time(), REGION_TIMEZONE
        )
        query = query.where(AuditEvent.at < end)
    return query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


def _log_review(filters: dict, patient_ids: list[int], what: str) -> None:
    """The admin's search, in the log; what the page read stays as read (a plain
    commit expired each row, and the page then read them again one by one)."""
    shown = ", ".join(
        f"{k}={v.isoformat() if isinstance(v, date) else v}"
        for k, v in _shown(filters, patient_ids).items()
        if v
    )
    audit.record(
        "read", "audit_log",
        patient_id=(
            patient_ids[0] if len(patient_ids) == 1 and patient_ids[0] > 0 else None
        ),
        detail=f"{what}: {shown}" if shown else what,
    )  # fmt: skip
    commit_keeping_loaded()


def _shown(filters: dict, patient_ids: list[int]) -> dict:
    """The filters as the page repeats them: the patient by id, never by number."""
    patient = ""
    if patient_ids:
        patient = str(patient_ids[0]) if patient_ids[0] > 0 else "?"
    return {**filters, "patient": patient}


@bp.route("/audit", endpoint="audit", methods=["GET", "POST"])
def audit_log():
    """Search the audit log: by patient, user and period, newest first."""
    filters = _filters()
    patient_ids = _patient_ids(filters["patient"])
    for problem in _search_problems(filters, patient_ids):
        flash(problem, "error")  # else an empty page says "0 händelser" alone
    page = page_number(request.form.get("page"))
    query = _query(filters, patient_ids)
    counted = query.order_by(None).limit(COUNT_MAX + 1).subquery()
    total = db.session.scalar(sa.select(sa.func.count()).select_from(counted))
    more = total > COUNT_MAX  # "more than 10,000": pages on while a page is full
    rows = db.session.execute(
        query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    _log_review(filters, patient_ids, f"page {page}")
    shown = _shown(filters, patient_ids)
    clinics = db.session.execute(
        sa.select(Clinic.code, Clinic.name).order_by(Clinic.code)
    ).all()
    clinic_names = dict(clinics)
    return render_template(
        "admin/audit.html", rows=rows, filters=shown, page=page,
        total=COUNT_MAX if more else total,
        pages=None if more else max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        older=len(rows) == PAGE_SIZE if more else page * PAGE_SIZE < total,
        role_names=ROLE_NAMES,
        sentence=lambda event: audit_words.described(event, clinic_names),
        clinics=clinics, actions=audit_words.ACTION_NAMES,
        hidden={k: (v.isoformat() if isinstance(v, date) else v)
                for k, v in shown.items() if v},
    )  # fmt: skip


@bp.route("/audit.csv", methods=["POST"])
def audit_export():
    """The same search as a file, every matching row, in the page's words.

    Swedish spreadsheets' CSV (byte-order mark, semicolons, local times);
    `?format=csv-comma` for a machine (commas, ISO times with their offset).
    """
    filters = _filters()
    patient_ids = _patient_ids(filters["patient"])
    dialect = CSV_FORMATS.get(
        request.args.get("format") or request.form.get("format") or "csv"
    )
    if dialect is None:
        abort(400)
    clinic_names = dict(db.session.execute(sa.select(Clinic.code, Clinic.name)).all())
    rows = [
        [_local(event.at, dialect), username or _("Systemet"),
         _(ROLE_NAMES[event.role]) if event.role in ROLE_NAMES else event.role,
         event.clinic_code, audit_words.described(event, clinic_names),
         event.action, event.object_type, event.object_id, event.patient_id,
         _(CHANNEL_NAMES[event.channel]) if event.channel in CHANNEL_NAMES
         else event.channel,
         event.remote_addr]
        for event, username in db.session.execute(_query(filters, patient_ids))
    ]  # fmt: skip
    _log_review(filters, patient_ids, "csv")
    return download(
        csv_bytes([_(column) for column in CSV_COLUMNS], rows, dialect),
        "granskningslogg.csv",
    )


def _local(moment: datetime, dialect: Dialect) -> str:
    """The time on the region's clock: 2026-03-02 14:05:07, or ISO with the offset."""
    local = stored_utc(moment).astimezone(REGION_TIMEZONE)
    if dialect is SWEDISH:
        return local.strftime("%Y-%m-%d %H:%M:%S")
    return local.isoformat(timespec="seconds")
