"""Daily stock jobs: low-stock purchase proposals and the expiry check."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from sesamlike.common.errors import Conflict, Invalid
from sesamlike.extensions import db
from sesamlike.stock import jobs, replenishment
from sesamlike.stock.models import (
    LotExpiryFlag,
    PurchaseProposal,
    ReorderPoint,
    Reservation,
    StockLot,
    StockMovement,
)
from tests.factories import make_article, make_depot, make_stock_lot

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 03:00 in Stockholm
TODAY = date(2026, 3, 2)


@pytest.fixture
def stock():
    class Stock:
        depot = make_depot("HMC")
        other = make_depot("SKV")
        sets = make_article("INF-1", supplier="Medtronic AB")
        pods = make_article("POD-1", supplier="Insulet AB", category="pod")

    return Stock


def proposals():
    return db.session.scalars(
        sa.select(PurchaseProposal).order_by(PurchaseProposal.id)
    ).all()


def test_stock_at_the_reorder_point_proposes_a_purchase_up_to_the_level(stock):
    make_stock_lot(stock.sets, stock.depot, on_hand=5)
    make_stock_lot(stock.pods, stock.depot, on_hand=50)
    replenishment.set_reorder_point(None, "HMC", "INF-1", 5, 40)
    replenishment.set_reorder_point(None, "HMC", "POD-1", 10, 60)

    counts = jobs.low_stock_check(NOW)

    assert counts["proposed"] == 1
    [proposal] = proposals()
    assert (proposal.article_id, proposal.depot_id) == (stock.sets.id, stock.depot.id)
    assert (proposal.supplier, proposal.packs, proposal.position) == (
        "Medtronic AB",
        35,
        5,
    )
    assert proposal.status == "open"


def test_repeated_runs_keep_one_open_proposal_per_article_and_depot(stock):
    make_stock_lot(stock.sets, stock.depot, on_hand=2)
    replenishment.set_reorder_point(None, "HMC", "INF-1", 5, 40)

    jobs.low_stock_check(NOW)
    again = jobs.low_stock_check(NOW)

    assert (again["proposed"], again["unchanged"]) == (0, 1)
    assert len(proposals()) == 1
    # Stock fell further: the open proposal is refreshed, not duplicated.
    db.session.add(
        Reservation(
            reference="order-line:1",
            depot_id=stock.depot.id,
            article_id=stock.sets.id,
            packs=2,
            status="active",
        )
    )
    db.session.commit()
    third = jobs.low_stock_check(NOW)
    assert third["updated"] == 1
    [proposal] = proposals()
    assert (proposal.packs, proposal.position) == (40, 0)


def test_each_depot_has_its_own_reorder_point(stock):
    make_stock_lot(stock.sets, stock.depot, on_hand=30)
    make_stock_lot(stock.sets, stock.other, on_hand=1)
    replenishment.set_reorder_point(None, "HMC", "INF-1", 5, 40)
    replenishment.set_reorder_point(None, "SKV", "INF-1", 5, 10)

    jobs.low_stock_check(NOW)

    [proposal] = proposals()
    assert (proposal.depot_id, proposal.packs) == (stock.other.id, 9)


def test_quarantined_expired_and_backordered_stock_does_not_count(stock):
    make_stock_lot(stock.sets, stock.depot, on_hand=20, quarantined=True)
    make_stock_lot(stock.sets, stock.depot, on_hand=20, expiry=TODAY - timedelta(1))
    make_stock_lot(stock.sets, stock.depot, on_hand=8)
    db.session.add(
        Reservation(
            reference="order-line:9",
            depot_id=stock.depot.id,
            article_id=stock.sets.id,
            packs=4,
            status="backordered",
        )
    )
    db.session.commit()
    replenishment.set_reorder_point(None, "HMC", "INF-1", 5, 40)

    jobs.low_stock_check(NOW)

    [proposal] = proposals()
    assert (proposal.position, proposal.packs) == (4, 36)


def test_backorders_of_an_article_with_no_reorder_point_are_proposed(stock):
    """The walkthrough: a reservoir was backordered for patients, had no
    reorder point, and no check would ever propose buying it; the backorders
    page said "Inget inköp beställt" for good. The check proposes the packs
    the patients wait for; once ordered, they are incoming and no more is
    proposed."""
    make_stock_lot(stock.pods, stock.depot, on_hand=1)
    db.session.add(
        Reservation(reference="order-line:7", depot_id=stock.depot.id,
                    article_id=stock.pods.id, packs=4, status="backordered")
    )  # fmt: skip
    db.session.commit()

    counts = jobs.low_stock_check(NOW)

    assert counts["proposed"] == 1
    [proposal] = proposals()
    assert (proposal.article_id, proposal.depot_id) == (stock.pods.id, stock.depot.id)
    assert (proposal.supplier, proposal.packs, proposal.position) == (
        "Insulet AB",
        3,
        -3,
    )
    assert (proposal.reorder_level, proposal.order_up_to) == (0, 0)
    replenishment.decide_proposal(None, proposal.id, "ordered")
    again = jobs.low_stock_check(NOW)
    assert again["proposed"] == 0 and len(proposals()) == 1


def test_a_backorders_proposal_goes_when_its_backorders_do(stock):
    """The browser check: the backorder was cancelled, and "Kontrollera
    lagret nu" left the proposal open, proposing packs nobody waited for."""
    waiting = Reservation(
        reference="order-line:8",
        depot_id=stock.depot.id,
        article_id=stock.pods.id,
        packs=2,
        status="backordered",
    )
    db.session.add(waiting)  # fmt: skip
    db.session.commit()
    jobs.low_stock_check(NOW)
    [proposal] = proposals()
    assert (proposal.status, proposal.packs) == ("open", 2)
    waiting.status = "released"
    db.session.commit()
    counts = jobs.low_stock_check(NOW)
    assert counts["dismissed"] == 1
    db.session.refresh(proposal)
    assert proposal.status == "dismissed"


