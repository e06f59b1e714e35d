"""The report's filter form (GET: no CSRF token, nothing changes)."""

from __future__ import annotations

from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import DecimalField, SelectField
from wtforms.validators import NumberRange, Optional


class ReportFilterForm(FlaskForm):
    class Meta:
        csrf = False

    year = SelectField("År", coerce=int)
    clinic = SelectField("Mottagning")
    threshold = DecimalField(
        "Gräns för högkostnad (kr per år)",
        places=0,
        validators=[Optional(), NumberRange(min=Decimal(0), max=Decimal(10_000_000),
                                            message="Ange ett belopp från 0 kr.")],
    )  # fmt: skip
