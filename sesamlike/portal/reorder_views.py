"""Reordering in the portal: fill in, check the summary, send; cancel before shipping.

One form serves both steps. "Granska" (review) shows the summary with the form
carried in hidden fields, "Ändra" (change) goes back with everything kept, and
"Skicka" (send) places the order with the idempotency key made when the form was
first shown, so a double click or a resent form gives the first order back.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from flask import abort, current_app, flash, redirect, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from wtforms.fields.choices import SelectChoice

from sesamlike.accounts import kept_forms
from sesamlike.accounts.forms import EmptyForm
from sesamlike.accounts.models import Role
from sesamlike.common.errors import DomainError, NotVisible
from sesamlike.common.i18n import _
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.orders.views import fill_in_kept, show_refusal
from sesamlike.patients.models import Patient
from sesamlike.portal import services
from sesamlike.portal.display import (
    child_name,
    form_problems,
    mode_label,
    orderable_rows,
    plain_refusal,
    refused_lines,
    render,
)
from sesamlike.portal.forms import ReorderForm
from sesamlike.portal.views import (
    acting_patient_id,
    bp,
    follow_link_to,
    portal_page,
)

# A parent filling in the form at night sends it after the login ran out: the
# form comes back filled in at the next login (as the staff's order form does).
kept_forms.keep_across_login("portal.reorder")
# What else a kept form fills in beside its rows and delivery mode.
KEPT_CONTACT = ("street", "postal_code", "city", "door_code", "phone",
                "update_contact", "filled_street", "filled_postal_code",
                "filled_door_code")  # fmt: skip


def _follow_reminder_link(prescription_id: int | None) -> None:
    """A reminder's link names a prescription: a guardian acts for that child."""
    if prescription_id is None or current_user.role != Role.GUARDIAN:
        return
    if request.method == "GET":
        follow_link_to(services.patient_of_prescription(prescription_id))


@bp.route("/order", methods=["GET", "POST"])
@portal_page
def reorder():
    """Reorder consumables from active prescriptions."""
    _follow_reminder_link(request.args.get("rx", type=int))
    patient_id = acting_patient_id()
    # A send places the order in the transaction that read the options: their
    # audit row goes in with the order's (one commit). A new form reads the
    # patient's address in it too, then commits. Any other way out commits it
    # before a page shows what was read.
    action = request.form.get("action", "review")
    posted = request.method == "POST"
    sending = posted and action == "send"
    options = services.reorder_options(
        current_user, patient_id, commit=posted and not sending
    )
    form = ReorderForm()
    child = child_name(current_user, options.patient)
    form.delivery_mode.choices = [
        SelectChoice(mode, mode_label(mode, child)) for mode in options.modes
    ]
    if posted and _made_for_another_child(form, options, patient_id):
        services.commit_reads()
        # Another child was chosen in another tab since this form was made.
        flash(_("Beställningen är inte skickad: du har valt ett annat barn "
                "sedan formuläret fylldes i. Välj barnet igen och gör "
                "beställningen på nytt."), "error")  # fmt: skip
        return redirect(url_for("portal.choose_patient"))
    if not form.is_submitted():
        supplies = services.reorder_supplies(options)
        _fill_in(form, options, request.args.get("rx", type=int), supplies)
        if _fill_in_kept(form, options, kept_forms.take()):
            flash(_(kept_forms.KEPT_MESSAGE), "info")
        services.commit_reads()
        return _edit(form, options, supplies=supplies)
    valid = form.validate_on_submit()
    if valid and action == "edit":
        return _edit(form, options)
    # Every fault at once, not one a try: the form's own, no line chosen,
    # each line's and the delivery mode's (a mode not chosen is the form's).
    # A valid review has them from check_reorder below (one check, not two);
    # a valid send is place_order's, which knows a resend by its key.
    chosen = form.selected_lines()
    mode = None if form.delivery_mode.errors else form.delivery_mode.data
    if not valid:
        refusals = services.reorder_refusals(current_user, options, chosen, mode)
        offered = {choice.value: choice.label for choice in form.delivery_mode.choices}
        for refusal in refusals:
            show_refusal(form, chosen, refusal, plain_refusal(refusal, child, offered))
        services.commit_reads()
        return _edit(form, options, 422)
    known = {choice.prescription.id for choice in options.choices}
    if any(prescription_id not in known for prescription_id, _packs in chosen):
        services.commit_reads()
        abort(404)  # someone else's prescription, or none at all
    try:
        if sending:
            return _send(form, options, patient_id, chosen)
        preview = services.check_reorder(
            current_user, options, chosen, form.delivery_mode.data
        )
    except DomainError as error:
        if isinstance(error, NotVisible) or error.status == 403 and not _line(error):
            services.commit_reads()  # a send's options read, if still waiting
            raise
        db.session.rollback()  # (a send's options read: place_order committed it)
        offered = {choice.value: choice.label for choice in form.delivery_mode.choices}
        # A review says every refusal (check_order's); a send its first.
        for refusal in [error] if sending else services.each_refusal(error):
            show_refusal(form, chosen, refusal, plain_refusal(refusal, child, offered))
        return _edit(form, options, error.status)
    return render(
        "summary.html",
        form=form,
        preview=preview,
        patient=options.patient,
        old_door_code=preview.mode == "home" and form.door_code_of_another_place(),
        contact=form.contact(),
        gaps=services.supply_gaps(
            preview.lines, lambda: services.reorder_supplies(options)
        ),
    )


