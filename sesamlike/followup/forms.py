"""The report's filter form (GET: no CSRF token, nothing changes)."""

from __future__ import annotations

from decimal import Decimal

from wtforms import DecimalField, SelectField
from wtforms.validators import NumberRange, Optional

from sesamlike.common.forms import PageForm

# The highest high-cost line: far above any patient's annual cost, so what is
# above it is a typing error. The field (its max), the report and the message
# beside the field all use this one.
MAX_THRESHOLD_SEK = Decimal(10_000_000)


class ReportFilterForm(PageForm):
    class Meta:
        csrf = False

    year = SelectField("År", coerce=int)
    clinic = SelectField("Mottagning")
    threshold = DecimalField(
        "Gräns för högkostnad (kr per år)",
        places=0,
        validators=[Optional(), NumberRange(min=Decimal(0), max=MAX_THRESHOLD_SEK)],
    )  # fmt: skip
