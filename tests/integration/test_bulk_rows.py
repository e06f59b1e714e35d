"""`common.bulk.insert_rows`: COPY on PostgreSQL (text written here), one
executemany on SQLite; what comes back is what a plain insert would store."""

from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa

from sesamlike.catalog.models import Channel
from sesamlike.common.bulk import (
    insert_rows,
    prepare,
    reserve_ids,
    row_values,
    write_prepared,
)
from sesamlike.extensions import db
from sesamlike.orders.models import LineStatus
from sesamlike.patients.models import Patient
from tests.factories import make_clinic, make_patient

AWKWARD = ["Tab\there", "Line\nbreak\r\n", "Back\\slash \\N", "Åsa Öhman-Ängel", ""]


def test_copy_stores_awkward_text_dates_enums_and_nulls_as_given():
    table = Patient.__table__
    now = datetime(2026, 6, 1, 8, 30, tzinfo=UTC)
    rows = [
        dict(personal_id=f"1990010{n}-000{n}", id_kind="personnummer",
             first_name=name, last_name=name or "X", birth_date=date(1990, 1, n + 1),
             diabetes_type="type1", protected_identity=n % 2 == 0, phone=None,
             created_at=now, updated_at=now)
        for n, name in enumerate(AWKWARD)
    ]  # fmt: skip
    connection = db.session.connection()
    for row, id_ in zip(rows, reserve_ids(connection, table, len(rows)), strict=True):
        row["id"] = id_
    insert_rows(connection, table, rows)

    stored = db.session.execute(
        sa.select(table.c.first_name, table.c.birth_date, table.c.protected_identity,
                  table.c.phone, table.c.created_at).order_by(table.c.id)
    ).all()  # fmt: skip
    assert [row.first_name for row in stored] == AWKWARD
    assert [row.birth_date.day for row in stored] == [1, 2, 3, 4, 5]
    assert [row.protected_identity for row in stored] == [
        True,
        False,
        True,
        False,
        True,
    ]
    assert all(row.phone is None for row in stored)
    assert stored[0].created_at.replace(tzinfo=UTC) == now


def test_copy_writes_enums_by_value_and_decimals_exactly():
    from sesamlike.orders.models import Order, OrderLine
    from tests.factories import make_article

    patient = make_patient(make_clinic("NORR"))
    article = make_article()
    order = Order(
        patient_id=patient.id, placed_by_role="migration",
        placed_at=datetime(2026, 1, 2, tzinfo=UTC), delivery_mode="home",
    )  # fmt: skip
    db.session.add(order)
    db.session.flush()
    line = dict(order_id=order.id, patient_id=patient.id, article_id=article.id,
                packs=3,
                channel=Channel.CENTRAL, status=LineStatus.DELIVERED,
                pack_price_sek=Decimal("1234.57"), vat_rate=Decimal("0.25"),
                delivered_on=date(2026, 1, 5),
                updated_at=datetime(2026, 1, 5, tzinfo=UTC))  # fmt: skip
    insert_rows(db.session.connection(), OrderLine.__table__, [line])

    stored = db.session.execute(sa.select(OrderLine.__table__)).one()
    assert stored.status == "delivered" and stored.channel == "central"
    assert stored.pack_price_sek == Decimal("1234.57")
    assert stored.vat_rate == Decimal("0.25")


def test_rows_prepared_as_copy_text_store_awkward_text_and_nulls_as_given():
    """What the planning process of `demo generate` hands over (`prepare` with
    text): escaped as COPY's text format wants, on PostgreSQL."""
    table = Patient.__table__
    now = datetime(2026, 6, 1, 8, 30, tzinfo=UTC)
    connection = db.session.connection()
    ids = reserve_ids(connection, table, len(AWKWARD))
    rows = [
        dict(id=id_, personal_id=f"1990010{n}-000{n}", id_kind="personnummer",
             first_name=name, last_name=name or "X", birth_date=date(1990, 1, n + 1),
             diabetes_type="type1", protected_identity=n % 2 == 0,
             phone=None if n % 2 else "070-174 06 05", created_at=now,
             updated_at=now)
        for n, (id_, name) in enumerate(zip(ids, AWKWARD, strict=True))
    ]  # fmt: skip
    keys, values = row_values(table, rows)
    prepared = prepare(connection.dialect, table, keys, values, text=True)
    if connection.dialect.name == "postgresql":
        assert prepared.text is not None
    write_prepared(connection, table, prepared)

    stored = db.session.execute(
        sa.select(table.c.first_name, table.c.phone, table.c.protected_identity,
                  table.c.search_name).order_by(table.c.id)
    ).all()  # fmt: skip
    assert [row.first_name for row in stored] == AWKWARD
    assert [row.phone for row in stored] == [
        "070-174 06 05",
        None,
        "070-174 06 05",
        None,
        "070-174 06 05",
    ]
    assert [row.protected_identity for row in stored] == [n % 2 == 0 for n in range(5)]
    assert all(row.search_name for row in stored[:-1])