def _made_for_another_child(form: ReorderForm, options, acting_for: int) -> bool:
    """A guardian's posted form names a prescription of another of their
    children, chosen meanwhile in another tab: said so, rather than "not
    found" (or a refusal of the form as if made for this child)."""
    if current_user.role != Role.GUARDIAN:
        return False
    known = {choice.prescription.id for choice in options.choices}
    named = [
        int(row.prescription_id.data)
        for row in form.lines
        if (row.prescription_id.data or "").isdecimal()
    ]
    unknown = [
        prescription_id for prescription_id in named if prescription_id not in known
    ]
    if not unknown:
        return False
    owner = services.patient_of_prescription(unknown[0])
    return (
        owner is not None
        and owner != acting_for
        and services.may_act_for(current_user, owner)
    )


def _send(form: ReorderForm, options, patient_id: int, chosen):
    placed = services.send_reorder(
        current_user,
        patient_id,
        chosen,
        form.delivery_mode.data,
        form.idempotency_key.data,
        form.contact(),
        update_contact=bool(form.update_contact.data)
        and not options.patient.protected_identity,
    )
    if placed.created:
        flash(_("Tack! Vi har tagit emot din beställning."), "success")
    else:
        flash(_("Beställningen var redan skickad. Här är den."), "info")
    return redirect(url_for("portal.order", order_id=placed.order_id))


@bp.route("/orders/<int:order_id>/cancel", methods=["POST"])
@portal_page
def cancel(order_id: int):
    """Cancel an order that has not been shipped."""
    return _cancelling(
        order_id,
        lambda patient_id: services.cancel(current_user, patient_id, order_id),
        lambda _order: _("Beställningen är makulerad."),
    )


@bp.route("/orders/<int:order_id>/lines/<int:line_id>/cancel", methods=["POST"])
@portal_page
def cancel_line(order_id: int, line_id: int):
    """Cancel one line of an order that has not been shipped (a line waiting
    for weeks, the rest on its way)."""

    def done(order) -> str:
        line = next(line for line in order.lines if line.id == line_id)
        return _("{article} är makulerad.", article=line.article.name)

    return _cancelling(
        order_id,
        lambda patient_id: services.cancel_line(
            current_user, patient_id, order_id, line_id
        ),
        done,
    )


def _cancelling(order_id: int, act, done):
    """Cancel as `act(patient_id)` does; say `done(order)` or the refusal on
    the order's page."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    if current_user.role == Role.GUARDIAN:
        # Sent from the order's page, which named its child: another child
        # chosen since in another tab does not make the order "not found".
        follow_link_to(services.patient_of_order(order_id))
    patient_id = acting_patient_id()
    try:
        order = act(patient_id)
    except DomainError as error:
        if error.status in (403, 404):
            raise
        db.session.rollback()
        # The patient acting_patient_id checked: the page names them anyway.
        child = child_name(current_user, db.session.get(Patient, patient_id))
        flash(plain_refusal(error, child), "error")
    else:
        flash(done(order), "success")
    return redirect(url_for("portal.order", order_id=order_id))


def _fill_in(form: ReorderForm, options, only: int | None, supplies) -> None:
    """A new form: a fresh key, the orderable rows, the patient's own address.

    Ticked: the line a reminder's link names (`only`), else the lines due
    (`services.due_for_reorder`); a supply that lasts for months, or one with
    more on its way, is left for the patient to tick, not ordered by one tap.
    """
    form.idempotency_key.data = uuid.uuid4().hex
    form.delivery_mode.data = options.default_mode
    if only is None:
        window = timedelta(days=current_app.config["RUNOUT_REMINDER_DAYS"])
        due = services.due_for_reorder(options, supplies, region_today() + window)
    for choice in options.choices:
        if choice.refusal is None:
            rx = choice.prescription
            form.lines.append_entry(
                {
                    "prescription_id": str(rx.id),
                    "selected": only == rx.id if only is not None else rx.id in due,
                    "packs": rx.packs_per_withdrawal,
                }
            )
    patient = options.patient
    form.phone.data = patient.phone
    address = None
    if not patient.protected_identity:
        address = patient.delivery_address_on(region_today())
    if address is not None:
        form.street.data = address.street
        form.postal_code.data = address.postal_code
        form.city.data = address.city
        form.door_code.data = address.door_code
        form.filled_street.data = address.street
        form.filled_postal_code.data = address.postal_code
        form.filled_door_code.data = address.door_code


def _fill_in_kept(form: ReorderForm, options, kept) -> bool:
    """The form as it was sent when the login had run out (`kept_forms`), if
    it was made for this patient: a guardian may have chosen another child
    since, whose form it would then fill with the other's address."""
    if not kept:
        return False
    known = {str(choice.prescription.id) for choice in options.choices}
    named = {
        value
        for name, value in kept.items(multi=True)
        if name.startswith("lines-") and name.endswith("-prescription_id")
    }
    if not named or not named <= known:
        return False
    fill_in_kept(form, kept)
    for name in KEPT_CONTACT:
        field = getattr(form, name)
        field.process(MultiDict([(field.name, v) for v in kept.getlist(name)]))
    return True


def _edit(form: ReorderForm, options, status: int = 200, *, supplies=None):
    """The form, first or again; each row says how long its supplies last,
    and below the lines, when one is refused, whom "Kontakta mottagningen"
    means (the caring clinic, as "my aids" ends with)."""
    child = child_name(current_user, options.patient)
    any_refused = any(choice.refusal is not None for choice in options.choices)
    return render(
        "reorder.html",
        status,
        form=form,
        options=options,
        problems=form_problems(form, options),
        refused=refused_lines(form, options, child),
        patient=options.patient,
        rows=orderable_rows(form, options),
        supplies=services.reorder_supplies(options) if supplies is None else supplies,
        clinics=options.clinics if any_refused else (),
    )


def _line(error: DomainError) -> bool:
    return error.params.get("line") is not None