def test_an_ordered_proposal_counts_as_incoming_until_received(stock):
    lot = make_stock_lot(stock.sets, stock.depot, on_hand=2)
    replenishment.set_reorder_point(None, "HMC", "INF-1", 5, 40)
    jobs.low_stock_check(NOW)
    [proposal] = proposals()
    replenishment.decide_proposal(None, proposal.id, "ordered")

    assert jobs.low_stock_check(NOW)["proposed"] == 0
    with pytest.raises(Conflict):
        replenishment.decide_proposal(None, proposal.id, "dismissed")

    lot.on_hand += 38
    db.session.add(
        StockMovement(
            kind="receipt",
            depot_id=stock.depot.id,
            article_id=stock.sets.id,
            lot_id=lot.id,
            packs=38,
        )
    )
    db.session.commit()
    counts = jobs.low_stock_check(NOW)
    assert counts["received"] == 1
    assert [p.status for p in proposals()] == ["received"]


def test_a_dismissed_proposal_lets_the_next_run_propose_again(stock):
    make_stock_lot(stock.sets, stock.depot, on_hand=0)
    replenishment.set_reorder_point(None, "HMC", "INF-1", 5, 40)
    jobs.low_stock_check(NOW)
    replenishment.decide_proposal(None, proposals()[0].id, "dismissed")

    assert jobs.low_stock_check(NOW)["proposed"] == 1
    assert [p.status for p in proposals()] == ["dismissed", "open"]


def test_the_database_refuses_a_second_open_proposal(stock):
    replenishment.set_reorder_point(None, "HMC", "INF-1", 5, 40)
    jobs.low_stock_check(NOW)
    db.session.add(
        PurchaseProposal(
            depot_id=stock.depot.id,
            article_id=stock.sets.id,
            supplier="Medtronic AB",
            packs=1,
            position=0,
            reorder_level=5,
            order_up_to=40,
        )
    )
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()


def test_reorder_points_are_checked_and_changed_in_place(stock):
    with pytest.raises(Invalid) as caught:
        replenishment.set_reorder_point(None, "NOPE", "NOPE", -1, -2)
    assert set(caught.value.fields) == {
        "depot_code",
        "article_no",
        "reorder_level",
        "order_up_to",
    }
    replenishment.set_reorder_point(None, "HMC", "INF-1", 5, 40)
    replenishment.set_reorder_point(None, "HMC", "INF-1", 8, 50)
    [point] = replenishment.reorder_points()
    assert (point.reorder_level, point.order_up_to) == (8, 50)


# Expiry ------------------------------------------------------------------------


def flagged_lots() -> list[LotExpiryFlag]:
    """The nightly check's flags of lots with packs left, soonest expiry first."""
    return list(
        db.session.scalars(
            sa.select(LotExpiryFlag)
            .join(StockLot, StockLot.id == LotExpiryFlag.lot_id)
            .where(StockLot.on_hand > 0)
            .order_by(LotExpiryFlag.expiry, LotExpiryFlag.lot_id)
        )
    )


