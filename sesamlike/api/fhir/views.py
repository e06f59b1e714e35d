"""Routes of /fhir/r5: metadata, read, search, and the bulk export's endpoints."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urlencode

from flask import g, request, send_file
from werkzeug.http import http_date, parse_options_header

from sesamlike.api.auth import bearer_user
from sesamlike.api.fhir import bp, export, services
from sesamlike.api.fhir.capability import capability_statement
from sesamlike.api.fhir.codes import instant
from sesamlike.api.fhir.models import ExportStatus
from sesamlike.api.fhir.outcome import (
    FhirError,
    fhir_response,
    information_response,
    outcome_response,
)
from sesamlike.common.i18n import N_
from sesamlike.common.time import stored_utc
from sesamlike.common.urls import public_url
from sesamlike.extensions import db

PUBLIC = {"fhir.metadata"}
PAGING = {"_count", "_offset"}
IGNORED = {"_format"}  # checked by `negotiate`: it names JSON, or the answer is 406
# What a client may ask for and get JSON (Accept or _format), and the one FHIR
# version we answer in (the media type's fhirVersion parameter).
JSON_TYPES = frozenset({"application/fhir+json", "application/json", "json",
                        "*/*", "application/*"})  # fmt: skip
FHIR_VERSION = "5.0"
# A bulk file is NDJSON whatever the client asks: the Bulk Data spec's default.
UNNEGOTIATED = {"fhir.export_file"}
EXPORT_PARAMS = {"_type", "_since", "_outputFormat"}
RETRY_AFTER_SECONDS = 15
UNKNOWN = N_("Sökparametern {name} stöds inte.")
UNSUPPORTED = N_("Parametern {name} stöds inte.")
_DIGITS = re.compile(r"[0-9]{1,10}")
# The FHIR R5 instant (datatypes.html#instant), as its regex: seconds, a time
# zone, and nothing of ISO 8601's other forms (basic format, week dates).
_INSTANT = re.compile(
    r"([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)-(0[1-9]|1[0-2])-"
    r"(0[1-9]|[1-2][0-9]|3[0-1])T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)"
    r"(\.[0-9]{1,9})?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))"
)


def base_url() -> str:
    """The FHIR base as clients reach it, for the links in answers: PUBLIC_URL,
    else the development server's address (`common.urls.public_url`), never
    the request's Host header: whoever sends the request names it, and a
    client following a link sends its bearer token there."""
    return public_url(request.script_root + bp.url_prefix)


def _request_url() -> str:
    """This request's URL (path and query as received) on the same base."""
    return public_url("/" + request.url.removeprefix(request.host_url))


@bp.before_request
def authenticate():
    """401 unless a valid bearer token names an active user (metadata is public)."""
    if request.endpoint in PUBLIC:
        return None
    if bearer_user() is None:
        return outcome_response(401)
    return None


@bp.before_request
def negotiate():
    """406 unless the client takes JSON: _format if given, else Accept."""
    if request.endpoint in UNNEGOTIATED:
        return None
    formats = request.args.getlist("_format")
    if formats:
        wanted = formats
    elif request.accept_mimetypes:
        wanted = [value for value, quality in request.accept_mimetypes if quality > 0]
    else:
        return None  # no Accept: anything will do
    if not any(_takes_json(media_range) for media_range in wanted):
        return outcome_response(406)
    return None


def _takes_json(media_range: str) -> bool:
    mimetype, params = parse_options_header(media_range)
    version = params.get("fhirversion")
    return mimetype.lower() in JSON_TYPES and version in (None, FHIR_VERSION)


@bp.errorhandler(FhirError)
def fhir_error(error: FhirError):
    db.session.rollback()  # a refused request writes nothing
    return outcome_response(error.status, error.message, **error.params)


@bp.get("/metadata")
def metadata():
    """The CapabilityStatement (no token needed); mode=full is the only mode."""
    params = _single_values({"mode"} | IGNORED, UNSUPPORTED)
    if params.get("mode", "full") != "full":
        raise FhirError(400, N_("Bara mode=full stöds."))
    return fhir_response(capability_statement(base_url(), "0.1.0"))


@bp.get("/<resource_type>/<resource_id>")
def read(resource_type: str, resource_id: str):
    """One resource, when its patient is visible to you; else 404."""
    services.kind_for(g.api_user, resource_type, "read")
    _single_values(IGNORED, UNSUPPORTED)  # refused before anything is read
    return fhir_response(services.read(g.api_user, resource_type, resource_id))


@bp.get("/<resource_type>")
def search(resource_type: str):
    """A searchset of one patient's resources, paged by _count."""
    kind = services.kind_for(g.api_user, resource_type, "search-type")
    params = _single_values(set(kind.search_params) | PAGING | IGNORED)
    count = _integer(params, "_count", services.DEFAULT_COUNT, services.MAX_COUNT)
    offset = _integer(params, "_offset", 0, 2**31 - 1)
    page = services.search(g.api_user, resource_type, params, offset, count)
    criteria = {k: v for k, v in params.items() if k in kind.search_params}
    return fhir_response(_bundle(resource_type, criteria, page))


