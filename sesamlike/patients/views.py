"""Patient pages: search, register, detail, contact, addresses, guardians.

Prescribers use every page; no other role reads the patient record here. A patient the
user may not see answers the same 404 as a missing one.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from sesamlike.common.errors import DomainError
from sesamlike.common.i18n import N_, _, ngettext
from sesamlike.common.paging import page_number
from sesamlike.common.refusals import show_refusal
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.patients import care_end, services
from sesamlike.patients.forms import (
    AddressForm,
    CareRelationshipForm,
    ContactForm,
    GuardianForm,
    RegisterPatientForm,
    ServiceForm,
    TemporaryAddressForm,
)
from sesamlike.patients.identity import age_group_label
from sesamlike.patients.models import CareEndReason
from sesamlike.patients.search import MIN_SEARCH_LENGTH

bp = Blueprint("patients", __name__, url_prefix="/patients")
# Templates name an age group as every page and file does (`identity`).
bp.add_app_template_global(age_group_label)

# A patient's pages, as tabs on each of them; pages of higher areas by endpoint
# name (this area may not import them), shown when the app has them.
PATIENT_TABS = (
    ("orders.patient_overview", "Översikt"),
    ("prescriptions.prescriptions", "Förskrivningar"),
    ("orders.patient_orders", "Beställningar"),
    ("patients.detail", N_("Patientuppgifter")),
)


@bp.before_request
@login_required
def require_login():
    """Every patient page needs a login."""


@bp.app_context_processor
def patient_tabs():
    """`patient_tabs(id)`: (url, label, endpoint) of each of a patient's pages."""

    def tabs(patient_id: int) -> list[tuple[str, str, str]]:
        return [
            (url_for(endpoint, patient_id=patient_id), label, endpoint)
            for endpoint, label in PATIENT_TABS
            if endpoint in current_app.view_functions
        ]

    return {"patient_tabs": tabs}


def _user():
    return current_user._get_current_object()


def _require_writer() -> None:
    if not services.may_write(_user()):
        abort(403)


@bp.route("", methods=["GET", "POST"])
def search():
    """Search patients by personnummer, birth date or name.

    The search is a POST: a personnummer never travels in a URL (access logs,
    browser history). A query string is not read.
    """
    if not services.may_view(_user()):
        abort(403)
    text = request.form.get("q", "") if request.method == "POST" else ""
    try:
        result = services.search_patients(
            _user(), text, page_number(request.form.get("page"))
        )
        error = None
    except DomainError as refused:
        if refused.status in (403, 404):
            raise
        db.session.rollback()
        error = _(refused.message, **refused.params)
        result = services.SearchPage(text.strip(), [], 0, 1, searched=False)
    if result.text and not result.searched and error is None:
        # Too short to search: said, not a page that answers nothing.
        error = ngettext("Skriv minst {n} tecken.", "Skriv minst {n} tecken.",
                         MIN_SEARCH_LENGTH)  # fmt: skip
    # Prescribers start from the overview of a patient's aids when the app has it.
    overview = "orders.patient_overview"
    start = (
        overview
        if services.may_write(_user()) and overview in current_app.view_functions
        else "patients.detail"
    )
    return render_template(
        "patients/search.html",
        result=result,
        patient_endpoint=start,
        error=error,
        today=region_today(),
        may_register=services.may_write(_user()),
    )


@bp.route("/new", methods=["GET", "POST"])
def register():
    """Register a patient at one of the prescriber's clinics."""
    _require_writer()
    form = RegisterPatientForm(_user().clinics)
    existing_id, status = None, 200
    if form.validate_on_submit():
        try:
            patient = services.register_patient(_user(), form.service_data())
        except DomainError as error:
            show_refusal(error, form)
            existing_id, status = error.params.get("id"), error.status
        else:
            flash(_("Patienten är registrerad."), "success")
            return redirect(url_for(".detail", patient_id=patient.id))
    elif form.errors:
        status = 422
    return render_template(
        "patients/register.html", form=form, existing_id=existing_id
    ), status


@bp.route("/<int:patient_id>")
def detail(patient_id: int):
    """Show a patient: identity, contact, addresses, guardians, care."""
    card = services.patient_card(_user(), patient_id)
    user = _user()
    care_form = None
    if services.may_write(user):
        linked = {
            c.clinic_id for c in card.patient.care_relationships if c.ended_on is None
        }
        choices = [(c.code, c.name) for c in user.clinics if c.id not in linked]
        if choices:
            care_form = CareRelationshipForm()
            care_form.clinic_code.choices = choices
    patient = card.patient
    return render_template(
        "patients/detail.html",
        card=card,
        patient=patient,
        may_write=services.may_write(user),
        care_form=None if patient.care_ended else care_form,
        may_end_care=services.may_write(user) and not patient.care_ended,
        expected_back=care_end.expected_back(user, patient),
        resume_form=_resume_form(user, patient),
    )


