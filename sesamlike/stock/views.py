"""Depot pages (hjälpmedelscentral) on stock alone: the overview of lots on hand.

Pages where a stock change may fill backorders (receipts, counts, devices) and the
pages that work on orders live in `fulfilment.views`; they share the helpers here.
"""

from __future__ import annotations

from functools import wraps

import sqlalchemy as sa
from flask import Blueprint, abort, flash, render_template, request
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from sesamlike.accounts.forms import EmptyForm
from sesamlike.accounts.models import Role
from sesamlike.common.errors import DomainError
from sesamlike.common.i18n import N_, _
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.stock import ledger, overview
from sesamlike.stock.models import Depot

bp = Blueprint("stock", __name__, url_prefix="/stock")


def depot_only(view=None, *, admin_reads: bool = False):
    """The depot role only; admin may read the pages marked admin_reads."""

    def decorate(fn):
        @wraps(fn)
        @login_required
        def wrapper(*args, **kwargs):
            role = current_user.role
            if role == Role.DEPOT:
                return fn(*args, **kwargs)
            if admin_reads and role == Role.ADMIN and request.method == "GET":
                return fn(*args, **kwargs)
            abort(403)

        return wrapper

    return decorate(view) if view else decorate


def error_text(error: DomainError) -> str:
    return _(error.message, **error.params)


# Field names of refusals as the depot's forms call them (never a code on screen).
FIELD_LABELS = {
    "returned_on": N_("Returdatum"),
    "delivered_on": N_("Leveransdag"),
    "packs": N_("Antal förpackningar"),
    "serials": N_("Serienummer"),
    "serial_no": N_("Serienummer"),
    "reason": N_("Orsak"),
    "reason_code": N_("Orsak till differens"),
    "counted": N_("Räknat antal"),
    "depot_code": N_("Lager"),
    "article_no": N_("Artikelnummer"),
    "lot": N_("Parti"),
    "expiry": N_("Utgångsdatum"),
    "tracking_ref": N_("Sändnings-id"),
    "line_ids": N_("Rader"),
    "pick_override": N_("Skäl att packa utan plockning"),
    "restock": N_("Förpackningarna"),
    "q": N_("Sök"),
}


def field_label(name: str) -> str:
    return _(FIELD_LABELS.get(name, N_("Uppgift")))


def flash_error(error: DomainError) -> None:
    """Show a refusal as messages on the page; a 404 goes to the error page."""
    if error.status == 404:
        raise error
    db.session.rollback()
    flash(error_text(error), "error")
    for name, messages in error.fields.items():
        flash(f"{field_label(name)}: {' '.join(_(m) for m in messages)}", "error")


def errors_beside_fields(form, fields: dict[str, list[str]]) -> None:
    """A refusal's field messages beside the form's fields of those names."""
    for name, messages in fields.items():
        if name in form:
            form[name].errors = [*form[name].errors, *messages]


def depot_choices() -> list[SelectChoice]:
    depots = db.session.scalars(sa.select(Depot).order_by(Depot.code))
    return [SelectChoice(d.code, f"{d.code} – {d.name}") for d in depots]


def render(template: str, status: int = 200, **context):
    """A depot page; `template` is relative to templates/ ("stock/overview.html")."""
    context.setdefault("today", region_today())
    return render_template(
        template, can_act=current_user.role == Role.DEPOT, **context
    ), status


@bp.route("", endpoint="overview")
@depot_only(admin_reads=True)
def overview_page():
    """Stock per article, depot and lot, with expiry warnings and the ledger check."""
    return overview_response()


def overview_response(status: int = 200, *, refused_lot=None, refusal=None,
                      scrap_asked=None):  # fmt: skip
    """The overview; `refused_lot`: the lot whose block release was refused,
    `refusal` its form, shown with the reason entered and the refusal beside it;
    `scrap_asked`: the lot the clerk is asked to confirm scrapping."""
    return render(
        "stock/overview.html",
        status,
        lots=overview.lots(),
        totals=overview.totals(),
        mismatches=ledger.ledger_mismatches(),
        form=EmptyForm(),
        quarantine_lot=ledger.QUARANTINE_LOT,
        refused_lot=refused_lot,
        refusal=refusal,
        scrap_asked=scrap_asked,
    )
