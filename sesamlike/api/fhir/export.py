"""The region's bulk export (FHIR Bulk Data Access): kick-off, status, files, the job.

The web request only records what was asked for; the scheduler's `fhir_export`
job writes one NDJSON file per resource type under instance/fhir-exports/<key>/
and removes the files when the export expires. Patients are pseudonymised: a
keyed hash (HMAC-SHA256 with FHIR_PSEUDONYM_KEY, never stored in the repository)
of the patient id, so the same patient has the same pseudonym in every export.
Every patient whose data is in the files gets a read row in their access log.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from sesamlike.accounts import audit
from sesamlike.accounts.models import Role, User
from sesamlike.api.fhir import codes as c
from sesamlike.api.fhir import resources as r
from sesamlike.api.fhir.models import BulkExport, ExportStatus
from sesamlike.api.fhir.outcome import FhirError
from sesamlike.api.fhir.queries import KINDS
from sesamlike.common.i18n import N_
from sesamlike.common.time import stored_utc, utcnow
from sesamlike.extensions import db
from sesamlike.followup import audited

EXPORT_TYPES = (
    "Patient",
    "DeviceRequest",
    "SupplyRequest",
    "SupplyDelivery",
    "DeviceDispense",
    "Device",
    "Organization",
)
OUTPUT_FORMATS = {"application/fhir+ndjson", "application/ndjson", "ndjson"}
CHUNK = 1000
# Whose data each exported row carries (Device and Organization: no patient's).
PATIENT_OF = {
    "Patient": lambda row: row.id,
    "DeviceRequest": lambda row: row.patient_id,
    "SupplyRequest": lambda row: row.order.patient_id,
    "SupplyDelivery": lambda row: row.order.patient_id,
    "DeviceDispense": lambda row: row.order.patient_id,
}


def pseudonym(patient_id: int, key: str | None = None) -> str:
    """A stable pseudonym: HMAC-SHA256(key, patient id), 40 hex digits."""
    secret = (key or current_app.config["FHIR_PSEUDONYM_KEY"]).encode()
    digest = hmac.new(secret, f"patient:{patient_id}".encode(), hashlib.sha256)
    return digest.hexdigest()[:40]


def pseudonymised_viewer() -> r.Viewer:
    key = current_app.config["FHIR_PSEUDONYM_KEY"]
    return r.Viewer(
        patient_ref=lambda pid: c.reference("Patient", pseudonym(pid, key)),
        shows_contact=lambda patient: False,
        staff_names=False,
        free_text=False,
    )


def export_root() -> Path:
    return Path(current_app.config["INSTANCE_DIR"]) / "fhir-exports"


# The web side ------------------------------------------------------------------


def kick_off(
    user: User, types: list[str], since: datetime | None, request_url: str
) -> BulkExport:
    """Record an export for the job to run (region role only)."""
    if user.role != Role.REGION:
        raise FhirError(403, N_("Bara regionens uppföljning får exportera."))
    if not current_app.config.get("FHIR_PSEUDONYM_KEY"):
        raise FhirError(
            503, N_("Exporten är inte konfigurerad (nyckel för pseudonymer saknas).")
        )
    export = BulkExport(
        key=secrets.token_urlsafe(24),
        user_id=user.id,
        status=ExportStatus.QUEUED,
        types=",".join(types or EXPORT_TYPES),
        since=since,
        request_url=request_url[:500],
    )
    db.session.add(export)
    db.session.flush()
    audit.record("export", "fhir_export", patient_id=None, object_id=export.id,
                 user=user, detail=f"FHIR $export {export.types}")  # fmt: skip
    db.session.commit()
    return export


def own_export(user: User, key: str) -> BulkExport:
    """The export with this key, if this user started it (else 404)."""
    export = db.session.scalar(
        sa.select(BulkExport).where(
            BulkExport.key == key, BulkExport.user_id == user.id
        )
    )
    if export is None or export.status == ExportStatus.DELETED:
        raise FhirError(404)
    if export.status == ExportStatus.EXPIRED or _expired(export, utcnow()):
        raise FhirError(410)
    return export


def delete(user: User, key: str) -> None:
    """Cancel or delete an export; its files go now (a running job stops writing)."""
    export = own_export(user, key)
    export.status = ExportStatus.DELETED
    db.session.commit()
    shutil.rmtree(export_root() / export.key, ignore_errors=True)


def file_path(user: User, key: str, name: str) -> Path:
    export = own_export(user, key)
    if export.status != ExportStatus.COMPLETED:
        raise FhirError(404)
    files = {item["file"] for item in export.output or []}
    if name not in files:
        raise FhirError(404)
    audit.record("export_file", "fhir_export", patient_id=None, object_id=export.id,
                 user=user, detail=f"FHIR $export file {name}")  # fmt: skip
    db.session.commit()
    return export_root() / export.key / name


def _expired(export: BulkExport, now: datetime) -> bool:
    expires = stored_utc(export.expires_at)
    return expires is not None and expires <= now


# The job -----------------------------------------------------------------------


def run_pending(now: datetime) -> dict:
    """The scheduler's job: remove expired exports, then run every queued one."""
    expired = remove_expired(now)
    done = failed = 0
    while (export := _claim_next()) is not None:
        try:
            write_export(export)
        except Exception as error:  # recorded on the export; the next one still runs
            db.session.rollback()
            export = db.session.get(BulkExport, export.id)
            export.status = ExportStatus.FAILED
            export.message = f"{type(error).__name__}: {error}"[:4000]
            export.finished_at = utcnow()
            export.expires_at = export.finished_at + _lifetime()
            db.session.commit()
            shutil.rmtree(export_root() / export.key, ignore_errors=True)
            failed += 1
        else:
            done += 1
    return {"exports": done, "failed": failed, "expired": expired}


