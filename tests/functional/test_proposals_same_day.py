"""Stock going down proposes a purchase the same day, not after the night's
check: a patient's reorder that reserves the packs, a backorder, a count
below the books. The clerk sees it on the proposals page at once."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from sesamlike.extensions import db
from sesamlike.stock import replenishment
from sesamlike.stock.models import PurchaseProposal, StockLot
from tests.factories import make_role_user, make_user
from tests.portal_data import make_region, reorder_form


@pytest.fixture
def region():
    return make_region()


def proposal_rows(client, auth, clerk) -> list[str]:
    """The rows of the clerk's proposals page, as text."""
    auth.logout()
    auth.login(clerk.username)
    page = client.get("/channels/proposals").text
    rows = re.findall(r"<tr>(.*?)</tr>", page, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows]


def reorder(client, auth, rx, packs: int, username: str = "ella") -> None:
    auth.logout()
    auth.login(username)
    sent = client.post(
        "/portal/order", data=reorder_form([(rx.id, packs)], action="send")
    )
    assert sent.status_code == 302, sent.text


def open_proposals() -> list[PurchaseProposal]:
    return list(
        db.session.scalars(
            sa.select(PurchaseProposal).where(PurchaseProposal.status == "open")
        )
    )


def test_a_reorder_that_takes_stock_to_the_reorder_point_proposes_at_once(
    client, auth, region
):
    """50 infusion sets on the shelf, reorder at 48, up to 100: a patient's
    order of 3 leaves 47, and the clerk sees a proposal of 53 the same day."""
    replenishment.set_reorder_point(None, "HMC", "QS9", 48, 100)
    clerk = make_role_user("depot")
    assert not [r for r in proposal_rows(client, auth, clerk) if "QS9" in r]

    reorder(client, auth, region.rx_infusion, 3)

    [row] = [r for r in proposal_rows(client, auth, clerk) if "QS9" in r]
    assert "Quick-set 9 mm" in row and " 53 " in f" {row} ", row
    [proposal] = open_proposals()
    assert (proposal.packs, proposal.position, proposal.order_up_to) == (53, 47, 100)


def test_a_reorder_that_leaves_stock_above_the_point_proposes_nothing(
    client, auth, region
):
    replenishment.set_reorder_point(None, "HMC", "QS9", 40, 100)
    reorder(client, auth, region.rx_infusion, 3)  # 47 left, above 40
    assert open_proposals() == []


def test_a_second_reorder_refreshes_the_proposal_of_the_first(client, auth, region):
    replenishment.set_reorder_point(None, "HMC", "QS9", 48, 100)
    reorder(client, auth, region.rx_infusion, 3)
    make_user("patient", patients=[region.other], username="bo")
    reorder(client, auth, region.rx_other, 3, username="bo")  # 3 more
    [proposal] = open_proposals()  # one open proposal, not two
    assert (proposal.packs, proposal.position) == (56, 44)


def test_a_backorder_of_an_article_without_a_point_proposes_what_it_waits_for(
    client, auth, region
):
    """Stock runs out under an order: the packs it waits for are proposed the
    same day, as the night's check would."""
    db.session.execute(sa.update(StockLot).values(on_hand=1))
    db.session.commit()
    reorder(client, auth, region.rx_infusion, 3)
    [proposal] = open_proposals()
    assert (proposal.packs, proposal.position, proposal.order_up_to) == (2, -2, 0)


def test_a_count_below_the_books_proposes_at_once(client, auth, region):
    replenishment.set_reorder_point(None, "HMC", "RES3", 45, 100)
    clerk = make_role_user("depot")
    lot = db.session.scalars(
        sa.select(StockLot).where(StockLot.article_id == region.reservoir.id)
    ).one()
    proposal_rows(client, auth, clerk)  # logged in as the clerk
    counted = client.post(
        "/stock/count",
        data={"lot_id": lot.id, "counted": 44, "reason_code": "damaged"},
    )
    assert counted.status_code == 302, counted.text
    [row] = [r for r in proposal_rows(client, auth, clerk) if "RES3" in r]
    assert " 56 " in f" {row} ", row
