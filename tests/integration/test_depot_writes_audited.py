"""The aids centre's writes to a patient's order are in the patient's log.

The security review found two that left no audit row: picking an order, and
a backordered line reserved when packs came free (a receipt, or another
order's cancellation). Every write of patient data is logged and shown to
the patient ("Vem har tittat på mina uppgifter").
"""

from __future__ import annotations

import html
import re

import sqlalchemy as sa

from sesamlike.accounts.models import AuditEvent
from sesamlike.extensions import db
from sesamlike.fulfilment import shipping
from sesamlike.orders import services as ordering
from tests.factories import (
    make_article,
    make_depot_world,
    make_patient,
    make_user,
    place_order_for,
)


def logged(action: str) -> list[tuple[int, int, str, str]]:
    """(patient, user, order, detail) of each row of the action."""
    return [
        tuple(row)
        for row in db.session.execute(
            sa.select(AuditEvent.patient_id, AuditEvent.user_id,
                      AuditEvent.object_id, AuditEvent.detail)
            .where(AuditEvent.action == action, AuditEvent.object_type == "order")
            .order_by(AuditEvent.id)
        )
    ]  # fmt: skip


def receive(world, article, packs: int):
    return shipping.receive_stock(
        world.clerk, world.depot.code, article.article_no, packs, lot="L1"
    )


def test_picking_an_order_is_in_its_patients_log(client, auth):
    world = make_depot_world()
    article = make_article()
    receive(world, article, 5)
    patient = make_patient(world.clinic)
    make_user("patient", patients=[patient], username="pia")
    placed = place_order_for(world.prescriber, article, 2, patient=patient)

    shipping.pick_order(world.clerk, placed.id)
    shipping.pick_order(world.clerk, placed.id)  # nothing left to pick

    line = placed.lines[0].id
    assert logged("pick") == [
        (patient.id, world.clerk.id, str(placed.id), f"lines {line}")
    ]
    auth.login("pia")
    page = html.unescape(client.get("/portal/access-log").text)
    said = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    # The aids centre by its role, said once (it read "Hjälpmedelscentral,
    # Hjälpmedelscentralen" until the browser check of the twelfth stop).
    assert re.search(r"Hjälpmedelscentral Plockade en beställning", said), said
    assert "Hjälpmedelscentralen" not in said


def test_a_receipt_that_fills_a_backorder_is_in_its_patients_log():
    world = make_depot_world()
    article = make_article()
    first = place_order_for(world.prescriber, article, 2)
    second = place_order_for(world.prescriber, article, 2)

    receive(world, article, 3)  # enough for the first only

    line = first.lines[0].id
    assert logged("backorder_filled") == [
        (first.patient_id, world.clerk.id, str(first.id), f"lines {line}")
    ]
    assert second.lines[0].status == "backordered"


def test_a_cancellation_that_frees_packs_logs_the_order_they_fill():
    world = make_depot_world()
    article = make_article()
    receive(world, article, 1)
    holding = place_order_for(world.prescriber, article, 1)
    waiting = place_order_for(world.prescriber, article, 1)
    assert waiting.lines[0].status == "backordered"

    ordering.cancel_order(world.prescriber, holding.id)

    line = waiting.lines[0].id
    assert logged("backorder_filled") == [
        (waiting.patient_id, world.prescriber.id, str(waiting.id), f"lines {line}")
    ]