def _bundle(resource_type: str, criteria: dict, page: services.Page) -> dict:
    base = base_url()

    def link(relation: str, offset: int) -> dict:
        query = urlencode({**criteria, "_count": page.count, "_offset": offset})
        return {"relation": relation, "url": f"{base}/{resource_type}?{query}"}

    links = [link("self", page.offset)]
    if page.count and page.offset + page.count < page.total:
        links.append(link("next", page.offset + page.count))
    if page.offset > 0 and page.count and page.total:
        # Past the end, back to the last page with matches, not to another
        # page past the end; with no matches at all there is nothing before.
        last_page = (page.total - 1) // page.count * page.count
        links.append(link("previous", min(max(page.offset - page.count, 0),
                                          last_page)))  # fmt: skip
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "timestamp": instant(datetime.now(UTC)),
        "total": page.total,
        "link": links,
    }
    if page.resources:  # FHIR JSON has no empty arrays: no matches, no entry
        bundle["entry"] = [
            {
                "fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}",
                "resource": resource,
                "search": {"mode": "match"},
            }
            for resource in page.resources
        ]
    return bundle


def _single_values(allowed: set[str], unknown: str = UNKNOWN) -> dict[str, str]:
    """The query as {name: value}; an unknown or repeated parameter is a 400."""
    params: dict[str, str] = {}
    for name, values in request.args.lists():
        if name not in allowed:
            raise FhirError(400, unknown, name=name)
        if len(values) != 1:
            raise FhirError(400, N_("Ange {name} bara en gång."), name=name)
        params[name] = values[0]
    return params


def _integer(params: dict, name: str, default: int, maximum: int) -> int:
    value = params.get(name)
    if value is None:
        return default
    # ASCII digits only, and few: str.isdigit() takes "²" and other scripts'
    # digits, which int() refuses, and int() refuses over 4,300 digits.
    if _DIGITS.fullmatch(value) is None or int(value) > maximum:
        raise FhirError(
            400,
            N_("{name} ska vara ett heltal 0–{maximum}."),
            name=name,
            maximum=maximum,
        )
    return int(value)


# Bulk export -----------------------------------------------------------------------


@bp.get("/$export")
def export_kick_off():
    """Start a pseudonymised export of the whole region (region role)."""
    if "respond-async" not in request.headers.get("Prefer", ""):
        raise FhirError(400, N_("Skicka Prefer: respond-async."))
    params = {}
    for name, values in request.args.lists():
        if name not in EXPORT_PARAMS:
            raise FhirError(400, UNSUPPORTED, name=name)
        params[name] = ",".join(values)
    types = [t.strip() for t in params.get("_type", "").split(",") if t.strip()]
    unknown = [t for t in types if t not in export.EXPORT_TYPES]
    if unknown:
        raise FhirError(400, N_("Typen {type} kan inte exporteras."), type=unknown[0])
    output_format = params.get("_outputFormat", "application/fhir+ndjson")
    if output_format not in export.OUTPUT_FORMATS:
        raise FhirError(400, N_("Bara NDJSON (application/fhir+ndjson) stöds."))
    since = _since(params.get("_since"))
    started = export.kick_off(g.api_user, list(dict.fromkeys(types)), since,
                              _request_url())  # fmt: skip
    location = f"{base_url()}/$export-poll/{started.key}"
    return information_response(
        202,
        N_("Exporten är beställd; fråga Content-Location."),
        {"Content-Location": location},
    )


def _since(value: str | None) -> datetime | None:
    """A FHIR instant, in UTC; anything else (other ISO 8601 forms, a moment
    outside years 1-9999 once in UTC) is a 400."""
    if not value:
        return None
    try:
        if _INSTANT.fullmatch(value) is None:
            raise ValueError(value)
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except (ValueError, OverflowError):
        raise FhirError(
            400,
            N_("_since ska vara en FHIR instant, ÅÅÅÅ-MM-DDThh:mm:ss med tidszon "
               "(Z eller +hh:mm), som i UTC ligger mellan år 1 och 9999."),
        ) from None  # fmt: skip


@bp.get("/$export-poll/<key>")
def export_status(key: str):
    """202 while the job works, then 200 with the manifest (the starter only)."""
    started = export.own_export(g.api_user, key)
    if started.status in (ExportStatus.QUEUED, ExportStatus.RUNNING):
        return information_response(
            202,
            N_("Exporten är inte klar än; fråga igen efter Retry-After."),
            {"X-Progress": started.status, "Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    if started.status == ExportStatus.FAILED:
        return outcome_response(500, N_("Exporten misslyckades."))
    base = base_url()
    manifest = {
        "transactionTime": instant(started.started_at),
        "request": started.request_url,
        "requiresAccessToken": True,
        "output": [
            {"type": item["type"], "count": item["count"],
             "url": f"{base}/$export-file/{started.key}/{item['file']}"}
            for item in started.output or []
        ],
        "error": [],
    }  # fmt: skip
    expires = stored_utc(started.expires_at)
    # The manifest is no FHIR resource: the Bulk Data spec serves it as JSON.
    return fhir_response(
        manifest, 200, {"Expires": http_date(expires)}, mimetype="application/json"
    )


@bp.delete("/$export-poll/<key>")
def export_delete(key: str):
    """Cancel a running export or delete a finished one's files."""
    export.delete(g.api_user, key)
    return information_response(202, N_("Exporten är borttagen."))


@bp.get("/$export-file/<key>/<name>")
def export_file(key: str, name: str):
    """One NDJSON file of an export (the starter's token only)."""
    path = export.file_path(g.api_user, key, name)
    return send_file(path, mimetype="application/fhir+ndjson", max_age=0)
