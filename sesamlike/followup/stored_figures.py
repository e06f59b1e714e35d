"""What the report computes over every patient-year, kept once computed.

A region's figures sort every patient-year's cost once per grouping (the
summaries' statement), its trend sums every year's stored costs, and its cost
centre sums read every stored payer of the year: at national scale seconds,
while what they come from changes only when a run finishes (the stored costs
and payers) or a patient's birth date or diabetes type changes (age group,
diabetes type). So the first report after such a change computes them and
keeps each as JSON in `followup_report_figures`, under a key (what, the
clinics in scope, the year, the high-cost line) with a token of the data: the
last finished run (of the year; for the trend, of any year) and, for the
figures, the number of those patient changes (migration 0043; before it, any
change to any patient, a phone number too, made every figure be computed
again). Every later report reads the kept row while the token is
the same, and so shows the same figures as the per-patient rows (a manager's
several clinics too: the key is the set of clinics). What a year without
stored payers works out from today's lines is never kept.

PostgreSQL only: the row is written on a connection of its own, in its own
short transaction, so a report (a GET, which commits nothing) keeps it. On
SQLite (small regions) everything is computed every time.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from sesamlike.common.data_versions import GROUPING_VERSION
from sesamlike.common.time import utcnow
from sesamlike.extensions import db
from sesamlike.followup.cost_centres import remember_stored_payers, stored_payers
from sesamlike.followup.models import FollowupRun, ReportFigures
from sesamlike.followup.scope import Scope
from sesamlike.followup.stats import Summary
from sesamlike.followup.summaries import Figures

table = ReportFigures.__table__
T = TypeVar("T")
SUMMARY_FIELDS = tuple(Summary.__dataclass_fields__)


def scope_key(kind: str, scope: Scope, *parts) -> str:
    """The row's key: what is kept (figures, trend, cost centres), the clinics
    in scope (all: the region) and the rest of what it depends on (the year,
    the high-cost line)."""
    ids = scope.clinic_ids()
    clinics = "*" if ids is None else ",".join(str(i) for i in sorted(set(ids)))
    text = "|".join([kind, clinics, *(str(part) for part in parts)])
    return hashlib.sha256(text.encode()).hexdigest()


def run_token(year: int | None) -> str | None:
    """The last finished run of the year (None: of any year), or None before
    one has finished (then nothing is kept)."""
    query = sa.select(FollowupRun.id, FollowupRun.finished_at).where(
        FollowupRun.finished_at.is_not(None)
    )
    if year is not None:
        query = query.where(FollowupRun.year == year)
    run = db.session.execute(query.order_by(FollowupRun.id.desc()).limit(1)).first()
    return None if run is None else f"{run.id}|{run.finished_at.isoformat()}"


def data_token(year: int) -> str | None:
    """What the figures of the year were computed from: the last finished
    run of the year, and what the patients are grouped by as it is now (age
    group and diabetes type come from the patients' birth dates and diabetes
    types): the number of transactions that changed one
    (`data_versions.GROUPING_VERSION`, a trigger's rows; the nightly prune
    keeps the number). Nothing else of a patient is in the figures: a phone
    number changed at a reorder, or a new patient (no cost until a run), keeps
    them. Patients are never deleted (nothing in the application deletes one)."""
    run = run_token(year)
    if run is None:
        return None
    return f"{run}|{db.session.scalar(GROUPING_VERSION)}"


def figures(scope: Scope, year: int, threshold: Decimal | None,
            compute: Callable[[], Figures]) -> Figures:  # fmt: skip
    """The report's figures of the scope, year and high-cost line."""
    if not keeps(scope, year):
        return compute()  # a year without stored payers: from today's lines
    key = scope_key("figures", scope, year, threshold)
    return kept(key, lambda: data_token(year), compute, dumps, loads)


