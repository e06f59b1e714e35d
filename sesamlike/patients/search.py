"""Searching the patients a user may see: personnummer, birth date, name.

Reached through `services.search_patients`; kept apart so services stays short.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from sesamlike.accounts import audit
from sesamlike.accounts.models import Role, User
from sesamlike.common.collation import swedish
from sesamlike.common.errors import Forbidden
from sesamlike.common.text import (
    CONTROL_CHARACTER,
    has_control_character,
    name_words,
)
from sesamlike.extensions import db
from sesamlike.patients import access, errors
from sesamlike.patients.identity import parse_personal_id
from sesamlike.patients.models import CareRelationship, Patient

# Only the patient's own care looks patients up (the aids centre never does).
SEARCH_ROLES = frozenset({Role.PRESCRIBER})
PAGE_SIZE = 25
MIN_SEARCH_LENGTH = 2
_SEPARATORS = re.compile(r"[\s\-+]")


@dataclass
class SearchPage:
    text: str
    patients: list[Patient]
    total: int
    page: int
    searched: bool

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


def search_patients(user: User, text: str | None, page: int = 1) -> SearchPage:
    """Patients visible to the user by personnummer, birth date, reserve no or name.

    Audit: one row per patient shown, because log review under Patientdatalagen
    asks "who looked at this patient" by patient_id; a search without hits writes
    one row without patient so fishing for numbers is visible too.
    """
    if user.role not in SEARCH_ROLES:
        raise Forbidden()
    text = (text or "").strip()[:100]
    page = max(1, page)
    if len(text) < MIN_SEARCH_LENGTH:
        return SearchPage(text, [], 0, page, searched=False)
    if has_control_character(text):  # PostgreSQL refuses NUL in a query too
        raise errors.SearchTextControlCharacter(fields={"q": [CONTROL_CHARACTER]})
    where = (access.visible_patient_filter(user), _search_condition(text))
    total = db.session.scalar(sa.select(sa.func.count(Patient.id)).where(*where))
    ids = db.session.scalars(
        sa.select(Patient.id)
        .where(*where)
        .order_by(swedish(Patient.last_name), swedish(Patient.first_name), Patient.id)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    detail = f"sökning: {text}"
    # A prescriber of several clinics: each hit with the clinic that cares
    # for it, as a single read names it (one query for the page).
    read_for = access.clinics_read_for(user, ids)
    for patient_id in ids:
        audit.record(
            "search",
            "patient",
            patient_id=patient_id,
            object_id=patient_id,
            user=user,
            detail=detail,
            clinic_code=read_for.get(patient_id),
        )
    if not ids:
        audit.record("search", "patient", patient_id=None, user=user, detail=detail)
    db.session.commit()
    # Loaded after the commit, which would expire them and undo the eager loads.
    by_id = {
        patient.id: patient
        for patient in db.session.scalars(
            sa.select(Patient)
            .where(Patient.id.in_(ids))
            .options(
                selectinload(Patient.care_relationships).selectinload(
                    CareRelationship.clinic
                )
            )
        )
    }
    return SearchPage(text, [by_id[i] for i in ids], total, page, searched=True)


def _search_condition(text: str) -> sa.ColumnElement[bool]:
    digits = _SEPARATORS.sub("", text)
    if digits.isdecimal():
        if len(digits) == 12:
            return Patient.personal_id == parse_personal_id(digits).number
        if len(digits) == 10:
            parse_personal_id(digits)  # checks the control digit
            # Any century: a 10-digit number omits it, and "+" is often forgotten.
            return Patient.personal_id.like(f"__{digits}")
        if len(digits) == 8:
            return sa.or_(Patient.personal_id.like(f"{digits}%"), _born_on(digits))
        if len(digits) == 6:
            return sa.or_(Patient.personal_id.like(f"__{digits}%"), _born_on(digits))
        raise errors.SearchTextFormat(fields={"q": ["Fel format."]})
    if any(char.isdecimal() for char in text) and " " not in text:
        return Patient.personal_id == text.upper()  # a reserve number
    parts = name_words(text)  # "Löfgren, Nora", as listed
    if not parts:
        raise errors.SearchTextFormat(fields={"q": ["Fel format."]})
    return sa.and_(*(_name_matches(part) for part in parts))


def _born_on(digits: str) -> sa.ColumnElement[bool]:
    """Born on the date typed: YYYYMMDD, or YYMMDD in the 1900s or 2000s.

    Reserve numbers hold no date and a samordningsnummer holds the day + 60, so
    only the birth date finds those patients by the day they were born.
    """
    numbers = [digits] if len(digits) == 8 else ["19" + digits, "20" + digits]
    days = []
    for number in numbers:
        try:
            days.append(date(int(number[:4]), int(number[4:6]), int(number[6:])))
        except ValueError:  # not a date, e.g. a samordningsnummer's day + 60
            continue
    return Patient.birth_date.in_(days)


def _name_matches(part: str) -> sa.ColumnElement[bool]:
    """The start of any part of the name, ignoring case and diacritics.

    Both sides are folded ("Löfgren", "lofgren" and "LÖFGREN" all find Nora
    Löfgren), so the match is the same on SQLite and PostgreSQL.
    """
    escaped = part.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return sa.or_(
        Patient.search_name.like(f"{escaped}%", escape="\\"),
        Patient.search_name.like(f"% {escaped}%", escape="\\"),
    )
