"""A patient's links for admins: care relationships, guardians, protected identity.

The patient is found by a personnummer in a POSTed form (never in a URL) and
shown by id only: an admin has no need to know who the patient is.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from sesamlike.accounts.forms import EmptyForm
from sesamlike.accounts.models import Clinic, Role
from sesamlike.admin.forms import (
    ClinicForm,
    GuardianLinkForm,
    PatientLookupForm,
    PortalLoginForm,
    ReasonForm,
)
from sesamlike.admin.users_views import _link_url, link_queued
from sesamlike.admin.views import bp
from sesamlike.common.errors import DomainError
from sesamlike.common.i18n import _
from sesamlike.common.refusals import show_refusal
from sesamlike.extensions import db
from sesamlike.patients import administration


def _admin():
    return current_user._get_current_object()


@bp.route("/patients", methods=["GET", "POST"])
def patients():
    """Find a patient by personnummer (POSTed) to manage their links.

    A refused number is shown back in the form to be corrected: in the body
    of the answer to the POST (never cached), never in a URL."""
    form = PatientLookupForm()
    if form.validate_on_submit():
        try:
            patient_id = administration.find(_admin(), form.personal_id.data)
        except DomainError as error:
            show_refusal(error, form)
        else:
            return redirect(url_for("admin.patient", patient_id=patient_id))
    return render_template("admin/patients.html", form=form)


def _page(patient_id: int, clinic_form=None, guardian_form=None, reason_form=None,
          login_form=None):  # fmt: skip
    found = administration.links(_admin(), patient_id)
    clinic_form = clinic_form or ClinicForm(formdata=None)
    caring = {c.clinic_id for c in found.care if c.ended_on is None}
    clinic_form.clinic_code.choices = [
        (c.code, f"{c.code} {c.name}")
        for c in db.session.scalars(sa.select(Clinic).order_by(Clinic.code))
        if c.id not in caring
    ]
    login_form = login_form or PortalLoginForm(formdata=None)
    # "Patienten själv" only while the patient has no login of their own.
    login_form.role.choices = [
        choice for choice in login_form.role.choices if choice[0] in found.login_roles
    ]
    if found.child and login_form.role.data is None:
        # A child's account is most often a guardian's (a 4-year-old's was
        # offered as "Patienten själv" first): that choice first, and chosen.
        login_form.role.choices.sort(key=lambda choice: choice[0] != Role.GUARDIAN)
        login_form.role.data = Role.GUARDIAN.value
    return render_template(
        "admin/patient.html", found=found, clinic_form=clinic_form,
        guardian_form=guardian_form or GuardianLinkForm(formdata=None),
        reason_form=reason_form or ReasonForm(formdata=None), login_form=login_form,
        own_login_age=administration.OWN_LOGIN_AGE,
    )  # fmt: skip


@bp.route("/patients/<int:patient_id>")
def patient(patient_id: int):
    """A patient's care relationships, guardian logins and protection."""
    return _page(patient_id)


def _done(patient_id: int):
    return redirect(url_for("admin.patient", patient_id=patient_id))


@bp.route("/patients/<int:patient_id>/care", methods=["POST"])
def start_care(patient_id: int):
    """Start a care relationship: the clinic's staff may reach the patient."""
    form = ClinicForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        administration.start_care(
            _admin(), patient_id, form.clinic_code.data, bool(form.moved_back.data)
        )
    except DomainError as error:
        show_refusal(error, form)
        return _page(patient_id, clinic_form=form), 422
    flash(_("Vårdrelationen är startad."), "success")
    return _done(patient_id)


@bp.route("/patients/<int:patient_id>/care/<int:relationship_id>/end", methods=["POST"])
def end_care(patient_id: int, relationship_id: int):
    """End a care relationship: the clinic's staff lose the patient at once."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        administration.end_care(_admin(), patient_id, relationship_id)
    except DomainError as error:
        show_refusal(error)
    else:
        flash(
            _("Vårdrelationen är avslutad. Vårdenhetens personal når inte längre "
              "patienten."), "success",
        )  # fmt: skip
    return _done(patient_id)


@bp.route("/patients/<int:patient_id>/guardians", methods=["POST"])
def add_guardian(patient_id: int):
    """Let a guardian login act for the child."""
    form = GuardianLinkForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        administration.add_guardian(_admin(), patient_id, form.username.data)
    except DomainError as error:
        show_refusal(error, form)
        return _page(patient_id, guardian_form=form), 422
    flash(_("Vårdnadshavaren är kopplad till barnet."), "success")
    return _done(patient_id)


@bp.route("/patients/<int:patient_id>/logins", methods=["POST"])
def create_login(patient_id: int):
    """A login for the patient or a guardian; the password is chosen through a
    one-time link mailed to the new user."""
    form = PortalLoginForm()
    if not form.validate_on_submit():
        return _page(patient_id, login_form=form), 422
    try:
        user = administration.create_login(
            _admin(), patient_id, role=form.role.data, username=form.username.data,
            display_name=form.display_name.data, email=form.email.data,
            link_url=_link_url,
        )  # fmt: skip
    except DomainError as error:
        show_refusal(error, form)
        return _page(patient_id, login_form=form), error.status
    queued, category = link_queued(user.email)
    flash(
        _("Kontot {username} är skapat och kopplat till patienten.",
          username=user.username) + " " + queued, category,
    )  # fmt: skip
    return _done(patient_id)


@bp.route(
    "/patients/<int:patient_id>/guardians/<int:guardian_id>/remove", methods=["POST"]
)
def remove_guardian(patient_id: int, guardian_id: int):
    """The guardian may no longer act for the child."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        administration.remove_guardian(_admin(), patient_id, guardian_id)
    except DomainError as error:
        show_refusal(error)
    else:
        flash(_("Vårdnadshavaren är borttagen från barnet."), "success")
    return _done(patient_id)


@bp.route("/patients/<int:patient_id>/protection", methods=["POST"])
def protection(patient_id: int):
    """Set or lift protected identity, with a reason."""
    form = ReasonForm()
    if not form.validate_on_submit():
        abort(400)
    on = request.form.get("protected") == "1"
    try:
        administration.set_protection(_admin(), patient_id, on, form.reason.data)
    except DomainError as error:
        show_refusal(error, form)
        return _page(patient_id, reason_form=form), 422
    flash(
        _("Skyddade personuppgifter är satta.") if on
        else _("Skyddade personuppgifter är hävda."), "success",
    )  # fmt: skip
    return _done(patient_id)
