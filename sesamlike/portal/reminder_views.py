"""'Påminnelser': how reorder reminders reach the patient, or that none should."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import current_user

from sesamlike.common.errors import DomainError
from sesamlike.common.i18n import _
from sesamlike.extensions import db
from sesamlike.patients.models import Patient
from sesamlike.portal import services
from sesamlike.portal.display import child_name, render
from sesamlike.portal.forms import REMINDER_CHANNEL_LABELS, ReminderPreferenceForm
from sesamlike.portal.views import acting_patient_id, bp, portal_page


@bp.route("/reminders", methods=["GET", "POST"])
@portal_page
def reminders():
    """Choose e-mail or SMS for reorder reminders, or opt out of them."""
    user = current_user._get_current_object()
    patient_id = acting_patient_id()
    if request.method == "POST" and _made_for_another(patient_id):
        # Another child was chosen in another tab since this page was shown.
        flash(_("Valen för påminnelser är inte sparade: du har valt ett annat "
                "barn sedan sidan öppnades. Välj barnet igen och gör valen på "
                "nytt."), "error")  # fmt: skip
        return redirect(
            url_for("portal.choose_patient", next=url_for("portal.reminders"))
        )
    preference = services.reminder_preference(user, patient_id)
    # Read by the service above (access checked and logged); only shown here.
    patient = db.session.get(Patient, patient_id)
    child = child_name(user, patient)
    form = ReminderPreferenceForm(obj=preference)
    form.channel.choices = [(k, _(v)) for k, v in REMINDER_CHANNEL_LABELS.items()]
    status = 200
    if form.validate_on_submit():
        try:
            services.set_reminder_preference(
                user, patient_id, form.channel.data, form.opted_out.data
            )
        except DomainError as error:
            if error.status in (403, 404):
                raise
            db.session.rollback()
            for name, messages in error.fields.items():
                getattr(form, name).errors = [_(m) for m in messages]
            status = 422
        else:
            flash(_saved(form.opted_out.data, child), "success")
            return redirect(url_for("portal.reminders"))
    elif form.is_submitted():
        status = 422
    return render("reminders.html", status, form=form, patient=patient, child=child)


def _made_for_another(acting_for: int) -> bool:
    """The posted page names the patient it was shown for, and it is not the
    one this request acts for (nothing is saved then, for either)."""
    made_for = request.form.get("patient_id", "")
    return made_for != "" and made_for != str(acting_for)


def _saved(opted_out: bool, child: str | None) -> str:
    """What was saved: a guardian's choices are about the child's reminders."""
    if child:
        if opted_out:
            return _(
                "Du får inga fler påminnelser om att beställa åt {name}.", name=child
            )
        return _(
            "Valen för påminnelser om att beställa åt {name} är sparade.", name=child
        )
    if opted_out:
        return _("Du får inga fler påminnelser om att beställa.")
    return _("Dina val för påminnelser är sparade.")
