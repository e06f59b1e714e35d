"""Prescriber pages for prescriptions: list, new, renew, cancel (makulera)."""

from __future__ import annotations

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

from sesamlike.accounts import kept_forms
from sesamlike.accounts.forms import EmptyForm
from sesamlike.accounts.models import Role
from sesamlike.accounts.staff import staff_blueprint
from sesamlike.catalog.labels import category_label, channel_label
from sesamlike.common.errors import DomainError
from sesamlike.common.formatting import format_date
from sesamlike.common.i18n import N_, _
from sesamlike.common.transaction_ends import rollback_keeping_reads
from sesamlike.extensions import db
from sesamlike.prescriptions import renewals, services, take_over
from sesamlike.prescriptions.errors import PrescriberOnly
from sesamlike.prescriptions.forms import REASON_LABELS, PrescriptionForm, RenewalForm
from sesamlike.prescriptions.rules import (
    DUPLICATE_IN_FORCE,
    FAR_START,
    INVALID_MESSAGE,
)

bp = staff_blueprint("prescriptions", __name__)
kept_forms.keep_across_login("prescriptions.new_prescription")


@bp.before_request
def prescribers_only():
    """A patient's prescriptions are their prescriber's (need to know): any other
    role is told who may, by the app's refusal page (403)."""
    if current_user.is_authenticated and current_user.role != Role.PRESCRIBER:
        raise PrescriberOnly()


STATUS_BADGES = {
    "active": (N_("Aktiv"), "badge-ok"),
    "expired": (N_("Giltighetstiden har gått ut"), "badge-muted"),
    "used_up": (N_("Alla uttag gjorda"), "badge-warn"),
    "cancelled": (N_("Makulerad"), "badge-err"),
}


def _user():
    return current_user._get_current_object()


def _url_if_exists(endpoint: str, **values) -> str | None:
    """Pages of higher areas, linked by endpoint name when the app has them."""
    if endpoint in current_app.view_functions:
        return url_for(endpoint, **values)
    return None


def _message(error: DomainError) -> str:
    return _(error.message, **error.params)


@bp.route("/patients/<int:patient_id>/prescriptions")
@login_required
def prescriptions(patient_id: int):
    """Show a patient's prescriptions with remaining withdrawals and next date."""
    show_all = request.args.get("show") == "all"
    listing = services.patient_prescriptions(
        _user(), patient_id, show_all, with_open_orders=True
    )
    db.session.commit()  # the audit row of this read
    user = _user()
    # Another clinic's prescriptions (a patient who moved here) that this
    # prescriber's clinic may take over, and pay for from then on.
    takeable = [
        rx
        for rx in listing.prescriptions
        if take_over.may_take_over(rx, user.clinic_ids, listing.today)
        and rx.id not in listing.renewed_ids
    ]
    return render_template(
        "prescriptions/list.html",
        listing=listing,
        takeable_ids={rx.id for rx in takeable},
        taking_clinic=take_over.taking_clinic(user, listing.patient),
        patient=listing.patient,
        order_url=_url_if_exists("orders.new_order", patient_id=patient_id),
        can_prescribe=services.can_prescribe(_user()),
        badges=STATUS_BADGES,
        reasons=REASON_LABELS,
        category_label=category_label,
        channel_label=channel_label,
    )


@bp.route("/patients/<int:patient_id>/prescriptions/new", methods=["GET", "POST"])
@login_required
def new_prescription(patient_id: int):
    """Prescribe an article for the patient; refusals show next to the fields."""
    context = services.new_prescription_context(_user(), patient_id)
    kept = kept_forms.take()  # sent when the login had run out: filled in again
    form = PrescriptionForm(formdata=kept) if kept else PrescriptionForm()
    form.offer(context.articles, context.clinics, context.first_choice_ids)
    status, form_error = 200, None
    if form.is_submitted():
        if form.validate():
            try:
                prescription = services.prescribe(
                    _user(), patient_id, **form.service_arguments(), any_start=False
                )
            except DomainError as error:
                if error.status == 404:
                    raise
                rollback_keeping_reads()  # the patient was read and is shown again
                form.show_errors(error.fields)
                form_error, status = _message(error), error.status
            else:
                flash(
                    _(
                        "Förskrivningen av {article} är sparad.",
                        article=prescription.article.name,
                    ),
                    "success",
                )
                return redirect(
                    url_for("prescriptions.prescriptions", patient_id=patient_id)
                )
        elif "csrf_token" in form.errors:
            abort(400)
        else:
            form.show_term_errors()  # every fault at once, not one a try
            form_error = _(INVALID_MESSAGE)
            status = 422
    else:
        if kept:
            flash(_(kept_forms.KEPT_MESSAGE), "info")
        else:
            form.valid_from.data = context.today
        db.session.commit()  # the audit row of reading the patient
    return render_template(
        "prescriptions/new.html",
        form=form,
        patient=context.patient,
        kit_url=url_for("prescriptions.new_kit", patient_id=patient_id),
        duplicate=DUPLICATE_IN_FORCE,
        far_start=FAR_START,
        today=context.today,
        form_error=form_error,
        faults=_faults(form) if form_error else [],
    ), status


