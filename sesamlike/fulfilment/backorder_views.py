"""The depot's queue of backorders: order lines waiting for stock.

Order number and article only, as the packing list shows them: the depot
needs no patient to see what waits, so nothing here reads a patient.
"""

from __future__ import annotations

from sesamlike.fulfilment import shipping
from sesamlike.fulfilment.views import _chosen_depot, _depots, bp, render
from sesamlike.stock import backorders
from sesamlike.stock.views import depot_only


@bp.route("/backorders")
@depot_only
def backorders_page():
    """Backordered lines per depot, first placed first, with what is incoming."""
    depots = _depots()
    chosen = _chosen_depot(depots)
    rows = backorders.waiting(chosen) if chosen else []
    lines = shipping.lines_for(row.reservation.reference for row in rows)
    return render(
        "backorders.html",
        depots=depots,
        chosen=chosen,
        rows=[(row, lines.get(row.reservation.reference)) for row in rows],
    )
