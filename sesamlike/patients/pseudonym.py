"""The region's view of a patient: a stable key instead of name and personnummer.

The key is a keyed hash (HMAC-SHA-256) of the patient's row id under the
region's pseudonym key, so it stays the same from one report, export or year to
the next, and cannot be turned back into the patient without that key. The key
comes from PSEUDONYM_KEY, else from SECRET_KEY: changing it gives every patient
a new pseudonym (and the stored ones must be written again: `store_all`).

The region's pages name a patient by the key, in the URL too (a row id is the
admin's, the API's and FHIR's name of the patient, so it would not separate).
A hash cannot be turned back, so each patient's key is stored beside the id
(`PatientPseudonym`) and looked up by its index. A key not found makes the
patients without a stored key get theirs (new since: an anti-join on two
primary-key indexes, hashing only those), and is looked up again: nothing has
to remember to write them when a patient is made, however it is made.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

PREFIX = "P-"
_KEY = re.compile(r"P-[0-9A-F]{12}")
_CHUNK = 10_000


def pseudonym(patient_id: int) -> str:
    """P- and 12 hexadecimal digits, the same for the same patient every time."""
    key = current_app.config.get("PSEUDONYM_KEY") or "pseudonym:" + str(
        current_app.config["SECRET_KEY"]
    )
    digest = hmac.new(key.encode(), str(patient_id).encode(), hashlib.sha256)
    return PREFIX + digest.hexdigest()[:12].upper()


def patient_id_of(key: str) -> int | None:
    """The patient whose pseudonym this is, by the stored keys' index; None
    for no one, a key two patients share, or one stored under an old key."""
    from sesamlike.extensions import db
    from sesamlike.patients.models import PatientPseudonym

    if not _KEY.fullmatch(key or ""):
        return None
    query = (
        sa.select(PatientPseudonym.patient_id)
        .where(PatientPseudonym.pseudonym == key)
        .limit(2)
    )
    found = db.session.scalars(query).all()
    if not found and store_missing(db.session.connection()):
        found = db.session.scalars(query).all()
    if len(found) != 1 or pseudonym(found[0]) != key:
        return None
    return found[0]


def store_missing(connection: sa.Connection) -> int:
    """Store the pseudonyms of the patients that have none yet; a patient
    another request stored meanwhile is left as it is."""
    from sesamlike.patients.models import Patient, PatientPseudonym

    table = PatientPseudonym.__table__
    missing = (
        connection.execute(
            sa.select(Patient.id).where(
                ~sa.exists().where(table.c.patient_id == Patient.id)
            )
        )
        .scalars()
        .all()
    )
    insert = (
        postgresql.insert(table)
        if connection.dialect.name == "postgresql"
        else sqlite.insert(table)
    ).on_conflict_do_nothing(index_elements=["patient_id"])
    for start in range(0, len(missing), _CHUNK):
        chunk = missing[start : start + _CHUNK]
        connection.execute(
            insert, [{"patient_id": i, "pseudonym": pseudonym(i)} for i in chunk]
        )
    return len(missing)


def store(connection: sa.Connection, patient_ids: Iterable[int]) -> int:
    """Store (or replace) these patients' pseudonyms under the current key."""
    from sesamlike.patients.models import PatientPseudonym

    table = PatientPseudonym.__table__
    ids = list(patient_ids)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        connection.execute(sa.delete(table).where(table.c.patient_id.in_(chunk)))
        connection.execute(
            sa.insert(table),
            [{"patient_id": i, "pseudonym": pseudonym(i)} for i in chunk],
        )
    return len(ids)


def store_all(connection: sa.Connection) -> int:
    """Every patient's pseudonym under the current key (after a key change)."""
    from sesamlike.patients.models import Patient

    ids = connection.execute(sa.select(Patient.id).order_by(Patient.id)).scalars()
    return store(connection, list(ids))
