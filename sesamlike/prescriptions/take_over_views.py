"""Taking over another clinic's prescriptions from the prescriptions page."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_login import current_user, login_required

from sesamlike.accounts.forms import EmptyForm
from sesamlike.common.errors import DomainError
from sesamlike.common.formatting import format_date
from sesamlike.common.i18n import _, ngettext
from sesamlike.common.refusals import show_refusal
from sesamlike.prescriptions import take_over
from sesamlike.prescriptions.views import bp


def _back(patient_id: int, anchor: str | None = None):
    return redirect(
        url_for("prescriptions.prescriptions", patient_id=patient_id, _anchor=anchor)
    )


@bp.route(
    "/patients/<int:patient_id>/prescriptions/<int:prescription_id>/take-over",
    methods=["POST"],
)
@login_required
def take_over_prescription(patient_id: int, prescription_id: int):
    """Another clinic's prescription becomes the prescriber's clinic's."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    user = current_user._get_current_object()
    try:
        new = take_over.take_over(user, prescription_id, patient_id)
    except DomainError as error:
        show_refusal(error)
        return _back(patient_id, f"rx-{prescription_id}")
    flash(
        _(
            "{clinic} har tagit över förskrivningen av {article}, som gäller "
            "{valid_from}–{valid_to}. Det som redan är beställt betalas av den "
            "mottagning som förskrev det.",
            article=new.article.name,
            clinic=new.clinic.name,
            valid_from=format_date(new.valid_from),
            valid_to=format_date(new.valid_to),
        ),
        "success",
    )
    return _back(patient_id, f"rx-{new.id}")


@bp.route("/patients/<int:patient_id>/prescriptions/take-over", methods=["POST"])
@login_required
def take_over_prescriptions(patient_id: int):
    """All of another clinic's prescriptions that may be taken over, at once."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    user = current_user._get_current_object()
    try:
        taken = take_over.take_over_all(user, patient_id)
    except DomainError as error:
        show_refusal(error)
        return _back(patient_id)
    flash(
        ngettext(
            "{n} förskrivning är er mottagnings från i dag.",
            "{n} förskrivningar är er mottagnings från i dag.",
            taken,
        )
        if taken
        else _("Det fanns ingen förskrivning att ta över."),
        "success" if taken else "info",
    )
    return _back(patient_id)
