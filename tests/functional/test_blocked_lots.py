"""Unusable stock on the overview, and a blocked lot (a recall) not expired: the
clerk releases the block with a reason (audited) or scraps its packs (a scrap
movement, never a deletion)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from sesamlike.accounts.models import AuditEvent
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.orders.models import OrderLine
from sesamlike.stock.ledger import ledger_mismatches
from sesamlike.stock.models import StockLot, StockMovement
from tests.factories import (
    make_article,
    make_depot_world,
    make_stock_lot,
    place_order_for,
)
from tests.functional.test_cancelled_after_picking import text_of

TODAY = region_today()


@pytest.fixture
def world(auth):
    world = make_depot_world(clerk="lager")
    world.article = make_article("RES-2", name="Reservoar Två")
    world.lot = make_stock_lot(
        world.article, world.depot, on_hand=5, lot="ER2506Q",
        expiry=TODAY + timedelta(days=300), quarantined=True,
    )  # fmt: skip
    db.session.add(
        StockMovement(
            kind="receipt", depot_id=world.depot.id, article_id=world.article.id,
            lot_id=world.lot.id, packs=5,
        )
    )  # fmt: skip
    db.session.commit()
    auth.login("lager")
    return world


def lot_of(world) -> StockLot:
    return db.session.get(StockLot, world.lot.id, populate_existing=True)


def audit_rows(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).filter_by(action=action)))


def test_the_overview_offers_release_and_scrap_of_a_blocked_lot(client, world):
    html = client.get("/stock").get_data(as_text=True)
    assert f'action="/stock/lots/{world.lot.id}/release"' in html
    assert f'action="/stock/lots/{world.lot.id}/scrap"' in html
    assert f'for="release-reason-{world.lot.id}"' in html


def test_a_released_block_is_audited_and_its_packs_fill_backorders(client, world):
    waiting = place_order_for(world.prescriber, world.article, 2, lock_days=0)
    assert waiting.lines[0].status == "backordered"

    response = client.post(
        f"/stock/lots/{world.lot.id}/release",
        data={"reason": "Leverantören har återkallat spärren"},
        follow_redirects=True,
    )

    page = response.get_data(as_text=True)
    assert "Spärren av parti ER2506Q är hävd: 5 förp. kan plockas igen." in page
    assert "1 restnoterad beställningsrad är nu reserverad och kan plockas." in page
    assert lot_of(world).quarantined is False
    line = db.session.get(OrderLine, waiting.lines[0].id, populate_existing=True)
    assert line.status == "reserved"
    (row,) = audit_rows("release_block")
    assert "Leverantören har återkallat spärren" in row.detail
    assert ledger_mismatches() == []


@pytest.mark.parametrize("reason", ["", "ok"])
def test_a_release_without_a_reason_is_refused_beside_the_field(client, world, reason):
    response = client.post(
        f"/stock/lots/{world.lot.id}/release", data={"reason": reason}
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    error = html.split(f'id="release-reason-{world.lot.id}-error">')[1]
    assert ("Ange varför spärren hävs." if not reason else "minst 10 tecken") in (
        error.split("</p>")[0]
    )
    assert lot_of(world).quarantined is True
    assert audit_rows("release_block") == []
    # Said at the top too, linked to the field far below (the walkthrough saw
    # the page reload at the top with nothing to say what happened).
    top = html.split('id="release-refused">')[1].split("</div>")[0]
    assert "Spärren är inte hävd." in top
    assert f'href="#release-reason-{world.lot.id}"' in top


def test_a_blocked_lot_is_scrapped_as_a_stock_movement(client, world):
    # The first press asks (the walkthrough scrapped a whole lot in one
    # click, told only "12 förp. kasserade."): nothing is scrapped yet.
    asked = client.post(f"/stock/lots/{world.lot.id}/scrap").get_data(as_text=True)
    box = text_of(asked.split('id="scrap-asked">')[1].split("</div>")[0])
    assert f"Kassera 5 förp. av parti {world.lot.lot}" in box and "Ja, kassera" in box
    assert lot_of(world).on_hand == 5
    response = client.post(
        f"/stock/lots/{world.lot.id}/scrap", data={"confirmed": "1"},
        follow_redirects=True,
    )  # fmt: skip

    assert f"5 förp. av parti {world.lot.lot}" in response.get_data(as_text=True)
    lot = lot_of(world)
    assert lot is not None and lot.on_hand == 0  # the lot stays, emptied
    scrap = db.session.scalar(sa.select(StockMovement).filter_by(kind="scrap"))
    assert (scrap.packs, scrap.reason_code, scrap.lot_id) == (-5, "blocked", lot.id)
    assert ledger_mismatches() == []


def test_an_expired_lot_stays_blocked_and_can_only_be_scrapped(client, world):
    world.lot.expiry = TODAY - timedelta(days=1)
    db.session.commit()

    response = client.post(
        f"/stock/lots/{world.lot.id}/release",
        data={"reason": "Leverantören har återkallat spärren"},
        follow_redirects=True,
    )

    assert "förblir spärrat: kassera det" in response.get_data(as_text=True)
    assert lot_of(world).quarantined is True


def test_the_stock_per_article_shows_unusable_packs_so_totals_agree(client, world):
    """The walkthrough: the per-article table left out blocked, expired and
    quarantined packs that the lots table and the API's `unusable` show."""
    make_stock_lot(world.article, world.depot, on_hand=10, lot="GOOD1")
    make_stock_lot(
        world.article, world.depot, on_hand=3, lot="OLD1",
        expiry=TODAY - timedelta(days=2),
    )  # fmt: skip

    html = client.get("/stock").get_data(as_text=True)

    table = html.split("Saldo per artikel och lager")[1].split("</table>")[0]
    row = " ".join(re.sub(r"<[^>]+>", " ", table.split("RES-2")[1]).split())
    # In stock 18 (as the lots add up), of which 8 unusable; available 10.
    assert row.startswith("Reservoar Två HMC 18 8 0 10 0")
    assert "Ej användbart" in table
