"""The aids centre's list of lent devices due back after the end of a
patient's care (`due_back`), with the way to take each one back."""

from __future__ import annotations

from flask import request
from flask_login import current_user

from sesamlike.common.paging import page_number
from sesamlike.fulfilment import due_back
from sesamlike.fulfilment.views import bp, render
from sesamlike.stock.views import depot_only


@bp.route("/devices/due-back")
@depot_only
def devices_due_back():
    """Lent devices whose patient's care in the region ended, the oldest end
    first, a page at a time, with where to collect each."""
    queue = due_back.devices_due_back(
        current_user, page_number(request.args.get("page"))
    )
    return render("due_back.html", queue=queue)
