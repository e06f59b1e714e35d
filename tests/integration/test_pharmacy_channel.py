"""Pharmacy channel: e-recept per line, dispensings imported, VAT on the line."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from sesamlike.channels import jobs as channel_jobs
from sesamlike.channels.models import PharmacyDispensing, PharmacyPrescription
from sesamlike.channels.pharmacy import (
    DispensingInvalid,
    import_dispensing_text,
    issue_pharmacy_prescriptions,
)
from sesamlike.common.models import OutgoingMail
from sesamlike.extensions import db
from sesamlike.orders.models import OrderLine
from tests.channel_world import MORNING, World

LATER = date(2026, 4, 30)
HEADER = "pharmacy_prescription_id,dispensing_ref,pharmacy_id,pharmacy_name,"
HEADER += "dispensed_on,packs\n"


@pytest.fixture
def world():
    w = World()
    w.patient.email = "anna@example.se"
    db.session.commit()
    return w


def dispensing_csv(*rows: str) -> str:
    return HEADER + "\n".join(rows) + "\n"


def lines_of(order) -> list[OrderLine]:
    return list(
        db.session.scalars(
            sa.select(OrderLine)
            .where(OrderLine.order_id == order.id)
            .order_by(OrderLine.id)
            .execution_options(populate_existing=True)
        )
    )


def issued(world, packs=3):
    order = world.order(world.pods, packs)
    issue_pharmacy_prescriptions()
    rx = db.session.scalars(sa.select(PharmacyPrescription)).one()
    return order, rx


def test_a_pharmacy_line_becomes_one_prescription_for_a_year(world):
    order = world.order(world.pods, 3)
    line = lines_of(order)[0]
    assert line.status == "sent_to_pharmacy"

    assert issue_pharmacy_prescriptions() == 1
    assert issue_pharmacy_prescriptions() == 0  # safe to repeat

    rx = db.session.scalars(sa.select(PharmacyPrescription)).one()
    assert (rx.order_line_id, rx.patient_id, rx.article_id, rx.packs) == (
        line.id,
        world.patient.id,
        world.pods.id,
        3,
    )
    assert (rx.valid_from, rx.valid_to) == (date(2026, 3, 2), date(2027, 3, 1))
    assert rx.status == "open"


def test_the_channel_job_issues_prescriptions_and_counts_them(world):
    world.order(world.pods, 1)
    world.order(world.pump, 1)  # a supplier line gets no e-recept
    assert channel_jobs.issue_pharmacy_prescriptions(MORNING) == {"issued": 1}
    assert channel_jobs.issue_pharmacy_prescriptions(MORNING) == {"issued": 0}


def test_full_dispensing_marks_the_line_delivered_on_the_dispensing_day(world):
    order, rx = issued(world, packs=3)

    counts = import_dispensing_text(
        dispensing_csv(f"{rx.id},D-1,7350045,Apoteket Hjärtat Nordstan,2026-03-04,3"),
        today=LATER,
    )

    assert (counts.dispensings, counts.partial) == (1, 0)
    [line] = lines_of(order)
    assert (line.status, line.delivered_on, line.packs) == (
        "delivered",
        date(2026, 3, 4),
        3,
    )
    db.session.refresh(rx)
    assert (rx.status, rx.packs_dispensed) == ("dispensed", 3)
    dispensing = db.session.scalars(sa.select(PharmacyDispensing)).one()
    assert (dispensing.pharmacy_id, dispensing.pharmacy_name) == (
        "7350045",
        "Apoteket Hjärtat Nordstan",
    )
    assert dispensing.order_line_id == line.id
    assert sorted(db.session.scalars(sa.select(OutgoingMail.kind))) == [
        "order_delivered",
        "order_received",
    ]


def test_partial_dispensing_keeps_the_rest_open(world):
    order, rx = issued(world, packs=3)

    counts = import_dispensing_text(
        dispensing_csv(f"{rx.id},D-1,7350045,Apoteket Nordstan,2026-03-04,1"),
        today=LATER,
    )

    assert counts.partial == 1
    open_line, delivered = lines_of(order)
    assert (open_line.status, open_line.packs) == ("sent_to_pharmacy", 2)
    assert (delivered.status, delivered.packs, delivered.delivered_on) == (
        "delivered",
        1,
        date(2026, 3, 4),
    )
    db.session.refresh(rx)
    assert (rx.status, rx.packs_dispensed, rx.packs_left) == ("partly_dispensed", 1, 2)

    import_dispensing_text(
        dispensing_csv(f"{rx.id},D-9,7350099,Apoteket Frölunda,2026-04-02,2"),
        today=LATER,
    )

    first, second = lines_of(order)
    assert (first.status, first.packs, first.delivered_on) == (
        "delivered",
        2,
        date(2026, 4, 2),
    )
    assert second.delivered_on == date(2026, 3, 4)
    db.session.refresh(rx)
    assert rx.status == "dispensed"


def test_vat_snapshot_stays_on_every_dispensed_pharmacy_line(world):
    order, rx = issued(world, packs=3)
    [line] = lines_of(order)
    assert line.vat_rate == Decimal("0.25")
    assert line.pack_price_sek == Decimal("2000.00")
    # A later contract price or VAT change does not rewrite what was ordered.
    world.pods.vat_rate = Decimal("0.12")
    world.pods.pack_price_sek = Decimal("9999.00")
    db.session.commit()

    import_dispensing_text(
        dispensing_csv(
            f"{rx.id},D-1,7350045,Apoteket Nordstan,2026-03-04,1",
            f"{rx.id},D-2,7350045,Apoteket Nordstan,2026-03-20,2",
        ),
        today=LATER,
    )

    lines = lines_of(order)
    assert [line.status for line in lines] == ["delivered", "delivered"]
    assert {line.vat_rate for line in lines} == {Decimal("0.25")}
    # The region's cost with VAT is the same as for the undivided line.
    cost = sum(line.packs * line.pack_price_sek * (1 + line.vat_rate) for line in lines)
    assert cost == Decimal("7500.00")


def test_the_same_dispensing_file_imported_twice_is_recorded_once(world):
    order, rx = issued(world, packs=3)
    text = dispensing_csv(f"{rx.id},D-1,7350045,Apoteket Nordstan,2026-03-04,1")
    import_dispensing_text(text, today=LATER)

    counts = import_dispensing_text(text, today=LATER)

    assert (counts.dispensings, counts.unchanged) == (0, 1)
    assert len(lines_of(order)) == 2
    assert db.session.scalar(sa.select(sa.func.count(PharmacyDispensing.id))) == 1


def test_every_bad_row_is_reported_with_its_line_and_nothing_is_written(world):
    order, rx = issued(world, packs=3)
    cancelled_order = world.order(world.pods, 1)
    issue_pharmacy_prescriptions()
    cancelled_rx = db.session.scalars(
        sa.select(PharmacyPrescription).where(PharmacyPrescription.id != rx.id)
    ).one()
    lines_of(cancelled_order)[0].status = "cancelled"
    db.session.commit()
    import_dispensing_text(
        dispensing_csv(f"{rx.id},OLD,7350045,Apoteket Nordstan,2026-03-04,1"),
        today=LATER,
    )
    before = _state()

    with pytest.raises(DispensingInvalid) as caught:
        import_dispensing_text(
            dispensing_csv(
                f"{rx.id},D-1,7350045,Apoteket Nordstan,2026-03-05,1",  # 2: fine
                f"{rx.id},D-2,7350045,Apoteket Nordstan,2026-03-05,5",  # 3: too many
                "999999,D-3,7350045,Apoteket Nordstan,2026-03-05,1",  # 4: unknown
                f"{rx.id},D-1,7350045,Apoteket Nordstan,2026-03-06,1",  # 5: twice
                f"{rx.id},D-5,,Apoteket Nordstan,2026-05-01,0",  # 6: three errors
                f"{rx.id},D-6,7350045,Apoteket Nordstan,2028-01-01,1",  # 7: expired
                f"{cancelled_rx.id},D-7,7350045,Apoteket Nordstan,2026-03-05,1",  # 8
                f"{rx.id},OLD,7350045,Apoteket Nordstan,2026-03-05,2",  # 9: differs
            ),
            today=LATER,
        )

    by_line = {
        p.line: [f"{e.column}: {e}" for e in p.errors] for p in caught.value.problems
    }
    assert sorted(by_line) == [3, 4, 5, 6, 7, 8, 9]
    assert by_line[3] == [
        f"packs: E-receptet {rx.id} har bara 1 förpackning kvar."
    ]  # 2 left, row 2 took one
    assert by_line[4] == ["pharmacy_prescription_id: E-receptet 999999 finns inte."]
    assert by_line[5] == [
        "dispensing_ref: Expedieringen D-1 från apotek 7350045 står redan på rad 2."
    ]
    assert by_line[6] == [
        "pharmacy_id: Värde saknas.",
        "dispensed_on: Expedieringsdatumet 2026-05-01 ligger i framtiden.",
        "packs: Ska vara ett positivt heltal, inte «0».",
    ]
    assert "dispensed_on: Expedieringsdatumet 2028-01-01" in by_line[7][0]
    assert by_line[8] == [
        f"pharmacy_prescription_id: E-receptet {cancelled_rx.id} gäller en "
        "orderrad som inte väntar på apoteket."
    ]
    assert by_line[9] == [
        "dispensing_ref: Expedieringen OLD är redan inläst med andra uppgifter."
    ]
    assert _state() == before


def test_a_dispensing_outside_the_valid_period_is_refused(world):
    order, rx = issued(world, packs=1)
    with pytest.raises(DispensingInvalid) as caught:
        import_dispensing_text(
            dispensing_csv(f"{rx.id},D-1,7350045,Apoteket Nordstan,2026-03-01,1"),
            today=LATER,
        )
    [problem] = caught.value.problems
    assert [str(e) for e in problem.errors] == [
        f"E-receptet {rx.id} gäller 2026-03-02–2027-03-01."
    ]


def _state():
    return (
        sorted(
            db.session.execute(
                sa.select(OrderLine.id, OrderLine.status, OrderLine.packs)
            ).all()
        ),
        db.session.scalar(sa.select(sa.func.count(PharmacyDispensing.id))),
        sorted(
            db.session.execute(
                sa.select(
                    PharmacyPrescription.id,
                    PharmacyPrescription.status,
                    PharmacyPrescription.packs_dispensed,
                )
            ).all()
        ),
        db.session.scalar(sa.select(sa.func.count(OutgoingMail.id))),
    )
