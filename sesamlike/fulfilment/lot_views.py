"""Blocked and expired lots on the stock overview: release a block, scrap."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from sesamlike.accounts.forms import EmptyForm
from sesamlike.common.errors import DomainError
from sesamlike.common.i18n import ngettext
from sesamlike.extensions import db
from sesamlike.fulfilment import blocked_lots
from sesamlike.fulfilment.forms import ReleaseBlockForm
from sesamlike.fulfilment.views import bp
from sesamlike.stock.models import StockLot
from sesamlike.stock.views import (
    depot_only,
    errors_beside_fields,
    flash_error,
    overview_response,
)


@bp.route("/lots/<int:lot_id>/scrap", methods=["POST"])
@depot_only
def scrap_lot(lot_id: int):
    """Scrap what is left of an expired or blocked lot (a scrap movement),
    once the clerk has confirmed it: the first press asks, naming the lot."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    lot = db.session.get(StockLot, lot_id)
    if lot is None:
        abort(404)
    if request.form.get("confirmed") != "1":
        return overview_response(scrap_asked=lot)
    words = {"lot": lot.lot or "–", "article": lot.article.name}
    try:
        packs = blocked_lots.scrap_lot(current_user, lot_id)
    except DomainError as error:
        flash_error(error)
    else:
        flash(
            ngettext(
                "{n} förp. av parti {lot} ({article}) kasserad.",
                "{n} förp. av parti {lot} ({article}) kasserade.",
                packs,
                **words,
            ),
            "success",
        )
    return redirect(url_for("stock.overview"))


@bp.route("/lots/<int:lot_id>/release", methods=["POST"])
@depot_only
def release_block(lot_id: int):
    """Lift a lot's block with a reason; a refusal is said beside the field."""
    form = ReleaseBlockForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        return overview_response(422, refused_lot=lot_id, refusal=form)
    try:
        done = blocked_lots.release_block(current_user, lot_id, form.reason.data)
    except DomainError as error:
        if not error.fields:  # the lot's state, not the reason: said above all
            flash_error(error)
            return redirect(url_for("stock.overview"))
        db.session.rollback()
        errors_beside_fields(form, error.fields)
        return overview_response(422, refused_lot=lot_id, refusal=form)
    flash(
        ngettext(
            "Spärren av parti {lot} är hävd: {n} förp. kan plockas igen.",
            "Spärren av parti {lot} är hävd: {n} förp. kan plockas igen.",
            done.lot.on_hand,
            lot=done.lot.lot or "–",
        ),
        "success",
    )
    if done.filled:
        flash(
            ngettext(
                "{n} restnoterad beställningsrad är nu reserverad och kan plockas.",
                "{n} restnoterade beställningsrader är nu reserverade och kan plockas.",
                len(done.filled),
            ),
            "success",
        )
    return redirect(url_for("stock.overview"))
