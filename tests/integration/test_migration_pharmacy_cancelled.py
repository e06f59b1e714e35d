"""Revision 0035 withdraws the e-recepts whose order line was cancelled before it.

Before it, cancelling a pharmacy line left its e-recept open at the pharmacy
(and the pharmacy page counted it open). After the upgrade such an e-recept is
withdrawn, as a cancellation withdraws it from then on; the others stay as
they were. The downgrade reads them open again, the only state it knows.
"""

import pytest
import sqlalchemy as sa

from bench.databases import create_database
from tests.cli import flask
from tests.conftest import DATABASE_URL, is_postgres

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("bench")]
PREVIOUS = "0034_care_relationship_episodes"
# (order line status, e-recept status) before the upgrade, and after it.
E_RECEPTS = [
    ("cancelled", "open", "cancelled"),
    ("sent_to_pharmacy", "open", "open"),
    ("delivered", "dispensed", "dispensed"),
    ("cancelled", "partly_dispensed", "cancelled"),
]


@pytest.fixture
def scratch_url(tmp_path):
    url, drop = create_database(DATABASE_URL if is_postgres() else None, tmp_path,
                                "sl_migration_erecepts")  # fmt: skip
    try:
        yield url
    finally:
        drop()


def statuses(engine) -> list[str]:
    with engine.connect() as conn:
        query = "SELECT status FROM pharmacy_prescriptions ORDER BY id"
        return list(conn.scalars(sa.text(query)))


def insert_region(engine) -> None:
    """A patient, a pharmacy article and one order line per e-recept."""
    now = {"now": "2026-12-01 10:00:00+00:00"}
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO patients (id, personal_id, id_kind, first_name, "
                "last_name, diabetes_type, protected_identity, created_at, "
                "updated_at) VALUES (1, 'R0000001', 'reserve', 'Ella', 'Ek', "
                "'type1', false, :now, :now)"
            ),
            now,
        )
        conn.execute(
            sa.text(
                "INSERT INTO articles (id, article_no, name, category, supplier, "
                "pack_size, pack_price_sek, vat_rate, procured, benefit, channel, "
                "serial_tracked, valid_from) VALUES (1, 'G7', 'Dexcom G7 sensor', "
                "'cgm_sensor', 'Dexcom', 1, 900, 0.25, true, true, 'pharmacy', "
                "false, '2020-01-01')"
            )
        )
        for n, (line_status, rx_status, _after) in enumerate(E_RECEPTS, start=1):
            conn.execute(
                sa.text(
                    "INSERT INTO orders (id, patient_id, placed_by_role, placed_at, "
                    "delivery_mode) VALUES (:n, 1, 'patient', :now, 'pharmacy')"
                ),
                {"n": n, **now},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO order_lines (id, order_id, patient_id, article_id, "
                    "packs, channel, status, pack_price_sek, vat_rate, updated_at) "
                    "VALUES (:n, :n, 1, 1, 3, 'pharmacy', :status, 900, 0.25, :now)"
                ),
                {"n": n, "status": line_status, **now},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO pharmacy_prescriptions (id, order_line_id, "
                    "patient_id, article_id, packs, packs_dispensed, valid_from, "
                    "valid_to, status, created_at) VALUES (:n, :n, 1, 1, 3, :done, "
                    "'2026-12-01', '2027-11-30', :status, :now)"
                ),
                {
                    "n": n,
                    "status": rx_status,
                    "done": {"dispensed": 3, "partly_dispensed": 1}.get(rx_status, 0),
                    **now,
                },
            )


def test_e_recepts_of_cancelled_lines_are_withdrawn_and_read_open_after_downgrade(
    scratch_url,
):
    flask(scratch_url, "db", "upgrade", PREVIOUS)
    engine = sa.create_engine(scratch_url)
    try:
        insert_region(engine)
        engine.dispose()
        flask(scratch_url, "db", "upgrade")
        assert statuses(engine) == [after for _l, _rx, after in E_RECEPTS]
        engine.dispose()
        flask(scratch_url, "db", "downgrade", PREVIOUS)
        assert statuses(engine) == ["open", "open", "dispensed", "open"]
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE pharmacy_prescriptions SET status = 'cancelled'")
            )
    finally:
        engine.dispose()
