"""Forms of the patient pages. They check shape; the services hold the rules."""

from __future__ import annotations

from wtforms import BooleanField, DateField, SelectField, StringField
from wtforms.validators import Length, Optional

from sesamlike.accounts.forms import ServiceErrorsForm
from sesamlike.common.i18n import N_, _

# Required fields are checked by the services, so one answer lists every error;
# the attribute still tells browsers and screen readers.
_REQUIRED = {"required": True}


def _text(label: str, max_len: int, *, required: bool = False) -> StringField:
    return StringField(
        label,
        validators=[Optional(), Length(max=max_len, message="För långt.")],
        render_kw=_REQUIRED if required else None,
    )


class SwedishDateField(DateField):
    """An HTML date input whose parse error is Swedish source text."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError("Ange ett datum som ÅÅÅÅ-MM-DD.") from None


def _date(label: str, *, required: bool = False) -> SwedishDateField:
    return SwedishDateField(
        label, validators=[Optional()], render_kw=_REQUIRED if required else None
    )


class ServiceForm(ServiceErrorsForm):
    """A form whose data goes to a service as a dict of field names."""

    def service_data(self) -> dict:
        return {
            name: field.data
            for name, field in self._fields.items()
            if name != "csrf_token"
        }


class AddressFields:
    care_of = _text("c/o", 120)
    street = _text("Gatuadress", 120, required=True)
    postal_code = _text("Postnummer", 10, required=True)
    city = _text("Ort", 80, required=True)
    door_code = _text("Portkod", 20)


class ContactFields:
    phone = _text("Mobiltelefon", 30)
    email = _text("E-post", 254)


class RegisterPatientForm(ServiceForm, AddressFields, ContactFields):
    id_kind = SelectField("Typ av identitet", validate_choice=False)
    personal_id = _text(N_("Nummer"), 20, required=True)
    lma_number = _text("LMA-nummer", 20)
    lma_valid_to = _date("LMA-kortet gäller till")
    birth_date = _date("Födelsedatum")
    first_name = _text(N_("Förnamn"), 80, required=True)
    last_name = _text(N_("Efternamn"), 80, required=True)
    diabetes_type = SelectField("Diabetestyp", validate_choice=False)
    clinic_code = SelectField("Vårdenhet", validate_choice=False)
    protected_identity = BooleanField("Skyddade personuppgifter")

    def __init__(self, clinics, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.id_kind.choices = [
            ("personnummer", _("Personnummer eller samordningsnummer")),
            ("reserve", _("Reservnummer (saknar personnummer, t.ex. LMA-kort)")),
        ]
        self.diabetes_type.choices = diabetes_choices()
        self.clinic_code.choices = [(c.code, c.name) for c in clinics]


def diabetes_choices() -> list[tuple[str, str]]:
    return [
        ("", _("Välj")),
        ("type1", _("Typ 1-diabetes")),
        ("type2", _("Typ 2-diabetes")),
        ("other", _("Annan diabetes")),
    ]


class ContactForm(ServiceForm, ContactFields):
    protected_identity = BooleanField("Patienten har skyddade personuppgifter")


class AddressForm(ServiceForm, AddressFields):
    pass


class TemporaryAddressForm(ServiceForm, AddressFields):
    valid_from = _date(N_("Gäller från"), required=True)
    valid_to = _date("Gäller till och med", required=True)


class GuardianForm(ServiceForm):
    name = _text("Namn", 120, required=True)
    phone = _text("Mobiltelefon", 30)
    email = _text("E-post", 254)


class CareRelationshipForm(ServiceForm):
    clinic_code = SelectField("Vårdenhet", validate_choice=False)


class CareEndForm(ServiceForm):
    """The end of a patient's care in the region: why and when (the rules
    are `care_end`'s); `confirmed` once the consequences were shown."""

    reason = SelectField("Orsak", validate_choice=False, render_kw=_REQUIRED)
    day = _date(N_("Datum"), required=True)
    confirmed = BooleanField("Bekräftad")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # In the reader's language: made per request, not at import.
        self.reason.choices = [
            ("", _("Välj")),
            ("deceased", _("Patienten har avlidit")),
            ("moved_out", _("Patienten har flyttat till en annan region")),
        ]
