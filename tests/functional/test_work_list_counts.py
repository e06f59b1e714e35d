"""The prescriber's work lists count every list in the database and load the rows
of the list shown alone: the counts, the rows and their order must be what the
rules in Python say (`Prescription.runs_out_on`, `status.due_on`), on SQLite
and PostgreSQL alike, and a list longer than a page is counted whole, shown
in part and exported whole.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import UTC, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from sesamlike.accounts.models import AuditEvent, User
from sesamlike.catalog.models import DEVICE_CATEGORIES, Article
from sesamlike.common.time import REGION_TIMEZONE, region_today
from sesamlike.extensions import db
from sesamlike.orders import status as order_status
from sesamlike.orders import worklists
from sesamlike.orders.models import UNDELIVERED_LINE_STATUSES, LineStatus, OrderLine
from sesamlike.prescriptions.models import Prescription, PrescriptionStatus
from tests.factories import (
    load_demo_catalogue,
    make_clinic,
    make_depot,
    make_lent_device,
    make_order_line,
    make_patient,
    make_prescription,
    make_user,
)
from tests.migration_db import sqlite_plans_by

TODAY = region_today()


@pytest.fixture
def clinic(auth):
    load_demo_catalogue()
    make_depot("HMC")
    own = make_clinic("NORR", name="Diabetesmottagningen Norr")

    class Clinic:
        clinic = own
        other = make_clinic("SODR", name="Diabetesmottagningen Söder")
        nurse = make_user("prescriber", clinics=[own], username="ssk")

    auth.login("ssk")
    return Clinic


def articles(*, device: bool, channel: str | None = None) -> list[Article]:
    query = sa.select(Article).order_by(Article.article_no)
    if channel is not None:
        query = query.where(Article.channel == channel)
    found = db.session.scalars(query).all()
    return [a for a in found if (a.category in DEVICE_CATEGORIES) == device]


def nurse() -> User:
    return db.session.scalar(sa.select(User).where(User.username == "ssk"))


# The rule of the list "running out", as it stood in Python ---------------------


def running_out_by_the_rule(patient_ids: set[int], days: int) -> list[int]:
    """The prescriptions the list must show, in its order: consumables, not
    cancelled, valid at some time from 30 days ago to `days` ahead and ending
    by then or spent, whose `runs_out_on` falls in those days, neither renewed
    (by a prescription not cancelled) nor covered by another of the same
    patient and article, not cancelled, with withdrawals left, valid longer."""
    everything = db.session.scalars(sa.select(Prescription)).all()
    horizon = TODAY + timedelta(days)
    since = TODAY - timedelta(worklists.RAN_OUT_WINDOW)
    listed = []
    for rx in everything:
        ends = rx.runs_out_on
        if rx.patient_id not in patient_ids or ends is None:
            continue
        if not since <= ends <= horizon:
            continue
        if rx.valid_from > horizon or rx.valid_to < since:
            continue
        if rx.valid_to > horizon and rx.withdrawals_used < rx.withdrawals:
            continue
        if any(
            other.renewed_from_id == rx.id
            and other.status != PrescriptionStatus.CANCELLED
            for other in everything
        ):
            continue
        if any(
            other.id != rx.id
            and (other.patient_id, other.article_id) == (rx.patient_id, rx.article_id)
            and other.status != PrescriptionStatus.CANCELLED
            and other.withdrawals_used < other.withdrawals
            and other.valid_to > ends
            for other in everything
        ):
            continue
        listed.append((ends, rx.id))
    return [rx_id for _ends, rx_id in sorted(listed)]


def test_running_out_lists_and_counts_what_the_rule_says_in_its_order(clinic):
    """Two hundred prescriptions of every kind around today: spent or not,
    withdrawn lately or long ago (months of 28 to 31 days, leap days), over
    or not yet valid, cancelled, renewed, covered by another."""
    rng = random.Random(19)
    consumables = articles(device=False)[:4]
    devices = articles(device=True)[:1]
    own = [make_patient(clinic.clinic) for _ in range(6)]
    elsewhere = make_patient(clinic.other)
    made = []
    for _ in range(200):
        patient = rng.choice([*own, elsewhere])
        withdrawals = rng.randint(1, 4)
        used = rng.randint(0, withdrawals)
        valid_from = TODAY + timedelta(rng.randint(-500, 60))
        valid_to = valid_from + timedelta(rng.randint(0, 420))
        last = None  # a withdrawal is made while the prescription is valid
        if used and valid_from <= TODAY and rng.random() < 0.9:
            latest = min(valid_to, TODAY)
            last = latest - timedelta(rng.randint(0, (latest - valid_from).days))
        renewed_from = None
        if made and rng.random() < 0.15:
            renewed_from = rng.choice(made)
        rx = make_prescription(
            patient,
            rng.choice(devices if rng.random() < 0.1 else consumables),
            withdrawals=withdrawals,
            withdrawals_used=used,
            last_withdrawal_on=last,
            period_days=rng.choice([1, 28, 30, 31, 90, 365]),
            valid_from=valid_from,
            valid_to=valid_to,
            status=rng.choice(["active"] * 6 + ["cancelled", "used_up"]),
            renewed_from_id=renewed_from.id if renewed_from else None,
        )
        made.append(rx)
    ids = {patient.id for patient in own}
    for days in worklists.DAY_CHOICES:
        expected = running_out_by_the_rule(ids, days)
        work = worklists.work_list(nurse(), "running_out", days=days)
        shown = [row.prescription.id for row in work.rows]
        assert shown == expected, days
        assert work.counts["running_out"] == len(expected)
        assert [row.runs_out_on for row in work.rows] == [
            db.session.get(Prescription, rx_id).runs_out_on for rx_id in expected
        ]
    # The list is not empty, nor everything: the rule has been put to work.
    assert 0 < len(running_out_by_the_rule(ids, 365)) < len(made)


# The rule of the list "late" ---------------------------------------------------


def test_late_lists_and_counts_the_lines_past_their_channels_lead_time(clinic):
    """Lines of every channel placed from 25 days ago to now, at hours that
    are one day in Sweden and another in UTC (just before and after the
    region's midnight), over weekends and holidays alike."""
    patient = make_patient(clinic.clinic)
    by_channel = {
        channel: articles(device=False, channel=channel)[0]
        for channel in order_status.LEAD_TIME_WORKING_DAYS
    }
    statuses = [*sorted(UNDELIVERED_LINE_STATUSES), LineStatus.DELIVERED]
    for days_ago in range(26):
        day = TODAY - timedelta(days_ago)
        for clock in (time(0, 5), time(9, 0), time(23, 55)):
            local = datetime.combine(day, clock, tzinfo=REGION_TIMEZONE)
            for channel, article in by_channel.items():
                make_order_line(
                    patient,
                    article,
                    statuses[(days_ago + clock.hour) % len(statuses)],
                    channel=channel,
                    placed_at=min(local.astimezone(UTC), datetime.now(UTC)),
                )
    lines = db.session.scalars(sa.select(OrderLine)).all()
    late = {
        line.id
        for line in lines
        if line.status in UNDELIVERED_LINE_STATUSES
        and order_status.due_on(line.order.placed_at, line.channel) < TODAY
    }
    work = worklists.work_list(nurse(), "overdue")
    assert {row.line.id for row in work.rows} == late
    assert work.counts["overdue"] == len(late)
    assert all(row.late for row in work.rows)
    # Both sides of the bound are there: late lines, and undelivered ones not yet.
    undelivered = {
        line.id for line in lines if line.status in UNDELIVERED_LINE_STATUSES
    }
    assert late and undelivered - late


# Counts, rows and the page's limit ---------------------------------------------


def test_every_lists_count_is_its_rows_whichever_list_is_shown(clinic):
    patient = make_patient(clinic.clinic)
    stranger = make_patient(clinic.other)
    consumable = articles(device=False, channel="central")[0]
    device = articles(device=True)[0]
    for who in (patient, stranger):
        make_order_line(who, consumable, "backordered")
        make_order_line(who, consumable, "sent_to_supplier")
        make_order_line(
            who, consumable, "reserved", placed_at=datetime.now(UTC) - timedelta(30)
        )
        make_prescription(
            who, consumable, valid_from=TODAY - timedelta(350), valid_to=TODAY
        )
        make_lent_device(who, device, warranty_end=TODAY + timedelta(20))
        make_lent_device(who, device, warranty_end=TODAY - timedelta(400))
    shown = {
        name: worklists.work_list(nurse(), name, days=90) for name in worklists.LISTS
    }
    for name, work in shown.items():
        assert work.counts == {
            each: len(shown[each].rows) for each in worklists.LISTS
        }, name
        assert {row.patient.id for row in work.rows} <= {patient.id}
    assert all(shown[name].rows for name in ("open", "running_out", "warranty"))


def test_a_list_longer_than_a_page_is_counted_whole_and_exported_whole(
    client, clinic, monkeypatch
):
    """And every patient of the file is audited as exported, not only the
    page's."""
    monkeypatch.setattr(worklists, "MAX_ROWS", 3)
    consumable = articles(device=False, channel="central")[0]
    patients = []
    for packs in range(1, 6):
        patient = make_patient(clinic.clinic, first_name="Lina", last_name="Berg")
        make_order_line(patient, consumable, "backordered", packs=packs)
        patients.append(patient.id)
    page = client.get("/orders", query_string={"list": "backordered"})
    text = page.get_data(as_text=True)
    assert text.count("Lina Berg") == 3
    assert "500 första" in text or "första raderna" in text
    work = worklists.work_list(nurse(), "backordered")
    assert work.counts["backordered"] == 5 and work.truncated
    export = client.get("/orders/worklist.csv", query_string={"list": "backordered"})
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True)), delimiter=";"))
    assert sorted(int(row[6]) for row in rows[1:]) == [1, 2, 3, 4, 5]
    exported = db.session.scalars(
        sa.select(AuditEvent.patient_id).where(AuditEvent.action == "export")
    ).all()
    assert sorted(exported) == sorted(patients)


