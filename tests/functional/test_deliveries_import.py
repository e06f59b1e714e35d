"""`flask deliveries import FILE`: delivered history, all rows or none."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from sesamlike.accounts.models import AuditEvent
from sesamlike.extensions import db
from sesamlike.orders.models import Order, OrderLine
from sesamlike.stock.models import Device
from tests import factories as f

HEADER = "personal_id,article_no,packs,channel,delivered_on,serial_no,returned_on\n"


@pytest.fixture
def region():
    clinic = f.make_clinic("NORR")
    adult = f.make_patient(clinic, personal_id=f.ADULT_PNR)
    asylum = f.make_patient(clinic, personal_id="RN20240007", id_kind="reserve")
    pump = f.make_article(
        "100001",
        category="pump",
        pack_size=1,
        pack_price_sek=Decimal("30000.00"),
        serial_tracked=True,
        units_per_day=None,
        amortisation_years=4,
        channel="central",
        vat_rate=Decimal("0.25"),
    )
    sets = f.make_article("100101", pack_price_sek=Decimal("1150.00"))
    return {"adult": adult, "asylum": asylum, "pump": pump, "sets": sets}


def run(runner, tmp_path, body, header=HEADER):
    path = tmp_path / "deliveries.csv"
    path.write_text(header + body, encoding="utf-8")
    return runner.invoke(args=["deliveries", "import", str(path)])


def count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_import_records_orders_lines_and_lent_devices(runner, tmp_path, region):
    body = (
        "19900102-9801,100001,1,central,2024-03-01,PX-1001,2025-05-31\n"
        "199001029801,100001,1,central,2025-06-01,PX-2002,\n"
        "9001029801,100101,4,central,2025-06-01,,\n"
        "rn20240007,100101,2,pharmacy,2025-07-15,,\n"
    )

    result = run(runner, tmp_path, body)

    assert result.exit_code == 0, result.output
    assert "4 lines" in result.output
    lines = db.session.scalars(sa.select(OrderLine).order_by(OrderLine.id)).all()
    assert [line.status for line in lines] == [
        "returned",
        "delivered",
        "delivered",
        "delivered",
    ]
    assert lines[0].returned_on == date(2025, 5, 31)
    assert lines[2].packs == 4
    assert lines[2].pack_price_sek == Decimal("1150.00")
    assert lines[2].vat_rate == Decimal("0.25")
    assert lines[3].order.patient_id == region["asylum"].id
    assert lines[3].order.delivery_mode == "pharmacy"
    orders = db.session.scalars(sa.select(Order)).all()
    assert {o.placed_by_role for o in orders} == {"migration"}
    devices = {d.serial_no: d for d in db.session.scalars(sa.select(Device))}
    assert devices["PX-2002"].status == "on_loan"
    assert devices["PX-2002"].patient_id == region["adult"].id
    assert devices["PX-2002"].lent_on == date(2025, 6, 1)
    assert devices["PX-2002"].warranty_end == date(2029, 5, 31)
    assert devices["PX-1001"].returned_on == date(2025, 5, 31)
    assert devices["PX-1001"].status != "on_loan"


BAD_ROWS = [
    ("19900102-9802,100101,1,central,2025-01-01,,", "personal_id", "varken"),
    ("19850101-9809,100101,1,central,2025-01-01,,", "personal_id", "Ingen patient"),
    ("199001029801,999999,1,central,2025-01-01,,", "article_no", "finns inte"),
    ("199001029801,100101,0,central,2025-01-01,,", "packs", "positivt heltal"),
    ("199001029801,100101,two,central,2025-01-01,,", "packs", "positivt heltal"),
    ("199001029801,100101,1,mail,2025-01-01,,", "channel", "Okänd kanal"),
    ("199001029801,100101,1,central,01/02/2025,,", "delivered_on", "Ogiltigt datum"),
    ("199001029801,100101,1,central,,,", "delivered_on", "Datum saknas"),
    ("199001029801,100101,1,central,2025-02-01,,2025-01-31", "returned_on", "före"),
    ("199001029801,100101,1,central,2999-01-01,,", "delivered_on", "framtiden"),
    # History has happened: a return in 2999 was imported as it stood.
    (
        "199001029801,100101,1,central,2025-02-01,,2999-01-01",
        "returned_on",
        "framtiden",
    ),
    (
        "199001029801,100001,1,central,2025-02-01,PX-8,2999-01-01",
        "returned_on",
        "framtiden",
    ),
    ("199001029801,100001,1,central,2025-01-01,,", "serial_no", "serienummer krävs"),
    ("199001029801,100001,2,central,2025-01-01,PX-9,", "packs", "en i taget"),
]


@pytest.mark.parametrize(("row", "column", "message"), BAD_ROWS)
def test_a_bad_row_is_reported_with_its_line_and_nothing_is_imported(
    runner, tmp_path, region, row, column, message
):
    good = "199001029801,100101,4,central,2025-06-01,,\n"

    result = run(runner, tmp_path, good + good + row + "\n" + good)

    assert result.exit_code == 1
    assert f"rad 4: {column}: " in result.output
    assert message in result.output
    assert "rad 2" not in result.output and "rad 5" not in result.output
    assert "inget importerades" in result.output
    assert count(Order) == count(OrderLine) == count(Device) == 0


def test_every_bad_row_is_listed(runner, tmp_path, region):
    body = (
        "199001029801,100101,4,central,2025-06-01,,\n"
        "199001029801,100101,x,central,2025-06-01,,\n"
        "\n"
        "199001029801,nope,1,central,2025-06-01,,\n"
    )

    result = run(runner, tmp_path, body)

    assert result.exit_code == 1
    assert "rad 3: packs" in result.output
    assert "rad 5: article_no" in result.output
    assert "fel på 2 rader" in result.output
    assert count(OrderLine) == 0


def test_a_serial_number_twice_is_refused(runner, tmp_path, region):
    body = (
        "199001029801,100001,1,central,2024-03-01,PX-1,\n"
        "199001029801,100001,1,central,2025-03-01,PX-1,\n"
    )

    result = run(runner, tmp_path, body)

    assert result.exit_code == 1
    assert "rad 3: serial_no: Serienumret PX-1 står redan på rad 2." in result.output
    assert count(Device) == 0


def test_a_serial_number_already_registered_is_refused(runner, tmp_path, region):
    row = "199001029801,100001,1,central,2024-03-01,PX-1,\n"
    assert run(runner, tmp_path, row).exit_code == 0

    result = run(runner, tmp_path, row)

    assert result.exit_code == 1
    assert "rad 2: serial_no: Serienumret PX-1 finns redan." in result.output
    assert count(Device) == 1


def test_a_wrong_header_is_refused(runner, tmp_path, region):
    header = "personal_id,article,packs,channel,delivered_on,serial_no,returned_on\n"

    result = run(
        runner, tmp_path, "199001029801,100101,1,central,2025-01-01,,\n", header=header
    )

    assert result.exit_code == 1
    assert "rad 1: Okänd eller upprepad kolumn: article." in result.output
    assert "rad 1: Kolumnen article_no saknas." in result.output


def test_columns_may_come_in_any_order(runner, tmp_path, region):
    header = "delivered_on,returned_on,serial_no,channel,packs,article_no,personal_id\n"

    result = run(
        runner, tmp_path, "2025-01-01,,,central,3,100101,199001029801\n", header=header
    )

    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(OrderLine.packs)) == 3


def test_a_short_row_is_refused(runner, tmp_path, region):
    result = run(runner, tmp_path, "199001029801,100101,1\n")

    assert result.exit_code == 1
    assert "rad 2: Raden har 3 fält men rubriken har 7." in result.output


def test_a_file_that_is_not_utf8_is_refused(runner, tmp_path, region):
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        (HEADER + "199001029801,100101,1,central,2025-01-01,,Å\n").encode("latin-1")
    )

    result = runner.invoke(args=["deliveries", "import", str(path)])

    assert result.exit_code == 1
    assert count(OrderLine) == 0


def test_a_serial_number_with_a_control_character_is_refused(runner, tmp_path, region):
    """The serial went to the register as it stood: NUL and all on SQLite, a
    traceback on PostgreSQL."""
    body = (
        "199001029801,100001,1,central,2024-03-01,PX\x00-1,\n"
        "199001029801,100101,4,central,2025-06-01,,\n"
    )

    result = run(runner, tmp_path, body)

    assert result.exit_code == 1
    control = "Får inte innehålla styrtecken (osynliga tecken som NUL)."
    assert f"rad 2: serial_no: {control}" in result.output
    assert "rad 3" not in result.output
    assert count(OrderLine) == count(Device) == 0


def test_the_import_is_audited_per_patient(runner, tmp_path, region):
    body = (
        "199001029801,100101,4,central,2025-06-01,,\n"
        "199001029801,100101,4,central,2025-09-01,,\n"
        "RN20240007,100101,2,pharmacy,2025-07-15,,\n"
    )

    assert run(runner, tmp_path, body).exit_code == 0

    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "import")
    ).all()
    assert sorted(e.patient_id for e in events) == sorted(
        [region["adult"].id, region["asylum"].id]
    )
    assert {e.channel for e in events} == {"cli"}


def test_a_channel_the_article_cannot_have_is_refused(runner, tmp_path, region):
    outside = f.make_article("100202", benefit=False)
    body = (
        "19900102-9801,100001,1,pharmacy,2024-03-01,PX-1001,\n"
        f"19900102-9801,{outside.article_no},2,pharmacy,2024-03-01,,\n"
        "19900102-9801,100101,2,post,2024-03-01,,\n"
        "19900102-9801,100101,2,pharmacy,2024-03-01,,\n"
    )

    result = run(runner, tmp_path, body)

    assert result.exit_code == 1
    assert "rad 2: channel: " in result.output
    assert "rad 3: channel: " in result.output
    assert "rad 4: channel: Okänd kanal «post»" in result.output
    assert "rad 5:" not in result.output
    assert count(OrderLine) == 0


REPLACING = HEADER.rstrip("\n") + ",replaces_serial_no\n"


def test_a_warranty_replacement_continues_the_first_pumps_period(
    runner, tmp_path, region
):
    from sesamlike.followup.models import PatientYearCost
    from sesamlike.followup.runs import run_year

    body = (
        "19900102-9801,100001,1,central,2024-01-10,PX-1001,2025-04-01,\n"
        "19900102-9801,100001,1,central,2025-04-01,PX-2002,,PX-1001\n"
    )

    result = run(runner, tmp_path, body, header=REPLACING)

    assert result.exit_code == 0, result.output
    first, second = db.session.scalars(sa.select(OrderLine).order_by(OrderLine.id))
    assert (second.replaces_line_id, second.amortised_line_id) == (first.id, first.id)
    new = db.session.scalar(sa.select(Device).where(Device.serial_no == "PX-2002"))
    assert new.warranty_end == date(2028, 1, 9)  # the first pump's
    for year, expected in ((2025, "7500.00"), (2027, "7500.00"), (2028, "164.38")):
        run_year(year, full=True)
        cost = db.session.scalar(sa.select(PatientYearCost.device_cost_sek).where(
            PatientYearCost.year == year))  # fmt: skip
        assert (year, cost) == (year, Decimal(expected))


def test_a_replacement_of_an_unknown_or_unreturned_device_is_refused(
    runner, tmp_path, region
):
    body = (
        "19900102-9801,100001,1,central,2024-01-10,PX-1001,,\n"
        "19900102-9801,100001,1,central,2025-04-01,PX-2002,,PX-1001\n"
        "19900102-9801,100001,1,central,2025-04-01,PX-3003,,PX-9999\n"
        "19900102-9801,100101,1,central,2025-04-01,,,PX-1001\n"
    )

    result = run(runner, tmp_path, body, header=REPLACING)

    assert result.exit_code == 1
    assert "rad 3: replaces_serial_no: " in result.output
    assert "returned_on 2025-04-01" in result.output
    assert "rad 4: replaces_serial_no: " in result.output
    assert "rad 5: replaces_serial_no: " in result.output
    assert count(OrderLine) == 0


def test_a_price_paid_then_is_kept_instead_of_todays(runner, tmp_path, region):
    """History from the old system costs what the region paid then: the sets
    cost 1,000.00 a pack in 2023, 1,150.00 today. Without the column (or with
    it empty), today's price as before."""
    from sesamlike.followup.models import PatientYearCost
    from sesamlike.followup.runs import run_year

    body = (
        "19900102-9801,100101,4,central,2023-06-01,,,1000.00\n"
        "19900102-9801,100101,2,central,2023-09-01,,,\n"
    )
    result = run(
        runner, tmp_path, body, header=HEADER.rstrip("\n") + ",pack_price_sek\n"
    )
    assert result.exit_code == 0, result.output
    prices = db.session.scalars(sa.select(OrderLine.pack_price_sek)
                                .order_by(OrderLine.delivered_on)).all()  # fmt: skip
    assert prices == [Decimal("1000.00"), Decimal("1150.00")]
    run_year(2023, full=True)
    cost = db.session.scalar(sa.select(PatientYearCost.consumables_cost_sek))
    assert cost == Decimal("6300.00")  # 4 x 1,000 + 2 x 1,150


