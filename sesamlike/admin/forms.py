"""Forms of the admin pages. They check shape; the services hold the rules."""

from __future__ import annotations

from wtforms import (
    BooleanField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from sesamlike.accounts.forms import ServiceErrorsForm
from sesamlike.accounts.models import Role
from sesamlike.common.i18n import _

ROLE_CHOICES = [
    (Role.PRESCRIBER.value, "Förskrivare"),
    (Role.DEPOT.value, "Hjälpmedelscentralen"),
    (Role.MANAGER.value, "Verksamhetschef"),
    (Role.REGION.value, "Regionens uppföljning"),
    (Role.ADMIN.value, "Administratör"),
]


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes; a choice not offered is simply ignored."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form) -> None:  # the service names unknown clinics
        pass


class AccountForm(ServiceErrorsForm):
    display_name = StringField(
        "Namn", validators=[Optional(), Length(max=120, message="För långt.")]
    )
    email = StringField(
        "E-post", validators=[Optional(), Length(max=254, message="För långt.")],
        render_kw={"autocomplete": "off", "type": "email"},
    )  # fmt: skip
    role = SelectField("Roll", choices=ROLE_CHOICES, validate_choice=False)
    clinics = CheckboxesField("Vårdenheter", choices=[])
    first_time_prescriber = BooleanField("Får göra nyförskrivning av pump och CGM")
    # The service names an unknown depot, or one for another role.
    depot_code = SelectField(
        "Eget lager (hjälpmedelscentralens personal)", choices=[],
        validate_choice=False,
    )  # fmt: skip


class NewAccountForm(AccountForm):
    username = StringField(
        "Användarnamn", validators=[Optional(), Length(max=80, message="För långt.")],
        render_kw={"autocomplete": "off", "required": True},
    )  # fmt: skip


class PatientLookupForm(ServiceErrorsForm):
    personal_id = StringField(
        "Personnummer", validators=[Optional(), Length(max=20, message="För långt.")],
        render_kw={"autocomplete": "off", "required": True},
    )  # fmt: skip


class ClinicForm(ServiceErrorsForm):
    clinic_code = SelectField("Vårdenhet", choices=[], validate_choice=False)
    moved_back = BooleanField("Patienten har flyttat tillbaka till regionen")


class ClinicDetailsForm(ServiceErrorsForm):
    """A clinic's details (`patients.clinic_details` holds the rules)."""

    name = StringField("Namn", render_kw={"maxlength": 120, "required": True})
    cost_centre = StringField(
        "Kostnadsställe", render_kw={"maxlength": 20, "required": True}
    )
    paediatric = BooleanField("Barn- och ungdomsmottagning")
    street = StringField(
        "Gatuadress", render_kw={"maxlength": 120, "autocomplete": "street-address"}
    )
    postal_code = StringField(
        "Postnummer",
        render_kw={"maxlength": 10, "autocomplete": "postal-code",
                   "inputmode": "numeric"},
    )  # fmt: skip
    city = StringField(
        "Ort", render_kw={"maxlength": 80, "autocomplete": "address-level2"}
    )
    phone = StringField(
        "Telefon", render_kw={"maxlength": 30, "type": "tel", "autocomplete": "tel"}
    )


class NewClinicForm(ClinicDetailsForm):
    code = StringField("Kod", render_kw={"maxlength": 20, "required": True})


# The patient page holds several forms: their fields have ids of their own
# (a label must lead to its own input), their names stay what the services read.
class GuardianLinkForm(ServiceErrorsForm):
    username = StringField(
        "Vårdnadshavarens användarnamn",
        validators=[Optional(), Length(max=80, message="För långt.")],
        render_kw={"autocomplete": "off", "required": True},
        id="guardian_username",
    )


class PortalLoginForm(ServiceErrorsForm):
    """A login for the patient or a guardian, made on the patient's page."""

    role = SelectField("Kontot är för", validate_choice=False, id="login_role")
    username = StringField(
        "Användarnamn", validators=[Optional(), Length(max=80, message="För långt.")],
        render_kw={"autocomplete": "off", "required": True}, id="login_username",
    )  # fmt: skip
    display_name = StringField(
        "Namn", validators=[Optional(), Length(max=120, message="För långt.")],
        id="login_display_name",
    )  # fmt: skip
    email = StringField(
        "E-post", validators=[Optional(), Length(max=254, message="För långt.")],
        render_kw={"autocomplete": "off", "type": "email", "required": True},
        id="login_email",
    )  # fmt: skip

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = [(Role.PATIENT.value, _("Patienten själv")),
                             (Role.GUARDIAN.value, _("En vårdnadshavare"))]  # fmt: skip


class ReasonForm(ServiceErrorsForm):
    reason = TextAreaField(
        "Skäl", validators=[Optional(), Length(max=300, message="För långt.")],
        render_kw={"required": True, "rows": 2},
    )  # fmt: skip
