"""Depot pages that work on orders: pick list, packing and shipping, deliveries,
returns of unused consumables. Routes on `stock.views.bp`."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import sqlalchemy as sa
from flask import flash, redirect, request, url_for
from flask_login import current_user

from sesamlike.accounts.forms import EmptyForm
from sesamlike.errors import DomainError
from sesamlike.extensions import db
from sesamlike.i18n import _
from sesamlike.orders import returns, shipping
from sesamlike.orders.models import LineStatus
from sesamlike.stock import picking
from sesamlike.stock.forms import ConsumableReturnForm, DeliverForm, PackForm
from sesamlike.stock.models import Depot
from sesamlike.stock.views import bp, depot_only, error_text, flash_error, render


@bp.route("/picking")
@depot_only
def pick_list():
    """What to pick per depot, first expiry first out, with lot and bin."""
    depots = db.session.scalars(sa.select(Depot).order_by(Depot.code)).all()
    chosen = request.args.get("depot", type=int) or (depots[0].id if depots else None)
    rows = picking.pick_list(chosen) if chosen else []
    by_order = defaultdict(list)
    lines = shipping.lines_for(row.reference for row in rows)
    for row in rows:
        line = lines.get(row.reference)
        by_order[line.order_id if line else None].append((row, line))
    return render(
        "picking.html",
        depots=depots,
        chosen=chosen,
        groups=sorted(by_order.items(), key=lambda kv: kv[0] or 0),
        form=EmptyForm(),
    )


@bp.route("/orders/<int:order_id>/pick", methods=["POST"])
@depot_only
def pick_order(order_id: int):
    """Mark an order's lines picked (devices are picked by serial when packed)."""
    if EmptyForm().validate_on_submit():
        try:
            shipping.pick_order(current_user, order_id)
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("Beställning {order_id} är plockad.", order_id=order_id), "success")
    return redirect(request.form.get("next") or url_for("stock.packing"))


@bp.route("/packing")
@depot_only
def packing():
    """Orders with reserved lines, oldest first, ready to pack and ship."""
    orders = shipping.orders_with_lines(LineStatus.RESERVED)
    references = [line.reference for order in orders for line in order.lines]
    return render(
        "packing.html",
        orders=orders,
        picked=shipping.picked_references(references),
    )


@bp.route("/orders/<int:order_id>/pack", methods=["GET", "POST"])
@depot_only
def pack(order_id: int):
    """Pack and ship: choose lines (partial shipment), serials, tracking."""
    form = PackForm()
    status = 200
    if form.validate_on_submit():
        line_ids = [int(x) for x in request.form.getlist("line") if x.isdigit()]
        serials = {
            str(line_id): request.form.get(f"serials-{line_id}", "").split()
            for line_id in line_ids
        }
        try:
            shipping.ship_order(
                current_user,
                order_id,
                line_ids=line_ids or None,
                serials={k: v for k, v in serials.items() if v},
                tracking_ref=form.tracking_ref.data,
            )
        except DomainError as error:
            db.session.rollback()
            form.form_errors.append(error_text(error))
            for name, messages in error.fields.items():
                form.form_errors.append(f"{name}: {' '.join(_(m) for m in messages)}")
            status = 422
        else:
            flash(_("Beställning {order_id} är skickad.", order_id=order_id), "success")
            return redirect(url_for("stock.packing"))
    try:
        order = shipping.order_for_depot(current_user, order_id)
    except DomainError as error:
        flash_error(error)
        return redirect(url_for("stock.packing"))
    return render("pack.html", status, order=order, form=form)


@bp.route("/deliveries")
@depot_only
def deliveries():
    """Shipped orders whose delivery is still to be confirmed."""
    form = DeliverForm()
    form.delivered_on.data = date.today()
    return render(
        "deliveries.html",
        orders=shipping.orders_with_lines(LineStatus.SHIPPED),
        form=form,
    )


@bp.route("/orders/<int:order_id>/deliver", methods=["POST"])
@depot_only
def deliver(order_id: int):
    """Confirm delivery of an order's shipped lines on the given day."""
    form = DeliverForm()
    if form.validate_on_submit():
        try:
            shipping.deliver_order(current_user, order_id, form.delivered_on.data)
        except DomainError as error:
            flash_error(error)
        else:
            flash(
                _("Beställning {order_id} är levererad.", order_id=order_id), "success"
            )
    else:
        flash(_("Ange leveransdag."), "error")
    return redirect(url_for("stock.deliveries"))


@bp.route("/returns")
@depot_only
def consumable_returns():
    """Delivered stocked consumables that may still come back (14 days)."""
    form = ConsumableReturnForm()
    form.returned_on.data = date.today()
    return render(
        "returns.html",
        lines=returns.returnable_lines(),
        form=form,
        days=returns.RETURN_DAYS,
    )


@bp.route("/lines/<int:line_id>/return", methods=["POST"])
@depot_only
def return_line(line_id: int):
    """Take unused packs of a delivered line back into stock."""
    form = ConsumableReturnForm()
    if form.validate_on_submit():
        try:
            returns.return_consumables(current_user, line_id, form.returned_on.data)
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("Returen är inlagd i lager."), "success")
    else:
        flash(_("Ange returdatum."), "error")
    return redirect(url_for("stock.consumable_returns"))