def figures_of(scopes: Sequence[Scope], year: int, threshold: Decimal | None,
               compute: Callable[[Scope], Figures]) -> list[Figures]:  # fmt: skip
    """`figures` of several scopes of one year and line at once (the region's
    clinics side by side): the data's token read once and the kept rows in
    one statement, where each scope asked four statements of its own (43
    clinics: 172). A scope whose figures are not kept, or not yet, is
    computed (and kept) as `figures` does."""
    if not scopes or not postgresql():
        return [compute(scope) for scope in scopes]
    stored = stored_payers(scopes[0], year)
    for scope in scopes[1:]:
        remember_stored_payers(scope, year, stored)
    keys = [scope_key("figures", scope, year, threshold)
            if keepable(scope, year) else None for scope in scopes]  # fmt: skip
    token = data_token(year) if any(keys) else None
    found = {}
    if token is not None:
        found = dict(
            db.session.execute(
                sa.select(table.c.key, table.c.figures).where(
                    table.c.key.in_({key for key in keys if key}),
                    table.c.token == token,
                )
            ).all()
        )
    result = []
    for scope, key in zip(scopes, keys, strict=True):
        if key is None or token is None:
            result.append(compute(scope))
        elif (text := found.get(key)) is not None:
            result.append(loads(json.loads(text)))
        else:
            value = compute(scope)
            keep(key, token, json.dumps(dumps(value)))
            result.append(value)
    return result


def kept_keys(keys: set[str], token: str) -> set[str]:
    """Those of the keys kept under the token (PostgreSQL)."""
    found = sa.select(table.c.key).where(table.c.key.in_(keys), table.c.token == token)
    return set(db.session.scalars(found))


def keeps(scope: Scope, year: int) -> bool:
    """Whether what the report computes for the scope and year is kept at all:
    on PostgreSQL (`postgresql`), and `keepable`."""
    return postgresql() and keepable(scope, year)


def keepable(scope: Scope, year: int) -> bool:
    """Whether the scope's figures of the year are kept: not those a year
    without stored payers works out from today's lines (a clinic's)."""
    return scope.region_wide or stored_payers(scope, year)


def kept(key: str, token_of: Callable[[], str | None], compute: Callable[[], T],
         dump: Callable[[T], object], load: Callable[[object], T]) -> T:  # fmt: skip
    """What is kept under the key if the data is still what it was computed
    from (`token_of()`), else `compute()`'s, then kept (`dump` makes it
    JSON-able, `load` makes it again). On SQLite, or without a token,
    `compute()`'s."""
    if not postgresql():
        return compute()
    token = token_of()
    if token is None:
        return compute()
    found = db.session.scalar(
        sa.select(table.c.figures).where(table.c.key == key, table.c.token == token)
    )
    if found is not None:
        return load(json.loads(found))
    value = compute()
    keep(key, token, json.dumps(dump(value)))
    return value


def kept_until_run(
    kind: str,
    scope: Scope,
    year: int,
    compute: Callable[[], T],
    dump: Callable[[T], object],
    load: Callable[[object], T],
) -> T:
    """A page that reads the year's lines (`kind`: "channels", "articles"),
    kept until the next run of the year as the lines were when first
    computed after it (the nightly warming does so right after the run);
    computed from today's lines where the scope's figures are not kept
    (`keeps`)."""
    if not keeps(scope, year):
        return compute()
    return kept(scope_key(kind, scope, year), lambda: run_token(year), compute,
                dump, load)  # fmt: skip


def postgresql() -> bool:
    """Whether figures are kept at all (PostgreSQL only)."""
    return db.session.connection().dialect.name == "postgresql"


def keep(key: str, token: str, text: str) -> None:
    """Write the row in a transaction of its own (a concurrent report of the
    same scope may write it too: the last one stays)."""
    values = dict(key=key, token=token, figures=text, computed_at=utcnow())
    statement = insert(table).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={name: statement.excluded[name] for name in values if name != "key"},
    )
    with db.engine.begin() as connection:
        connection.execute(statement)


def dumps(found: Figures) -> dict:
    """Figures as JSON: amounts as strings, each grouping's groups in order."""
    groups = {
        name: [
            [key, [str(getattr(summary, f)) for f in SUMMARY_FIELDS]]
            for key, summary in each.items()
        ]
        for name, each in found.groups.items()
    }
    return dict(groups=groups, system_ages=found.system_ages,
                pump_users=found.pump_users, high_cost=found.high_cost)  # fmt: skip


def loads(data: dict) -> Figures:
    groups = {
        name: {key: _summary(values) for key, values in each}
        for name, each in data["groups"].items()
    }
    return Figures(
        groups=groups,
        system_ages=data["system_ages"],
        pump_users=data["pump_users"],
        high_cost=data["high_cost"],
    )


def _summary(values: list[str]) -> Summary:
    fields = dict(zip(SUMMARY_FIELDS, values, strict=True))
    return Summary(
        **{
            name: int(v) if name == "patients" else Decimal(v)
            for name, v in fields.items()
        }
    )
