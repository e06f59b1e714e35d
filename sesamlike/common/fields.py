"""Form fields whose parse errors are Swedish source text, not WTForms' English."""

from __future__ import annotations

from wtforms import IntegerField
from wtforms.validators import StopValidation

from sesamlike.common.i18n import N_

NOT_AN_INTEGER = N_("Ange ett heltal.")


class WholeNumberField(IntegerField):
    """An integer field: empty is None (the form or service says if it is needed),
    anything else but a whole number is 'Ange ett heltal.'."""

    def process_formdata(self, valuelist):
        if valuelist and not str(valuelist[0]).strip():
            self.data = None
            return
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(NOT_AN_INTEGER) from exc

    def pre_validate(self, form) -> None:
        """Not a whole number: that alone is said (a range check of the
        missing number would add a second message to the same field)."""
        if self.process_errors:
            raise StopValidation()
