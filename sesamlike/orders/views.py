"""Prescriber pages for orders: new order, confirmation, detail, history, cancel."""

from __future__ import annotations

import uuid
from datetime import date

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms.fields.choices import SelectChoice

from sesamlike.accounts import kept_forms
from sesamlike.accounts.forms import EmptyForm
from sesamlike.accounts.staff import prescribers_only, staff_blueprint
from sesamlike.catalog.labels import channel_label
from sesamlike.catalog.models import Channel
from sesamlike.common.errors import DomainError
from sesamlike.common.formatting import format_date
from sesamlike.common.i18n import _
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.orders import services as ordering
from sesamlike.orders import shipto
from sesamlike.orders import status as order_status
from sesamlike.orders.forms import MODE_LABELS, NewOrderForm

bp = staff_blueprint("orders", __name__)
bp.before_request(prescribers_only)
kept_forms.keep_across_login("orders.new_order")


def refusal_text(error: DomainError) -> str:
    """The refusal in the user's language, dates and delivery modes in words."""
    params = {
        name: format_date(value) if isinstance(value, date) else value
        for name, value in error.params.items()
    }
    if "allowed" in params:
        params["allowed"] = ", ".join(
            _(MODE_LABELS.get(mode, mode)).lower()
            for mode in params["allowed"].split(", ")
        )
    return _(error.message, **params)


def _url_if_exists(endpoint: str, **values) -> str | None:
    """Link to pages other areas build only once they exist."""
    if endpoint in current_app.view_functions:
        return url_for(endpoint, **values)
    return None


def _patient_url(patient_id: int) -> str | None:
    return _url_if_exists("patients.detail", patient_id=patient_id)


def _render(template: str, status: int = 200, **context):
    return render_template(
        f"orders/{template}",
        line_status=order_status.line_status,
        order_status=order_status.order_status,
        cancel_rule=order_status.CANCEL_RULE,
        modes=MODE_LABELS,
        channel_label=channel_label,
        refusal_text=refusal_text,
        **context,
    ), status


@bp.route("/patients/<int:patient_id>/orders/new", methods=["GET", "POST"])
@login_required
def new_order(patient_id: int):
    """Order withdrawals from the patient's prescriptions."""
    # A submitted form's read waits for the order's commit, or for a refusal,
    # which then needs no read of its own: one page, one row in the access log.
    options = ordering.order_options(
        current_user, patient_id, commit=request.method == "GET"
    )
    form = NewOrderForm()
    form.delivery_mode.choices = [
        SelectChoice(mode, _(MODE_LABELS[mode])) for mode in options.modes
    ]
    orderable = [c.prescription for c in options.choices if c.refusal is None]
    if not form.is_submitted():
        form.idempotency_key.data = uuid.uuid4().hex
        form.delivery_mode.data = options.default_mode
        for prescription in orderable:
            form.lines.append_entry(
                {
                    "prescription_id": str(prescription.id),
                    "packs": prescription.packs_per_withdrawal,
                }
            )
        kept = kept_forms.take()  # sent when the login had run out
        if kept:
            fill_in_kept(form, kept)
            flash(_(kept_forms.KEPT_MESSAGE), "info")
    status = 200
    if form.validate_on_submit():
        chosen = form.selected_lines()
        try:
            placed = ordering.place_order(
                current_user,
                patient_id,
                chosen,
                form.delivery_mode.data,
                form.idempotency_key.data,
            )
        except DomainError as error:
            if error.status in (403, 404):
                raise
            for refusal in ordering.each_refusal(error):
                show_refusal(form, chosen, refusal, refusal_text(refusal))
            status = error.status
        else:
            if placed.created:
                flash(_("Beställningen är skickad."), "success")
            else:
                flash(_("Beställningen var redan skickad. Här är den."), "info")
            return redirect(url_for("orders.confirmation", order_id=placed.order_id))
    elif form.is_submitted():
        # The lines' and the mode's refusals too: every fault at once.
        chosen = form.selected_lines()
        mode = None if form.delivery_mode.errors else form.delivery_mode.data
        for refusal in ordering.order_refusals(current_user, options, chosen, mode):
            show_refusal(form, chosen, refusal, refusal_text(refusal))
        status = 422
    patient = options.patient
    address = None
    if options.show_address:
        address = patient.delivery_address_on(region_today())
    return _render(
        "new.html",
        status,
        form=form,
        options=options,
        patient=patient,
        rows={row.prescription_id.data: row for row in form.lines},
        address=address,
        patient_url=_patient_url(patient_id),
        prescriptions_url=_url_if_exists(
            "prescriptions.prescriptions", patient_id=patient_id
        ),
    )


