"""Forms of the order pages: one row per orderable prescription, delivery mode."""

from __future__ import annotations

from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, ValidationError

from sesamlike.common.fields import WholeNumberField
from sesamlike.common.forms import PageForm
from sesamlike.common.i18n import N_

MODE_LABELS = {
    "home": N_("Hem med post"),
    "clinic": N_("Till mottagningen"),
    "pickup": N_("Till ombud (utlämningsställe)"),
    "pharmacy": N_("Hämtas på apotek"),
}


class OrderLineForm(Form):
    """A prescription row: order it or not, and how many packs (no CSRF of its own)."""

    prescription_id = HiddenField()
    selected = BooleanField("Beställ")
    packs = WholeNumberField("Antal förpackningar")

    def validate_packs(self, field):
        # One message per fault; a ticked row must say how many (a row left empty
        # went on to the entitlement check with no number and failed there).
        if field.process_errors:
            return
        if field.data is None:
            if self.selected.data:
                raise ValidationError("Ange antal förpackningar.")
        elif field.data < 1:
            raise ValidationError("Ange minst 1.")


class NewOrderForm(PageForm):
    lines = FieldList(FormField(OrderLineForm))
    delivery_mode = RadioField(
        "Leveranssätt",
        choices=[SelectChoice(mode, label) for mode, label in MODE_LABELS.items()],
        validators=[InputRequired(message="Välj leveranssätt.")],
    )
    # One key per rendered form: a second submit returns the order of the first.
    idempotency_key = HiddenField()

    def selected_lines(self) -> list[tuple[int, int]]:
        """(prescription_id, packs) of the ticked rows, in page order."""
        return [
            (int(row.prescription_id.data), row.packs.data)
            for row in self.lines
            if row.selected.data and (row.prescription_id.data or "").isdecimal()
        ]