def _faults(form) -> list:
    """Each field at fault, in the form's order, for the banner to list and
    link (as the kit's does): the banner named only the most specific
    refusal, a missing reason, while the quantities' faults stood below."""
    return [field for field in form if field.errors and field.name != "csrf_token"]


def _post_action(
    patient_id: int,
    prescription_id: int,
    action,
    success: str,
    show_all=False,
    form: RenewalForm | None = None,
):
    """Do `action` and go back to the list saying how it went. With `form`
    (validated already), a refusal naming fields goes up to the caller, to be
    shown beside them (and confirmed where it may be)."""
    if form is None and not EmptyForm().validate_on_submit():
        abort(400)
    try:
        prescription = action(_user(), prescription_id, patient_id=patient_id)
    except DomainError as error:
        if error.status in (403, 404):
            raise
        if form is not None and error.fields:
            form.faults = error.fields
            raise
        db.session.rollback()
        flash(_message(error), "error")
    else:
        flash(
            _(
                success,
                article=prescription.article.name,
                valid_from=format_date(prescription.valid_from),
                valid_to=format_date(prescription.valid_to),
            ),
            "success",
        )
    # A cancelled prescription is shown with all the others, where it now is.
    return redirect(
        url_for(
            "prescriptions.prescriptions",
            patient_id=patient_id,
            show="all" if show_all else None,
            _anchor=f"rx-{prescription_id}" if show_all else None,
        )
    )


RENEWED = N_(
    "Förskrivningen av {article} är förnyad och gäller {valid_from}–{valid_to}."
)


@bp.route(
    "/patients/<int:patient_id>/prescriptions/<int:prescription_id>/renew",
    methods=["POST"],
)
@login_required
def renew_prescription(patient_id: int, prescription_id: int):
    """Renew a prescription with its terms; the old one stays in the history.
    What a new prescription's page asks to confirm, this page asks too."""
    form = RenewalForm()
    if not form.validate_on_submit():
        abort(400)

    def renew(user, prescription_id, patient_id):
        return renewals.renew(
            user, prescription_id, patient_id=patient_id, **form.service_arguments()
        )

    try:
        return _post_action(patient_id, prescription_id, renew, RENEWED, form=form)
    except DomainError as error:
        if error.status in (403, 404):
            raise
        return _confirm_renewal(form, error, patient_id, prescription_id)


def _confirm_renewal(
    form: RenewalForm, error: DomainError, patient_id: int, prescription_id: int
):
    """The renewal's terms, each fault beside its term, and the boxes to tick."""
    old, terms = renewals.renewal_preview(_user(), prescription_id, patient_id)
    return render_template(
        "prescriptions/renew.html",
        form=form,
        old=old,
        terms=terms,
        patient=old.patient,
        # What the renew page can do: confirm the old terms, or lead to a new
        # prescription; it cannot change them, so it never asks to.
        form_error=_(getattr(error, "on_renewal", error.message), **error.params),
    ), error.status


@bp.route(
    "/patients/<int:patient_id>/prescriptions/<int:prescription_id>/cancel",
    methods=["POST"],
)
@login_required
def cancel_prescription(patient_id: int, prescription_id: int):
    """Cancel (makulera) a prescription."""
    return _post_action(
        patient_id,
        prescription_id,
        services.cancel,
        N_("Förskrivningen av {article} är makulerad."),
        show_all=True,
    )


# The kit page and the take-over register their routes on this blueprint.
from sesamlike.prescriptions import kit_views, take_over_views  # noqa: E402,F401