def test_lots_expiring_within_60_days_are_flagged_once(stock):
    soon = make_stock_lot(stock.sets, stock.depot, on_hand=5, expiry=date(2026, 5, 1))
    edge = make_stock_lot(stock.sets, stock.depot, on_hand=5, expiry=date(2026, 5, 1))
    edge.expiry = TODAY + timedelta(days=60)
    make_stock_lot(stock.sets, stock.depot, on_hand=5, expiry=date(2026, 5, 2))
    make_stock_lot(stock.sets, stock.depot, on_hand=0, expiry=date(2026, 4, 1))
    make_stock_lot(stock.pods, stock.depot, on_hand=5)  # no expiry
    db.session.commit()

    assert jobs.expiry_check(NOW) == {"flagged": 2, "quarantined": 0}
    assert jobs.expiry_check(NOW) == {"flagged": 0, "quarantined": 0}

    assert [flag.lot_id for flag in flagged_lots()] == [soon.id, edge.id]
    db.session.refresh(soon)
    assert soon.quarantined is False


def test_expired_lots_are_quarantined_with_a_ledger_row(stock):
    expired = make_stock_lot(
        stock.sets, stock.depot, on_hand=7, expiry=TODAY - timedelta(days=1)
    )
    today_last = make_stock_lot(stock.sets, stock.depot, on_hand=3, expiry=TODAY)

    assert jobs.expiry_check(NOW) == {"flagged": 2, "quarantined": 1}
    assert jobs.expiry_check(NOW)["quarantined"] == 0

    db.session.refresh(expired)
    db.session.refresh(today_last)
    assert expired.quarantined is True
    assert expired.on_hand == 7  # still on the shelf until scrapped
    assert today_last.quarantined is False
    [row] = db.session.scalars(sa.select(StockMovement)).all()
    assert (row.kind, row.lot_id, row.packs, row.reason_code) == (
        "quarantine",
        expired.id,
        0,
        "expired",
    )
    flag = db.session.scalar(
        sa.select(LotExpiryFlag).where(LotExpiryFlag.lot_id == expired.id)
    )
    assert flag.quarantined_at is not None


def test_a_pharmacy_article_gets_no_reorder_point(stock):
    """The walkthrough: 400101 Dexcom G7 sensor (pharmacy) got a reorder point."""
    make_article("G7-1", channel="pharmacy", category="cgm_sensor")
    with pytest.raises(Invalid) as refused:
        replenishment.set_reorder_point(None, "HMC", "G7-1", 5, 40)
    assert "lämnas ut via apotek" in refused.value.fields["article_no"][0]
    assert replenishment.reorder_points() == []


def test_the_check_proposes_no_purchase_of_a_pharmacy_article_already_stored(stock):
    sensors = make_article("G7-1", channel="pharmacy", category="cgm_sensor")
    db.session.add(
        ReorderPoint(
            depot_id=stock.depot.id,
            article_id=sensors.id,
            reorder_level=5,
            order_up_to=40,
        )
    )
    db.session.commit()
    replenishment.set_reorder_point(None, "HMC", "INF-1", 5, 40)

    counts = jobs.low_stock_check(NOW)

    assert [p.article_id for p in proposals()] == [stock.sets.id]
    assert (counts["proposed"], counts["checked"]) == (1, 1)


def test_an_open_proposal_for_a_pharmacy_article_is_dismissed_by_the_check(stock):
    """A proposal made before pharmacy articles were refused a reorder point
    stayed open and counted among "Öppna förslag", asking to buy stock the
    aids centre never dispenses."""
    sensors = make_article("G7-2", channel="pharmacy", category="cgm_sensor")
    db.session.add(
        ReorderPoint(
            depot_id=stock.depot.id, article_id=sensors.id, reorder_level=5,
            order_up_to=40,
        )
    )  # fmt: skip
    db.session.add(
        PurchaseProposal(
            depot_id=stock.depot.id, article_id=sensors.id, supplier="Dexcom",
            packs=40, position=0, reorder_level=5, order_up_to=40,
        )
    )  # fmt: skip
    db.session.commit()
    counts = jobs.low_stock_check(NOW)
    proposal = db.session.scalar(
        sa.select(PurchaseProposal).where(PurchaseProposal.article_id == sensors.id)
    )
    assert proposal.status == "dismissed" and counts["dismissed"] == 1
    assert replenishment.proposals(("open",)) == []
