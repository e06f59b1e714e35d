"""Revision 0037: a device remembers the line its amortisation runs on, and a
line that lent a device again (after a return and reconditioning) continues it.

Before it, a pump lent to a second patient cost its whole price again. After
the upgrade each device lent before names the line that first lent it (the
first of its warranty chain for a replacement), and the second patient's line
continues that line's period; the downgrade takes the link off those lines
again (warranty replacements keep theirs) and drops the column.
"""

import pytest
import sqlalchemy as sa

from bench.databases import create_database
from tests.cli import flask
from tests.conftest import DATABASE_URL, is_postgres

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("bench")]
PREVIOUS = "0036_email_changed_notice"
NOW = {"now": "2026-12-01 10:00:00+00:00"}
# (id, patient, serial on the line, delivered, returned, status, replaces, first)
LINES = [
    (1, 1, "P-1", "2024-01-10", "2025-04-01", "returned", None, None),
    (2, 2, "P-1", "2025-05-01", None, "delivered", None, None),  # lent again
    (3, 1, "P-2", "2024-02-01", "2025-06-01", "returned", None, None),
    (4, 1, "P-3", "2025-06-01", None, "delivered", 3, 3),  # warranty swap
    (5, 2, None, "2023-03-01", None, "delivered", None, None),  # history
    (6, 1, "P-4", "2024-02-29", "2025-01-15", "returned", None, None),
]
# (serial, status, patient, reference): P-9 came in new and was never lent.
DEVICES = [
    ("P-1", "on_loan", 2, "order-line:2"),
    ("P-2", "quarantine", 1, "order-line:3"),
    ("P-3", "on_loan", 1, "order-line:4"),
    ("P-5", "on_loan", 2, "order-line:5"),
    ("P-9", "in_stock", None, None),
    ("P-4", "in_stock", None, None),  # reconditioned: its warranty end was cleared
]


@pytest.fixture
def scratch_url(tmp_path):
    url, drop = create_database(DATABASE_URL if is_postgres() else None, tmp_path,
                                "sl_migration_devices")  # fmt: skip
    try:
        yield url
    finally:
        drop()


def insert_region(engine) -> None:
    with engine.begin() as conn:
        for n in (1, 2):
            conn.execute(
                sa.text(
                    "INSERT INTO patients (id, personal_id, id_kind, first_name, "
                    "last_name, diabetes_type, protected_identity, created_at, "
                    "updated_at) VALUES (:n, :pid, 'reserve', 'Ella', 'Ek', "
                    "'type1', false, :now, :now)"
                ),
                {"n": n, "pid": f"R000000{n}", **NOW},
            )
        conn.execute(
            sa.text(
                "INSERT INTO articles (id, article_no, name, category, supplier, "
                "pack_size, pack_price_sek, vat_rate, procured, benefit, channel, "
                "serial_tracked, amortisation_years, valid_from) VALUES (1, 'MM640', "
                "'MiniMed 640G', 'pump', 'Medtronic', 1, 30000, 0.25, true, true, "
                "'central', true, 4, '2020-01-01')"
            )
        )
        for n, patient, serial, delivered, back, status, replaces, first in LINES:
            conn.execute(
                sa.text(
                    "INSERT INTO orders (id, patient_id, placed_by_role, placed_at, "
                    "delivery_mode) VALUES (:n, :p, 'prescriber', :now, 'clinic')"
                ),
                {"n": n, "p": patient, **NOW},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO order_lines (id, order_id, patient_id, article_id, "
                    "packs, channel, status, pack_price_sek, vat_rate, serial_no, "
                    "delivered_on, returned_on, replaces_line_id, "
                    "amortised_line_id, updated_at) VALUES (:n, :n, :p, 1, 1, "
                    "'central', :status, 30000, 0.25, :serial, :delivered, :back, "
                    ":replaces, :first, :now)"
                ),
                {"n": n, "p": patient, "status": status, "serial": serial,
                 "delivered": delivered, "back": back, "replaces": replaces,
                 "first": first, **NOW},
            )  # fmt: skip
        for n, (serial, status, patient, reference) in enumerate(DEVICES, start=1):
            conn.execute(
                sa.text(
                    "INSERT INTO devices (id, article_id, serial_no, status, "
                    "patient_id, reference) VALUES (:n, 1, :serial, :status, :p, "
                    ":reference)"
                ),
                {"n": n, "serial": serial, "status": status, "p": patient,
                 "reference": reference},
            )  # fmt: skip


def amortised(engine, table: str) -> dict:
    with engine.connect() as conn:
        key = "serial_no" if table == "devices" else "id"
        query = f"SELECT {key}, amortised_line_id FROM {table} ORDER BY id"
        return dict(conn.execute(sa.text(query)).all())


def test_a_device_lent_again_continues_its_first_line_and_the_downgrade_undoes_it(
    scratch_url,
):
    flask(scratch_url, "db", "upgrade", PREVIOUS)
    engine = sa.create_engine(scratch_url)
    try:
        insert_region(engine)
        engine.dispose()
        flask(scratch_url, "db", "upgrade")
        assert amortised(engine, "devices") == {
            "P-1": 1, "P-2": 3, "P-3": 3, "P-5": 5, "P-9": None, "P-4": 6}  # fmt: skip
        assert amortised(engine, "order_lines") == {
            1: None, 2: 1, 3: None, 4: 3, 5: None, 6: None}  # fmt: skip
        with engine.connect() as conn:
            ends = dict(conn.execute(sa.text(
                "SELECT serial_no, warranty_end FROM devices")).all())  # fmt: skip
        assert str(ends["P-4"]) == "2028-02-29"  # four years from its delivery
        assert ends["P-9"] is None
        engine.dispose()
        flask(scratch_url, "db", "downgrade", PREVIOUS)
        assert amortised(engine, "order_lines") == {
            1: None, 2: None, 3: None, 4: 3, 5: None, 6: None}  # fmt: skip
        columns = {c["name"] for c in sa.inspect(engine).get_columns("devices")}
        assert "amortised_line_id" not in columns
    finally:
        engine.dispose()
