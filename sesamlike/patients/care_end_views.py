"""The end of a patient's care in the region, on the patient's pages: the
registration with its confirmation step, the undo of a mistake, and taking a
patient who moved back into the region into care again."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for

from sesamlike.common.errors import DomainError
from sesamlike.common.i18n import _, ngettext
from sesamlike.common.refusals import show_refusal
from sesamlike.common.time import region_today
from sesamlike.patients import care, care_end
from sesamlike.patients.forms import CareEndForm, CareRelationshipForm
from sesamlike.patients.views import _require_writer, _user, bp


@bp.route("/<int:patient_id>/care-end", methods=["GET", "POST"])
def end_care(patient_id: int):
    """Register that the patient died or moved out of the region: the reason
    and the day, then the consequences to confirm."""
    _require_writer()
    user = _user()
    patient, ahead = care_end.consequences(user, patient_id)
    form = CareEndForm()
    status = 200
    if form.validate_on_submit():
        if form.confirmed.data:
            try:
                stopped = care_end.end_care(
                    user, patient_id, form.reason.data, form.day.data
                )
            except DomainError as error:
                if error.status in (403, 404) or not form.add_errors(error.fields):
                    raise
                status = error.status
            else:
                flash(_done_message(form.reason.data, stopped), "success")
                return redirect(url_for(".detail", patient_id=patient_id))
        else:
            faults = care_end.faults_of(
                form.reason.data, form.day.data, region_today(), patient
            )
            if not faults:
                return render_template(
                    "patients/care_end_confirm.html",
                    form=form,
                    patient=patient,
                    ahead=ahead,
                )
            form.add_errors(faults)
            status = 422
    elif form.is_submitted():
        status = 422
    return render_template("patients/care_end.html", form=form, patient=patient), status


def _done_message(reason: str, stopped: care_end.Stopped) -> str:
    what = (
        _("Patienten är registrerad som avliden.")
        if reason == "deceased"
        else _("Patienten är registrerad som flyttad från regionen.")
    )
    said = [what]
    if stopped.orders:
        said.append(ngettext(
            "{n} beställning makulerades.", "{n} beställningar makulerades.",
            stopped.orders,
        ))  # fmt: skip
    if stopped.prescriptions:
        said.append(ngettext(
            "{n} förskrivning avslutades.", "{n} förskrivningar avslutades.",
            stopped.prescriptions,
        ))  # fmt: skip
    if stopped.devices:
        # The return page is the aids centre's: the prescriber is told who
        # collects, and the patient page lists what is still out.
        said.append(ngettext(
            "{n} lånat hjälpmedel ska lämnas tillbaka. Hjälpmedelscentralen "
            "samlar in det; det står kvar på patientsidan tills det är tillbaka.",
            "{n} lånade hjälpmedel ska lämnas tillbaka. Hjälpmedelscentralen "
            "samlar in dem; de står kvar på patientsidan tills de är tillbaka.",
            stopped.devices,
        ))  # fmt: skip
    return " ".join(said)


@bp.route("/<int:patient_id>/care-end/undo", methods=["POST"])
def undo_care_end(patient_id: int):
    """Undo a mistaken registration of the end of care (the wrong patient)."""
    _require_writer()
    try:
        care_end.undo(_user(), patient_id)
    except DomainError as error:
        if error.status in (403, 404):
            raise
        show_refusal(error)
    else:
        flash(_("Registreringen är ångrad och vårdrelationerna är öppna igen. "
                "Makulerade beställningar och förskrivningar förblir makulerade."),
              "success")  # fmt: skip
    return redirect(url_for(".detail", patient_id=patient_id))


@bp.route("/<int:patient_id>/care-end/resume", methods=["POST"])
def resume_care(patient_id: int):
    """Take a patient who moved back into the region into care again."""
    _require_writer()
    form = CareRelationshipForm()  # the CSRF token is checked app-wide
    try:
        relationship = care.resume(_user(), patient_id, form.clinic_code.data)
    except DomainError as error:
        if error.status in (403, 404):
            raise
        show_refusal(error)
    else:
        flash(_("Patienten är i vård i regionen igen, med vårdrelation hos {clinic}. "
                "Beställningar och förskrivningar kan göras igen; det som "
                "makulerades vid flytten förblir makulerat.",
                clinic=relationship.clinic.name), "success")  # fmt: skip
    return redirect(url_for(".detail", patient_id=patient_id))