@pytest.mark.parametrize(
    ("price", "message"),
    [
        ("12,50", "använd punkt som decimaltecken"),
        ("-5.00", "Ogiltigt tal"),
        ("9.999", "Högst 2 decimaler"),
        ("99999999999.00", "Orimligt stort belopp"),
    ],
)
def test_a_bad_price_names_its_line_and_imports_nothing(
    runner, tmp_path, region, price, message
):
    body = (
        "19900102-9801,100101,4,central,2023-06-01,,,1000.00\n"
        f'19900102-9801,100101,2,central,2023-09-01,,,"{price}"\n'
    )
    result = run(
        runner, tmp_path, body, header=HEADER.rstrip("\n") + ",pack_price_sek\n"
    )
    assert result.exit_code == 1
    assert "rad 3: pack_price_sek: " in result.output and message in result.output
    assert count(OrderLine) == 0


def test_the_same_history_imported_twice_is_refused_not_counted_twice(
    runner, tmp_path, region
):
    """The bad-input review: a migration run twice (the script restarted
    after a time-out) doubled every consumable line, and with them each
    patient's cost of the year, silently; a pump's row was refused by its
    serial. A delivery already imported is refused with its line, nothing
    imported; two alike in one file are two deliveries, as before."""
    first = (
        "199001029801,100101,4,central,2025-06-01,,\n"
        "199001029801,100101,4,central,2025-06-01,,\n"
        "rn20240007,100101,2,pharmacy,2025-07-15,,2025-07-20\n"
    )
    assert run(runner, tmp_path, first).exit_code == 0
    assert count(OrderLine) == 3

    new_row = "199001029801,100101,1,central,2025-08-01,,\n"
    again = run(runner, tmp_path, first + new_row)

    assert again.exit_code == 1
    assert ("rad 2: Leveransen finns redan: 100101 den 2025-06-01 till samma "
            "patient, med samma antal förpackningar (4), är inläst förut."
            ) in again.output  # fmt: skip
    assert "rad 4: Leveransen finns redan" in again.output
    assert "rad 5" not in again.output
    assert count(OrderLine) == 3
    # Other packs, another day or channel: another delivery.
    other = ("199001029801,100101,3,central,2025-06-01,,\n"
             "199001029801,100101,4,central,2025-06-02,,\n"
             "rn20240007,100101,2,central,2025-07-15,,\n")  # fmt: skip
    assert run(runner, tmp_path, other).exit_code == 0
    assert count(OrderLine) == 6