def remove_expired(now: datetime) -> int:
    rows = db.session.scalars(
        sa.select(BulkExport).where(
            BulkExport.status.in_([ExportStatus.COMPLETED, ExportStatus.FAILED]),
            BulkExport.expires_at <= now,
        )
    ).all()
    for export in rows:
        shutil.rmtree(export_root() / export.key, ignore_errors=True)
        export.status = ExportStatus.EXPIRED
    db.session.commit()
    return len(rows)


def _claim_next() -> BulkExport | None:
    export = db.session.scalar(
        sa.select(BulkExport)
        .where(BulkExport.status == ExportStatus.QUEUED)
        .order_by(BulkExport.id)
        .limit(1)
    )
    if export is None:
        return None
    claimed = db.session.execute(
        sa.update(BulkExport)
        .where(BulkExport.id == export.id, BulkExport.status == ExportStatus.QUEUED)
        .values(status=ExportStatus.RUNNING, started_at=utcnow())
    ).rowcount
    db.session.commit()
    return db.session.get(BulkExport, export.id) if claimed else _claim_next()


def write_export(export: BulkExport) -> None:
    """Write one NDJSON file per type, then publish them in one commit."""
    export_id, key, since = export.id, export.key, export.since
    folder = export_root() / key
    folder.mkdir(parents=True, exist_ok=True)
    viewer = pseudonymised_viewer()
    output = []
    patient_ids: set[int] = set()
    for name in export.type_list:
        path = folder / f"{name}.ndjson"
        count, size = _write_type(path, name, since, viewer, patient_ids)
        if count == 0:  # the manifest lists files with resources only
            path.unlink()
            continue
        output.append({"type": name, "file": path.name, "count": count, "bytes": size})
    export = db.session.get(BulkExport, export_id)
    db.session.refresh(export)
    if export.status == ExportStatus.DELETED:  # deleted while it ran
        shutil.rmtree(folder, ignore_errors=True)
        return
    # Each patient in the files is read by the region that asked (Patientdatalagen:
    # every read in the patient's own log), written with the export it belongs to.
    audited.record_many("read", "patient", sorted(patient_ids), user=export.user,
                        detail=f"FHIR $export {export.id}", channel="fhir")  # fmt: skip
    export.status = ExportStatus.COMPLETED
    export.output = output
    export.finished_at = utcnow()
    export.expires_at = export.finished_at + _lifetime()
    db.session.commit()


def _write_type(
    path: Path,
    name: str,
    since: datetime | None,
    viewer: r.Viewer,
    patient_ids: set[int],
) -> tuple[int, int]:
    """Write one type's file; add the patients whose data it holds."""
    kind = KINDS[name]
    patient_of = PATIENT_OF.get(name)
    query = kind.query().order_by(kind.id_column)
    if since is not None and kind.since is not None:
        query = query.where(kind.since(since))
    count = 0
    last = 0
    partial = path.with_suffix(".part")
    with partial.open("w", encoding="utf-8") as out:
        # Keyset pages by primary key: each page its own short query; the
        # session's identity map holds rows weakly, so memory stays flat.
        while rows := db.session.scalars(
            query.where(kind.id_column > last).limit(CHUNK)
        ).all():
            last = rows[-1].id
            if patient_of is not None:
                patient_ids.update(patient_of(row) for row in rows)
            if name == "Patient":
                resources = [
                    r.pseudonymised_patient(row, pseudonym_of(viewer, row.id))
                    for row in rows
                ]
            else:
                resources = kind.render(rows, viewer)
            for resource in resources:
                out.write(json.dumps(resource, ensure_ascii=False,
                                     separators=(",", ":")) + "\n")  # fmt: skip
            count += len(resources)
    partial.replace(path)
    return count, path.stat().st_size


def pseudonym_of(viewer: r.Viewer, patient_id: int) -> str:
    return viewer.patient_ref(patient_id)["reference"].split("/", 1)[1]


def _lifetime() -> timedelta:
    return timedelta(hours=current_app.config["FHIR_EXPORT_HOURS"])
