"""The region's clinics: list, add, and change a clinic's details.

Thin routes over `patients.clinic_details`, which checks, audits and commits;
a refusal names every bad field beside the form and writes nothing.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from sesamlike.admin.forms import ClinicDetailsForm, NewClinicForm
from sesamlike.admin.views import bp
from sesamlike.common.errors import DomainError
from sesamlike.common.i18n import _
from sesamlike.common.refusals import show_refusal
from sesamlike.patients import clinic_details

# The form's fields as the service names them (`clinic_details.DETAILS`).
_DETAILS = clinic_details.DETAILS


def _admin():
    return current_user._get_current_object()


def _sent(form: ClinicDetailsForm) -> dict:
    return {name: getattr(form, name).data for name in _DETAILS}


@bp.route("/clinics")
def clinics():
    """Every clinic with its cost centre, address and phone."""
    return render_template(
        "admin/clinics.html", clinics=clinic_details.clinics(_admin())
    )


@bp.route("/clinics/new", methods=["GET", "POST"])
def new_clinic():
    """Add a clinic: its code, name and cost centre, its address and phone."""
    form = NewClinicForm()
    if form.validate_on_submit():
        try:
            created = clinic_details.create(_admin(), form.code.data or "",
                                            _sent(form))  # fmt: skip
        except DomainError as error:
            show_refusal(error, form)
        else:
            flash(_("Vårdenheten {code} är tillagd.", code=created.code), "success")
            return redirect(url_for("admin.clinic", clinic_id=created.id))
    elif request.method == "POST":
        flash(_("Kontrollera uppgifterna i formuläret."), "error")
    status = 422 if request.method == "POST" else 200
    return render_template("admin/clinic_form.html", form=form, clinic=None), status


@bp.route("/clinics/<int:clinic_id>", methods=["GET", "POST"])
def clinic(clinic_id: int):
    """A clinic's details, changed and saved."""
    found = clinic_details.clinic(_admin(), clinic_id)
    form = ClinicDetailsForm(obj=None if request.method == "POST" else found)
    if form.validate_on_submit():
        try:
            changed = clinic_details.update(_admin(), clinic_id, _sent(form))
        except DomainError as error:
            show_refusal(error, form)
        else:
            if changed:
                flash(_("Ändringarna är sparade."), "success")
            else:
                flash(_("Inget ändrades."), "info")
            return redirect(url_for("admin.clinic", clinic_id=clinic_id))
    elif request.method == "POST":
        flash(_("Kontrollera uppgifterna i formuläret."), "error")
    status = 422 if request.method == "POST" else 200
    return render_template("admin/clinic_form.html", form=form, clinic=found), status