def fill_in_kept(form: NewOrderForm, kept: MultiDict) -> None:
    """The rows and delivery mode as they were sent (`kept_forms`), each row by
    its prescription: the rows offered now are the prescriptions orderable now."""
    sent = {}
    for name in kept:
        parts = name.split("-")
        if len(parts) == 3 and parts[0] == "lines" and parts[2] == "prescription_id":
            sent[kept.get(name)] = f"lines-{parts[1]}-"
    for row in form.lines:
        prefix = sent.get(row.prescription_id.data)
        if prefix is None:
            continue
        for field in (row.selected, row.packs):
            name = prefix + field.short_name
            values = kept.getlist(name)
            field.process(MultiDict([(field.name, v) for v in values]))
    if kept.get("delivery_mode") in {
        value for value, *_rest in form.delivery_mode.choices
    }:
        form.delivery_mode.data = kept.get("delivery_mode")


def show_refusal(form: FlaskForm, chosen, error: DomainError, message: str) -> None:
    """Put the refusal at the top and next to the line or field it is about
    (the new-order form here and the portal's reorder form). An order refused
    for several (`ordering.refused`): where its first belongs; show each with
    `ordering.each_refusal`."""
    flash(message, "error")
    error = ordering.each_refusal(error)[0]  # its own fields, not all of them
    line = error.params.get("line")
    if line is not None and line < len(chosen):
        wanted = str(chosen[line][0])
        for row in form.lines:
            if row.prescription_id.data == wanted:
                row.packs.errors = [*row.packs.errors, message]
    if "delivery_mode" in error.fields:
        form.delivery_mode.errors = [*form.delivery_mode.errors, message]
    phone = getattr(form, "phone", None)  # the portal's: the order's mobile number
    if phone is not None and "contact_phone" in error.fields:
        phone.errors = [*phone.errors, message]
    if "lines" in error.fields:
        form.lines.errors = [message]


def _order_page(order_id: int, template: str, status: int = 200):
    order = ordering.get_order(current_user, order_id)
    patient = order.patient
    shipped = shipto.ship_to(order)
    handed = order_status.handovers(order.lines)
    return _render(
        template,
        status,
        order=order,
        patient=patient,
        ship_to=shipped,
        pharmacy_apart=shipto.pharmacy_lines_apart(order, shipped),
        handed=handed,
        # The e-recepts at the pharmacy, which cancelling withdraws too.
        e_recepts=sum(
            1
            for line in order.lines
            if line.channel == Channel.PHARMACY
            and line.id in handed
            and handed[line.id].on
        ),
        may_order=current_user.role in ordering.ORDERING_ROLES,
        cancellable_lines=ordering.cancellable_lines(current_user, order, handed),
        patient_url=_patient_url(patient.id),
    )


@bp.route("/orders/<int:order_id>/confirmation")
@login_required
def confirmation(order_id: int):
    """Confirm a placed order: number, lines, delivery."""
    return _order_page(order_id, "confirmation.html")


@bp.route("/orders/<int:order_id>")
@login_required
def detail(order_id: int):
    """Show an order with its lines, delivery and history; cancel it if open."""
    return _order_page(order_id, "detail.html")


@bp.route("/orders/<int:order_id>/cancel", methods=["POST"])
@login_required
def cancel(order_id: int):
    """Cancel (makulera) an order that has not shipped."""
    return _cancelling(
        order_id,
        lambda: ordering.cancel_order(current_user, order_id),
        lambda _order: _(
            "Beställningen är makulerad. Uttagen är återförda till förskrivningarna."
        ),
    )


@bp.route("/orders/<int:order_id>/lines/<int:line_id>/cancel", methods=["POST"])
@login_required
def cancel_line(order_id: int, line_id: int):
    """Cancel (makulera) one line that has not shipped."""

    def done(order) -> str:
        line = next(line for line in order.lines if line.id == line_id)
        return _(
            "Raden {packs} × {article} är makulerad. Uttaget är återfört till "
            "förskrivningen.",
            packs=line.packs,
            article=line.article.name,
        )

    return _cancelling(
        order_id, lambda: ordering.cancel_line(current_user, order_id, line_id), done
    )


def _cancelling(order_id: int, act, done):
    """Cancel as `act` does; say `done(order)`, or the refusal on the order's page."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        order = act()
    except DomainError as error:
        if error.status in (403, 404):
            raise
        db.session.rollback()
        flash(refusal_text(error), "error")
        return _order_page(order_id, "detail.html", error.status)
    flash(done(order), "success")
    return redirect(url_for("orders.detail", order_id=order_id))


@bp.route("/patients/<int:patient_id>/orders")
@login_required
def patient_orders(patient_id: int):
    """List a patient's orders, newest first."""
    patient, orders = ordering.patient_orders(current_user, patient_id)
    return _render(
        "patient_orders.html",
        patient=patient,
        orders=orders,
        may_order=current_user.role in ordering.ORDERING_ROLES,
        patient_url=_patient_url(patient_id),
    )


# The work lists and the patient overview register their routes on this blueprint.
from sesamlike.orders import worklist_views  # noqa: E402,F401