def _resume_form(user, patient) -> CareRelationshipForm | None:
    """Taking a patient who moved back into care again, at one of the
    prescriber's clinics (the one that cared until the move first)."""
    if (
        not services.may_write(user)
        or patient.care_ended_reason != CareEndReason.MOVED_OUT
    ):
        return None
    cared = {c.clinic_id for c in patient.care_relationships if c.end_reason}
    clinics = sorted(user.clinics, key=lambda c: (c.id not in cared, c.name))
    form = CareRelationshipForm()
    form.clinic_code.choices = [(c.code, c.name) for c in clinics]
    return form


def _edit(
    patient_id: int, form: ServiceForm, action, *, title: str, done: str, prefill=None
):
    """A small change form: show, call the service, return to the patient."""
    _require_writer()
    status = 200
    if form.validate_on_submit():
        try:
            action(_user(), patient_id, form.service_data())
        except DomainError as error:
            show_refusal(error, form)
            status = error.status
        else:
            flash(done, "success")
            return redirect(url_for(".detail", patient_id=patient_id))
    elif form.errors:
        status = 422
    card = services.patient_card(_user(), patient_id)
    hint = prefill(card, form) if prefill and request.method == "GET" else None
    return render_template(
        "patients/form.html",
        form=form,
        card=card,
        patient=card.patient,
        title=title,
        hint=hint,
    ), status


def _prefill_contact(card: services.PatientCard, form: ContactForm) -> str | None:
    form.protected_identity.data = card.patient.protected_identity
    if not card.contact_visible:
        return _(
            "Skyddade personuppgifter: de nuvarande uppgifterna visas inte. "
            "Lämna ett fält tomt för att behålla det som finns."
        )
    form.phone.data, form.email.data = card.patient.phone, card.patient.email
    return None


def _prefill_address(card: services.PatientCard, form: AddressForm) -> str | None:
    if not card.contact_visible:
        return _("Skyddade personuppgifter: den nuvarande adressen visas inte.")
    if card.home_address is not None:
        for name in ("care_of", "street", "postal_code", "city", "door_code"):
            form[name].data = getattr(card.home_address, name)
    return None


@bp.route("/<int:patient_id>/contact", methods=["GET", "POST"])
def edit_contact(patient_id: int):
    """Change phone and e-mail for notices; mark protected identity."""
    return _edit(
        patient_id,
        ContactForm(),
        services.update_contact,
        title=_("Ändra kontaktuppgifter"),
        done=_("Kontaktuppgifterna är sparade."),
        prefill=_prefill_contact,
    )


@bp.route("/<int:patient_id>/address", methods=["GET", "POST"])
def edit_address(patient_id: int):
    """Replace the home address (never shown when the identity is protected)."""
    return _edit(
        patient_id,
        AddressForm(),
        services.set_home_address,
        title=_("Ändra hemadress"),
        done=_("Hemadressen är sparad."),
        prefill=_prefill_address,
    )


@bp.route("/<int:patient_id>/temporary-addresses/new", methods=["GET", "POST"])
def add_temporary_address(patient_id: int):
    """Add a temporary delivery address with its period."""
    return _edit(
        patient_id,
        TemporaryAddressForm(),
        services.add_temporary_address,
        title=_("Lägg till tillfällig adress"),
        done=_("Den tillfälliga adressen är sparad."),
    )


@bp.route(
    "/<int:patient_id>/temporary-addresses/<int:address_id>/remove", methods=["POST"]
)
def remove_temporary_address(patient_id: int, address_id: int):
    """Remove a temporary delivery address."""
    _require_writer()
    try:
        services.remove_temporary_address(_user(), patient_id, address_id)
    except DomainError as error:
        show_refusal(error)
    else:
        flash(_("Den tillfälliga adressen är borttagen."), "success")
    return redirect(url_for(".detail", patient_id=patient_id))


@bp.route("/<int:patient_id>/guardians/new", methods=["GET", "POST"])
def add_guardian(patient_id: int):
    """Add a guardian (vårdnadshavare) of a child."""
    return _edit(
        patient_id,
        GuardianForm(),
        services.add_guardian,
        title=_("Lägg till vårdnadshavare"),
        done=_("Vårdnadshavaren är tillagd."),
    )


@bp.route("/<int:patient_id>/care-relationships", methods=["POST"])
def add_care_relationship(patient_id: int):
    """Give another of the prescriber's own clinics a care relationship."""
    _require_writer()
    form = CareRelationshipForm()
    try:
        services.add_care_relationship(_user(), patient_id, form.clinic_code.data)
    except DomainError as error:
        show_refusal(error)
    else:
        flash(_("Vårdrelationen är registrerad."), "success")
    return redirect(url_for(".detail", patient_id=patient_id))


from sesamlike.patients import care_end_views  # noqa: E402, F401 (routes on bp)
