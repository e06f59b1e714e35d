"""The report's figures of a scope and year, kept once computed.

A region's figures sort every patient-year's cost once per grouping (the
summaries' statement), which at national scale takes seconds, while the data
they come from changes only when a run finishes (the stored costs and payers)
or a patient is changed (age group, diabetes type). So the first report of a
scope, year and high-cost line after such a change computes them
(`summaries.figures`) and keeps them as JSON in `followup_report_figures`
with a token of the data: the year's last finished run and the patients'
count and last change. Every later report of it reads that one row while the
token is the same, and so gets the same figures as the per-patient rows
(a manager's several clinics too: the key is the set of clinics).

PostgreSQL only: the row is written on a connection of its own, in its own
short transaction, so a report (a GET, which commits nothing) keeps it. On
SQLite (small regions) the figures are computed every time.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from sesamlike.common.time import utcnow
from sesamlike.extensions import db
from sesamlike.followup.models import FollowupRun, ReportFigures
from sesamlike.followup.scope import Scope
from sesamlike.followup.stats import Summary
from sesamlike.followup.summaries import Figures
from sesamlike.patients.models import Patient

table = ReportFigures.__table__
SUMMARY_FIELDS = tuple(Summary.__dataclass_fields__)


def scope_key(scope: Scope, year: int, threshold: Decimal | None) -> str:
    """The row's key: the year, the clinics in scope (all: the region) and the
    high-cost line."""
    ids = scope.clinic_ids()
    clinics = "*" if ids is None else ",".join(str(i) for i in sorted(set(ids)))
    text = f"{year}|{clinics}|{threshold}"
    return hashlib.sha256(text.encode()).hexdigest()


def data_token(year: int) -> str | None:
    """What the figures of the year were computed from: the last finished
    run of the year, and the patients' count and last change. None before
    any run of the year has finished (then nothing is kept)."""
    run = db.session.execute(
        sa.select(FollowupRun.id, FollowupRun.finished_at)
        .where(FollowupRun.year == year, FollowupRun.finished_at.is_not(None))
        .order_by(FollowupRun.id.desc())
        .limit(1)
    ).first()
    if run is None:
        return None
    count, changed = db.session.execute(
        sa.select(sa.func.count(), sa.func.max(Patient.updated_at))
    ).one()
    changed = changed.isoformat() if changed else ""
    return f"{run.id}|{run.finished_at.isoformat()}|{count}|{changed}"


def figures(scope: Scope, year: int, threshold: Decimal | None,
            compute: Callable[[], Figures]) -> Figures:  # fmt: skip
    """The kept figures of the scope, year and line if the data is still what
    they were computed from, else `compute()`'s, then kept."""
    if db.session.connection().dialect.name != "postgresql":
        return compute()
    token = data_token(year)
    if token is None:
        return compute()
    key = scope_key(scope, year, threshold)
    kept = db.session.scalar(
        sa.select(table.c.figures).where(table.c.key == key, table.c.token == token)
    )
    if kept is not None:
        return loads(kept)
    found = compute()
    keep(key, token, found)
    return found


def keep(key: str, token: str, found: Figures) -> None:
    """Write the row in a transaction of its own (a concurrent report of the
    same scope may write it too: the last one stays)."""
    values = dict(key=key, token=token, figures=dumps(found), computed_at=utcnow())
    statement = insert(table).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={name: statement.excluded[name] for name in values if name != "key"},
    )
    with db.engine.begin() as connection:
        connection.execute(statement)


def dumps(found: Figures) -> str:
    """Figures as JSON: amounts as strings, each grouping's groups in order."""
    groups = {
        name: [
            [key, [str(getattr(summary, f)) for f in SUMMARY_FIELDS]]
            for key, summary in each.items()
        ]
        for name, each in found.groups.items()
    }
    return json.dumps(
        dict(groups=groups, system_ages=found.system_ages,
             pump_users=found.pump_users, high_cost=found.high_cost)
    )  # fmt: skip


def loads(text: str) -> Figures:
    data = json.loads(text)
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
