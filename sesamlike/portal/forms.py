"""Portal forms: choose a child, reorder (lines, delivery, address), cancel."""

from __future__ import annotations

import re

from wtforms import (
    BooleanField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, ValidationError

from sesamlike.common.forms import PageForm
from sesamlike.common.i18n import N_
from sesamlike.orders.forms import OrderLineForm
from sesamlike.orders.rules import (
    PICKUP_NOT_MOBILE,
    PICKUP_PHONE,
    is_mobile,
    pickup_refusal,
)
from sesamlike.patients.addresses import (
    BOX_ADDRESS_REFUSAL,
    is_box_address,
    same_text,
)
from sesamlike.patients.contact_checks import (
    city_refusal,
    door_code_refusal,
    phone_refusal,
    street_refusal,
)

# Labels the patient reads: plain words for the delivery modes.
PORTAL_MODE_LABELS = {
    "home": N_("Hem till mig med posten"),
    "pickup": N_("Till ett utlämningsställe (ombud) nära mig"),
    "pharmacy": N_("Jag hämtar på apotek"),
    "clinic": N_("Till mottagningen"),
}
# A guardian orders for a child: the parcel goes to the child's home, or near it.
GUARDIAN_MODE_LABELS = {
    "home": N_("Hem till {name} med posten"),
    "pickup": N_("Till ett utlämningsställe (ombud) nära {name}"),
}
ADDRESS_MODES = ("home", "pickup")
_POSTAL_CODE = re.compile(r"^\d{3} ?\d{2}$")


def _refuse(message: str | None) -> None:
    if message is not None:
        raise ValidationError(message)


REMINDER_CHANNEL_LABELS = {"email": N_("E-post"), "sms": N_("SMS")}


class ReminderPreferenceForm(PageForm):
    """How reorder reminders reach the patient, or that they should not come."""

    channel = RadioField(
        "Påminnelser skickas som",
        choices=list(REMINDER_CHANNEL_LABELS.items()),
        validators=[InputRequired(message="Välj e-post eller SMS.")],
    )
    opted_out = BooleanField("Skicka inga påminnelser om att beställa")
    # The patient the page was shown for: a guardian may choose another child
    # in another tab before saving (`reminder_views`).
    patient_id = HiddenField()


class ChooseChildForm(PageForm):
    patient_id = IntegerField("Barn", validators=[InputRequired()])


class ReorderForm(PageForm):
    """Both steps post the whole form; the summary step carries it hidden."""

    lines = FieldList(FormField(OrderLineForm))
    delivery_mode = RadioField(
        "Hur vill du få dina hjälpmedel?",
        choices=[
            SelectChoice(mode, label) for mode, label in PORTAL_MODE_LABELS.items()
        ],
        validators=[InputRequired(message="Välj hur du vill få hjälpmedlen.")],
    )
    street = StringField("Gatuadress", validators=[Length(max=120)])
    postal_code = StringField("Postnummer", validators=[Length(max=10)])
    city = StringField("Ort", validators=[Length(max=80)])
    door_code = StringField("Portkod (om det finns)", validators=[Length(max=20)])
    # Its length is the phone rule's to tell (`contact_checks`), with the digits.
    phone = StringField("Mobilnummer för avisering")
    update_contact = BooleanField(
        "Spara adress och telefonnummer som mina nya kontaktuppgifter"
    )
    # The stored address the form was filled in with, carried by both steps:
    # its door code is the stored address's, and should not go to another.
    filled_street = HiddenField()
    filled_postal_code = HiddenField()
    filled_door_code = HiddenField()
    # One key per filled-in form, kept by the summary and send steps: a double
    # click or a resent form returns the first order instead of a second one.
    idempotency_key = HiddenField()

    def needs_address(self) -> bool:
        return self.delivery_mode.data in ADDRESS_MODES

    def validate_street(self, field):
        if not self.needs_address():
            return  # not sent anywhere, nor saved
        if not (field.data or "").strip():
            raise ValidationError("Skriv gatuadressen.")
        if is_box_address(field.data):
            raise ValidationError(BOX_ADDRESS_REFUSAL)
        _refuse(street_refusal(field.data))

    def validate_postal_code(self, field):
        value = (field.data or "").strip()
        if self.needs_address() and not _POSTAL_CODE.match(value):
            raise ValidationError("Postnumret ska ha fem siffror.")

    def validate_city(self, field):
        if not self.needs_address():
            return
        if not (field.data or "").strip():
            raise ValidationError("Skriv orten.")
        _refuse(city_refusal(field.data))

    def validate_door_code(self, field):
        if self.delivery_mode.data == "home":  # a pickup point's has none
            _refuse(door_code_refusal(field.data))

    def validate_phone(self, field):
        value = (field.data or "").strip()
        # The order service's rule, said here with the form's other faults.
        if pickup_refusal(self.delivery_mode.data, value) is not None:
            raise ValidationError(PICKUP_PHONE)
        _refuse(phone_refusal(value))
        # The text message that says the parcel can be collected reaches a
        # Swedish mobile only: a landline would wait for it in vain.
        if self.delivery_mode.data == "pickup" and not is_mobile(value):
            raise ValidationError(PICKUP_NOT_MOBILE)

    def door_code_of_another_place(self) -> bool:
        """The door code is the one the form was filled in with, and the
        street or postal code is another (the portal walkthrough: the old door
        code went to the courier with the new street, and was saved with it)."""

        return (
            bool((self.door_code.data or "").strip())
            and same_text(self.door_code.data, self.filled_door_code.data)
            and not (
                same_text(self.street.data, self.filled_street.data)
                and same_text(self.postal_code.data, self.filled_postal_code.data)
            )
        )

    def selected_lines(self) -> list[tuple[int, int]]:
        """(prescription_id, packs) of the ticked rows, in page order."""
        return [
            (int(row.prescription_id.data), row.packs.data)
            for row in self.lines
            if row.selected.data and (row.prescription_id.data or "").isdecimal()
        ]

    def contact(self) -> dict[str, str | None]:
        """The confirmed address and phone, stripped; none for non-address modes.
        A pickup point's has no door code at all (nobody comes to the door; the
        summary shows none): the field, kept for "Ändra", confirms nothing."""
        values = {
            name: (getattr(self, name).data or "").strip() or None
            for name in ("street", "postal_code", "city", "door_code", "phone")
        }
        if not self.needs_address():
            values.update(street=None, postal_code=None, city=None, door_code=None)
        elif self.delivery_mode.data == "pickup":
            del values["door_code"]
        if values["postal_code"]:
            values["postal_code"] = values["postal_code"].replace(" ", "")
        return values
