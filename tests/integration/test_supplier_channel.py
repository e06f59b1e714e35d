"""Supplier channel: one order file per supplier and day, and status replies."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from sesamlike.channels import jobs as channel_jobs
from sesamlike.channels.models import SupplierExport, SupplierExportLine
from sesamlike.channels.supplier import export_supplier_orders
from sesamlike.channels.supplier_status import (
    SupplierStatusInvalid,
    import_supplier_status_text,
)
from sesamlike.common.errors import Forbidden, Invalid
from sesamlike.common.models import OutgoingMail
from sesamlike.extensions import db
from sesamlike.orders.models import Order, OrderLine, Shipment
from sesamlike.prescriptions.models import Prescription
from tests.channel_world import ORDER_DAY, World
from tests.factories import make_patient

LATER = date(2026, 3, 10)


@pytest.fixture
def world():
    return World()


def rows(export: SupplierExport) -> list[dict]:
    return list(csv.DictReader(io.StringIO(export.content)))


def export(day=ORDER_DAY, **kw):
    return export_supplier_orders(day, today=LATER, **kw)


def status_csv(*rows: str) -> str:
    return "line_id,status,tracking_ref,delivered_on\n" + "\n".join(rows) + "\n"


def line_of(order: Order) -> OrderLine:
    return db.session.scalars(
        sa.select(OrderLine)
        .where(OrderLine.order_id == order.id)
        .execution_options(populate_existing=True)
    ).one()


def test_supplier_lines_become_one_file_per_supplier_for_the_day(world):
    world.patient.email = "anna@example.se"
    first = world.order(world.pump, 1)
    second = world.order(world.pump, 2, mode="clinic")
    third = world.order(world.cgm, 1)

    exports = export()

    assert [e.supplier for e in exports] == ["Dexcom Nordic AB", "Insulet AB"]
    assert [e.filename for e in exports] == [
        "orders-2026-03-02-dexcom-nordic-ab.csv",
        "orders-2026-03-02-insulet-ab.csv",
    ]
    insulet = rows(exports[1])
    assert [r["line_id"] for r in insulet] == [
        str(line_of(first).id),
        str(line_of(second).id),
    ]
    home, clinic = insulet
    assert home["article_no"] == "PUMP-1"
    assert home["packs"] == "1"
    assert home["delivery_mode"] == "home"
    assert home["ship_to_name"] == "Anna Andersson"
    assert home["ship_to_street"].startswith("Storgatan")
    assert home["ship_to_door_code"] == "1234"
    assert home["contact_phone"] == "0701234567"
    assert home["cost_centre"] == world.clinic.cost_centre
    assert home["ordered_on"] == "2026-03-02"
    assert clinic["delivery_mode"] == "clinic"
    assert clinic["ship_to_name"] == "Diabetesmottagningen Östra"
    assert clinic["ship_to_street"] == "Östra vägen 1"
    assert clinic["packs"] == "2"
    assert [r["line_id"] for r in rows(exports[0])] == [str(line_of(third).id)]
    # The line waits for the supplier as before: the file does not change it.
    assert line_of(first).status == "sent_to_supplier"


def test_a_line_is_never_exported_twice_and_a_reexport_gives_the_same_file(world):
    world.order(world.pump)
    first = export()
    texts = [e.content for e in first]

    again = export()
    next_day = export(date(2026, 3, 3))

    assert [e.content for e in again] == texts
    assert [e.id for e in again] == [e.id for e in first]
    assert next_day == []
    assert db.session.scalar(sa.select(sa.func.count(SupplierExportLine.id))) == 1


def test_lines_ordered_after_the_days_file_go_into_the_next_days_file(world):
    world.order(world.pump)
    [first] = export()
    late = world.order(world.pump, at=datetime(2026, 3, 2, 15, 0, tzinfo=UTC))

    [again] = export()
    [next_day] = export(date(2026, 3, 3))

    assert again.content == first.content
    assert [r["line_id"] for r in rows(next_day)] == [str(line_of(late).id)]


def test_lines_ordered_after_the_day_wait_and_cancelled_lines_are_left_out(world):
    world.order(world.pump, at=datetime(2026, 3, 2, 23, 30, tzinfo=UTC))  # 3 March
    cancelled = world.order(world.cgm)
    line_of(cancelled).status = "cancelled"
    db.session.commit()

    assert export() == []


def test_protected_identity_sends_only_the_clinic_address(world):
    patient = make_patient(world.clinic, protected_identity=True, phone="0709999999")
    world.order(world.pump, patient=patient, mode="clinic")
    # Protected after ordering to the home address: the clinic, not the home.
    other = make_patient(world.clinic, phone="0708888888")
    world.order(world.pump, patient=other, mode="home")
    other.protected_identity = True
    db.session.commit()

    [insulet] = export()

    for row in rows(insulet):
        assert row["delivery_mode"] == "clinic"
        assert row["ship_to_name"] == "Diabetesmottagningen Östra"
        assert row["ship_to_street"] == "Östra vägen 1"
        assert row["ship_to_door_code"] == ""
        assert row["contact_phone"] == ""
    assert "Storgatan" not in insulet.content


def test_export_of_a_future_day_is_refused_and_only_depot_staff_export(world):
    world.order(world.pump)
    with pytest.raises(Invalid):
        export_supplier_orders(date(2026, 3, 3), today=ORDER_DAY)
    with pytest.raises(Forbidden):
        export(user=world.prescriber)
    assert export(user=world.depot_user)[0].created_by_id == world.depot_user.id


# Status replies ----------------------------------------------------------------


@pytest.fixture
def sent(world):
    world.patient.email = "anna@example.se"
    db.session.commit()
    orders = [world.order(world.pump) for _ in range(4)]
    export()
    return [line_of(order) for order in orders]


def test_each_status_is_applied_to_its_line(world, sent):
    a, b, c, d = (line.id for line in sent)
    rx_used_before = db.session.get(Prescription, sent[3].prescription_id)
    assert rx_used_before.withdrawals_used == 1

    counts = import_supplier_status_text(
        status_csv(
            f"{a},confirmed,,",
            f"{b},shipped,PN123SE,",
            f"{c},delivered,,2026-03-05",
            f"{d},cancelled,,",
        ),
        today=LATER,
    )

    assert (counts.confirmed, counts.shipped, counts.delivered, counts.cancelled) == (
        1, 1, 1, 1,
    )  # fmt: skip
    statuses = {line.id: line_of(line.order).status for line in sent}
    assert statuses == {
        a: "sent_to_supplier",
        b: "shipped",
        c: "delivered",
        d: "cancelled",
    }
    mark = db.session.scalar(
        sa.select(SupplierExportLine).where(SupplierExportLine.order_line_id == a)
    )
    assert mark.supplier_status == "confirmed"
    shipped = line_of(sent[1].order)
    shipment = db.session.get(Shipment, shipped.shipment_id)
    assert shipment.tracking_ref == "PN123SE"
    assert db.session.get(Order, shipped.order_id).tracking_ref == "PN123SE"
    assert line_of(sent[2].order).delivered_on == date(2026, 3, 5)
    # A supplier's cancellation gives the withdrawal back, like the prescriber's.
    rx = db.session.get(Prescription, sent[3].prescription_id)
    db.session.refresh(rx)
    assert rx.withdrawals_used == 0
    kinds = set(db.session.scalars(sa.select(OutgoingMail.kind)))
    assert {"order_shipped", "order_delivered"} <= kinds


def test_the_same_status_file_imported_twice_changes_nothing_more(world, sent):
    a, b = sent[0].id, sent[1].id
    text = status_csv(f"{a},shipped,T1,", f"{b},delivered,,2026-03-04")
    import_supplier_status_text(text, today=LATER)
    mails = db.session.scalar(sa.select(sa.func.count(OutgoingMail.id)))

    counts = import_supplier_status_text(text, today=LATER)
    late = import_supplier_status_text(status_csv(f"{a},confirmed,,"), today=LATER)

    assert counts.unchanged == 2
    assert counts.shipped == counts.delivered == 0
    assert late.unchanged == 1  # a confirmation after the parcel left
    assert db.session.scalar(sa.select(sa.func.count(OutgoingMail.id))) == mails


def test_shipped_then_delivered_in_later_files(world, sent):
    line = sent[0]
    import_supplier_status_text(status_csv(f"{line.id},shipped,T1,"), today=LATER)
    import_supplier_status_text(
        status_csv(f"{line.id},delivered,,2026-03-06"), today=LATER
    )
    assert line_of(line.order).status == "delivered"
    assert line_of(line.order).delivered_on == date(2026, 3, 6)


def test_every_bad_row_is_reported_with_its_line_and_nothing_is_written(world, sent):
    a, b, c, d = (line.id for line in sent)
    unexported = world.order(world.cgm)
    before = _state()

    with pytest.raises(SupplierStatusInvalid) as caught:
        import_supplier_status_text(
            status_csv(
                f"{a},shipped,T1,",  # 2: fine on its own
                f"{b},shipped,,",  # 3: no tracking reference
                f"{c},delivered,,",  # 4: no delivery date
                f"{d},lost,,",  # 5: unknown status
                f"{a},confirmed,,",  # 6: the same line twice
                "abc,confirmed,,",  # 7: not a line id
                f"{line_of(unexported).id},confirmed,,",  # 8: in no file
                "1,2",  # 9: wrong number of fields
            ),
            today=LATER,
        )

    by_line = {
        p.line: [f"{e.column}: {e}" for e in p.errors] for p in caught.value.problems
    }
    assert sorted(by_line) == [3, 4, 5, 6, 7, 8, 9]
    assert by_line[3] == ["tracking_ref: Värde saknas."]
    assert by_line[4] == ["delivered_on: Datum saknas (ÅÅÅÅ-MM-DD)."]
    assert "status: Okänd status «lost»" in by_line[5][0]
    assert by_line[6] == [f"line_id: Orderraden {a} står redan på rad 2."]
    assert "line_id: Ska vara ett positivt heltal" in by_line[7][0]
    assert "finns inte i någon leverantörsfil" in by_line[8][0]
    assert "Raden har 2 fält" in by_line[9][0]
    assert caught.value.params["count"] == 7
    assert _state() == before


def test_delivery_dates_in_the_future_or_before_the_order_are_refused(world, sent):
    a, b = sent[0].id, sent[1].id
    with pytest.raises(SupplierStatusInvalid) as caught:
        import_supplier_status_text(
            status_csv(f"{a},delivered,,2026-03-20", f"{b},delivered,,2026-03-01"),
            today=LATER,
        )
    texts = [(p.line, str(e)) for p in caught.value.problems for e in p.errors]
    assert texts == [
        (2, "Leveransdatumet 2026-03-20 ligger i framtiden."),
        (3, "Leveransdatumet 2026-03-01 är före beställningen (2026-03-02)."),
    ]


def test_impossible_transitions_are_refused(world, sent):
    a, b, c = sent[0].id, sent[1].id, sent[2].id
    import_supplier_status_text(
        status_csv(
            f"{a},shipped,T1,", f"{b},delivered,,2026-03-04", f"{c},cancelled,,"
        ),
        today=LATER,
    )
    with pytest.raises(SupplierStatusInvalid) as caught:
        import_supplier_status_text(
            status_csv(
                f"{a},cancelled,,",
                f"{b},delivered,,2026-03-05",
                f"{c},shipped,T2,",
            ),
            today=LATER,
        )
    texts = [str(e) for p in caught.value.problems for e in p.errors]
    assert texts == [
        f"Orderraden {a} är redan skickad och kan inte makuleras.",
        f"Orderraden {b} är redan levererad 2026-03-04.",
        f"Orderraden {c} är makulerad.",
    ]


def test_a_header_with_missing_columns_is_refused(world, sent):
    with pytest.raises(SupplierStatusInvalid) as caught:
        import_supplier_status_text("line_id,state\n1,shipped\n", today=LATER)
    texts = [str(e) for e in caught.value.problems[0].errors]
    assert caught.value.problems[0].line == 1
    assert "Okänd eller upprepad kolumn: state." in texts
    assert "Kolumnen status saknas." in texts


def _state():
    return (
        sorted(db.session.execute(sa.select(OrderLine.id, OrderLine.status)).all()),
        db.session.scalar(sa.select(sa.func.count(Shipment.id))),
        db.session.scalar(sa.select(sa.func.count(OutgoingMail.id))),
        sorted(
            db.session.execute(
                sa.select(SupplierExportLine.id, SupplierExportLine.supplier_status)
            ).all()
        ),
    )


def test_the_daily_export_job_writes_todays_files_once(world):
    world.order(world.pump)
    world.order(world.cgm)
    evening = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # 16:00 in Stockholm

    assert channel_jobs.export_supplier_orders(evening) == {"files": 2, "lines": 2}
    assert channel_jobs.export_supplier_orders(evening) == {"files": 0, "lines": 0}


def test_supplier_file_neutralises_names_and_phones_a_spreadsheet_would_run(world):
    patient = make_patient(world.clinic, first_name='=HYPERLINK("http://evil.example"',
                           last_name='"x")', phone="+46701234567")  # fmt: skip
    world.order(world.pump, patient=patient)

    [insulet] = export()

    [row] = rows(insulet)
    assert row["ship_to_name"] == '\'=HYPERLINK("http://evil.example" "x")'
    assert row["contact_phone"] == "'+46701234567"
    assert row["packs"] == "1"
