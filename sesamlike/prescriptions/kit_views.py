"""The kit page: prescribe a pump or CGM system as a whole, line by line."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from sesamlike.catalog.labels import category_label, channel_label
from sesamlike.common.errors import DomainError
from sesamlike.common.formatting import format_number
from sesamlike.common.i18n import _, ngettext
from sesamlike.common.transaction_ends import rollback_keeping_reads
from sesamlike.extensions import db
from sesamlike.prescriptions import kits
from sesamlike.prescriptions.forms import KitForm, kit_faults
from sesamlike.prescriptions.rules import DUPLICATE_IN_FORCE, FAR_START
from sesamlike.prescriptions.views import bp


def _user():
    return current_user._get_current_object()


@bp.route("/patients/<int:patient_id>/prescriptions/kit", methods=["GET", "POST"])
@login_required
def new_kit(patient_id: int):
    """Prescribe a pump or CGM system: device and consumables, each line adjustable."""
    system = (request.values.get("system") or "").strip()
    context = kits.kit_context(_user(), patient_id, system)
    form = KitForm()
    status, form_error = 200, None
    if context.kit is not None:
        form.offer(context.kit, context.clinics)
        if form.is_submitted():
            result = _save(form, context, patient_id, system)
            if not isinstance(result, tuple):
                return result
            status, form_error = result
        else:
            form.valid_from.data = context.today
    if status == 200 and not form.is_submitted():
        db.session.commit()  # the audit row of reading the patient
    refusal = context.refusal
    return render_template(
        "prescriptions/kit.html",
        form=form,
        context=context,
        patient=context.patient,
        system=system,
        lines={line.category: line for line in context.kit.lines}
        if context.kit
        else {},
        form_error=form_error
        or (_(refusal.message, **refusal.params) if refusal else None),
        faults=kit_faults(form),
        category_label=category_label,
        channel_label=channel_label,
        decimal=format_number,
        duplicate=DUPLICATE_IN_FORCE,
        far_start=FAR_START,
    ), status if refusal is None else 422


def _save(form: KitForm, context, patient_id: int, system: str):
    """Prescribe the chosen rows; a redirect, or (status, message) to show again."""
    if not form.validate():
        if "csrf_token" in form.errors:
            abort(400)
        return 422, _("Förskrivningen sparades inte. Rätta de markerade uppgifterna.")
    chosen = form.chosen()
    rows = [index for index, _line in chosen]
    try:
        made = kits.prescribe_kit(
            _user(),
            patient_id,
            system,
            form.valid_from.data,
            [kits.KitChoice(**line) for _index, line in chosen],
            clinic_code=form.clinic_code.data or None,
            cost_centre=form.cost_centre.data or None,
            any_start=False,
            start_confirmed=bool(form.start_confirmed.data),
        )
    except DomainError as error:
        if error.status == 404:
            raise
        rollback_keeping_reads()  # the patient was read and is shown again
        form.show_errors(error.fields, rows)
        return error.status, _(error.message, **error.params)
    flash(
        ngettext(
            "{n} förskrivning för {system} är sparad.",
            "{n} förskrivningar för {system} är sparade.",
            len(made),
            system=context.kit.system.name,
        ),
        "success",
    )
    return redirect(url_for("prescriptions.prescriptions", patient_id=patient_id))
