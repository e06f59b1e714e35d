"""Forms of the depot pages: receipt (with GS1 scan), packing, delivery, returns."""

from __future__ import annotations

from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from sesamlike.common.fields import WholeNumberField
from sesamlike.common.forms import PageForm
from sesamlike.common.i18n import N_

REQUIRED = N_("Obligatoriskt.")

RETURN_REASON_LABELS = {
    "replaced": N_("Ersatt av ny enhet"),
    "faulty": N_("Fel på enheten"),
    "therapy_ended": N_("Behandlingen avslutad"),
}
COUNT_REASON_LABELS = {
    "": N_("Ingen differens"),
    "count": N_("Inventeringsdifferens"),
    "damaged": N_("Skadad"),
    "found": N_("Återfunnen"),
    "misplaced": N_("Felplacerad"),
    "other": N_("Annat"),
}


class ReceiptForm(PageForm):
    barcode = TextAreaField(
        "Streckkod (GS1 DataMatrix eller GS1-128)",
        validators=[Optional(), Length(max=400)],
    )
    depot_code = SelectField("Lager", validators=[InputRequired(REQUIRED)])
    article_no = StringField(
        "Artikelnummer", validators=[InputRequired(REQUIRED), Length(max=40)]
    )
    packs = WholeNumberField(
        "Antal förpackningar",
        validators=[
            InputRequired("Ange ett antal."),
            NumberRange(min=1, message="Ange minst 1."),
        ],
    )
    lot = StringField("Batch/parti", validators=[Optional(), Length(max=40)])
    expiry = DateField("Utgångsdatum", validators=[Optional()])
    bin = StringField("Lagerplats", validators=[Optional(), Length(max=20)])
    serials = TextAreaField(
        "Serienummer (ett per rad)", validators=[Optional(), Length(max=6000)]
    )


class PackForm(PageForm):
    tracking_ref = StringField(
        "Sändnings-id (kollinummer)", validators=[Optional(), Length(max=80)]
    )
    pick_override = StringField(
        "Skäl att packa utan plockning", validators=[Optional(), Length(max=200)]
    )


class ReleaseBlockForm(PageForm):
    # Its rules (10 to 200 characters) are `stock.blocks`', said beside it.
    reason = StringField("Skäl att häva spärren", validators=[Length(max=400)])


class DeliverForm(PageForm):
    delivered_on = DateField("Levererad", validators=[InputRequired(REQUIRED)])
    # One parcel of the order (none: every line shipped and not yet delivered).
    shipment_id = IntegerField(validators=[Optional()])


class DeviceReturnForm(PageForm):
    serial_no = StringField(
        "Serienummer", validators=[InputRequired(REQUIRED), Length(max=60)]
    )
    reason = SelectField(
        "Orsak",
        validators=[InputRequired(REQUIRED)],
    )
    returned_on = DateField("Returdatum", validators=[InputRequired(REQUIRED)])


class ConsumableReturnForm(PageForm):
    returned_on = DateField("Returdatum", validators=[InputRequired(REQUIRED)])
    # Packs are always given (the page fills in those left), as through the
    # API: an empty field must not read as "all"; without restock: back on stock.
    packs = WholeNumberField(
        "Antal förpackningar tillbaka",
        validators=[
            InputRequired(REQUIRED),
            NumberRange(min=1, max=2**31 - 1, message="Ange minst 1."),
        ],
    )
    restock = RadioField(
        "Förpackningarna",
        choices=[SelectChoice("1", "Tillbaka i lager"), SelectChoice("0", "Kasseras")],
        default="1",
        validators=[Optional()],
    )
    # Packs from the old system: the lot and expiry printed on them.
    lot = StringField("Parti", validators=[Optional(), Length(max=40)])
    expiry = DateField("Utgångsdatum", validators=[Optional()])


class ReturnSearchForm(PageForm):
    q = StringField(
        "Beställning, patientens namn eller serienummer",
        validators=[Optional(), Length(max=60)],
    )


class CountForm(PageForm):
    lot_id = SelectField(
        "Parti",
        coerce=int,
        validate_choice=False,  # a lot not offered: the service says why
        validators=[InputRequired(REQUIRED)],
    )
    counted = WholeNumberField(
        "Räknat antal förpackningar",
        validators=[
            InputRequired("Ange ett antal."),
            NumberRange(min=0, message="Ange ett antal från 0."),
        ],
    )
    reason_code = SelectField(
        "Orsak till differens",
        validators=[Optional()],
    )
    confirmed = BooleanField("Antalet är kontrollerat och stämmer")


def choices(labels: dict[str, str], translate) -> list[SelectChoice]:
    """Select options with labels in the user's language (set per request)."""
    return [SelectChoice(value, translate(label)) for value, label in labels.items()]


class LoanSearchForm(PageForm):
    q = StringField(
        "Serienummer eller patientens namn", validators=[Optional(), Length(max=60)]
    )


class UnregisteredSearchForm(PageForm):
    q = StringField(
        "Patientens namn eller beställningsnummer",
        validators=[Optional(), Length(max=60)],
    )


class UnregisteredReturnForm(PageForm):
    """A device a supplier delivered without reporting its serial: the delivery
    (a line found by the search `q`, kept to show the list again) and the
    serial read off the device."""

    q = HiddenField(validators=[Optional(), Length(max=60)])
    line_id = RadioField(
        "Leverans",
        coerce=int,
        validate_choice=False,  # the service finds the line, or says why not
        validators=[InputRequired(N_("Välj leveransen som enheten kom med."))],
    )
    serial_no = StringField(
        "Serienummer (som det står på enheten)",
        validators=[InputRequired(REQUIRED), Length(max=60)],
    )
    reason = SelectField("Orsak", validators=[InputRequired(REQUIRED)])
    returned_on = DateField("Returdatum", validators=[InputRequired(REQUIRED)])