def test_a_chosen_clinic_lists_and_counts_its_own_patients_only(clinic):
    """A prescriber of two clinics: each clinic's lists, or both together."""
    both = make_user("prescriber", clinics=[clinic.clinic, clinic.other])
    consumable = articles(device=False, channel="central")[0]
    device = articles(device=True)[0]
    in_care = {}
    for code, where in (("NORR", clinic.clinic), ("SODR", clinic.other)):
        patient = make_patient(where)
        make_order_line(patient, consumable, "backordered")
        make_prescription(
            patient, consumable, valid_from=TODAY - timedelta(300), valid_to=TODAY
        )
        make_lent_device(patient, device, warranty_end=TODAY + timedelta(5))
        in_care[code] = patient.id
    for code, expected in (
        ("NORR", {in_care["NORR"]}),
        ("SODR", {in_care["SODR"]}),
        (None, set(in_care.values())),
    ):
        for name in ("backordered", "running_out", "warranty"):
            work = worklists.work_list(both, name, clinic_code=code)
            assert {row.patient.id for row in work.rows} == expected, (code, name)
            assert work.counts[name] == len(expected)


def test_a_list_is_read_in_as_many_statements_however_long_it_is(client, clinic):
    """Its rows are read once, not again one at a time after the audit rows
    are committed (a clinic's 500 devices were 1,000 statements more)."""
    device = articles(device=True)[0]
    consumable = articles(device=False, channel="central")[0]

    def statements(name: str) -> int:
        sent = []

        def keep(_conn, _cursor, statement, *_args):
            sent.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", keep)
        try:
            assert client.get("/orders", query_string={"list": name}).status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", keep)
        return len(sent)

    def add(count: int) -> None:
        for _ in range(count):
            patient = make_patient(clinic.clinic)
            make_lent_device(patient, device, warranty_end=TODAY + timedelta(5))
            make_prescription(
                patient, consumable, valid_from=TODAY - timedelta(300), valid_to=TODAY
            )
            make_order_line(patient, consumable, "backordered")

    add(2)
    few = {name: statements(name) for name in ("warranty", "running_out", "open")}
    add(12)
    assert {name: statements(name) for name in few} == few


@pytest.mark.parametrize("which", ["open", "backordered", "sent", "overdue"])
def test_lines_not_delivered_are_counted_from_their_partial_index(clinic, which):
    """SQLite reads a patient's lines not delivered yet by their partial index
    only where the count says its condition as written (`undelivered`)."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's rule; PostgreSQL plans with the values")
    scope = worklists._scope(nurse(), None)
    listed = worklists._OrderList(scope, None, TODAY, which)
    assert sqlite_plans_by(
        "ix_order_lines_undelivered_patient_id",
        "FROM order_lines",
        listed.count,
        sent="count(",
    )


def test_the_lists_of_lines_not_delivered_are_counted_in_one_statement(client, clinic):
    """Beside the list shown, the other lists of lines not delivered yet are
    counted in one pass over the clinic's such lines (with "at the clinic",
    which has an index of its own, two statements in all)."""
    counted = []

    def keep(_conn, _cursor, statement, *_args):
        if statement.startswith("SELECT count(") and "FROM order_lines" in statement:
            counted.append(statement)  # not the rows shown (their count over)

    sa.event.listen(db.engine, "before_cursor_execute", keep)
    try:
        assert client.get("/orders", query_string={"list": "open"}).status_code == 200
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", keep)
    assert len(counted) == 2


def test_the_lists_counted_together_read_their_partial_index(clinic):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's rule; PostgreSQL plans with the values")
    scope = worklists._scope(nurse(), None)
    lists = [
        worklists._OrderList(scope, None, TODAY, which)
        for which in ("backordered", "sent", "overdue")
    ]
    assert sqlite_plans_by(
        "ix_order_lines_undelivered_patient_id",
        "FROM order_lines",
        lambda: worklists._OrderList.counts(lists),
        sent="count(",
    )
