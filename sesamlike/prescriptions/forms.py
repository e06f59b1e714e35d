"""The new-prescription form. It checks only types; the service checks the rules."""

from __future__ import annotations

from collections.abc import Iterable

from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from sesamlike.accounts.models import Clinic
from sesamlike.catalog.labels import category_label
from sesamlike.catalog.models import Article
from sesamlike.common.i18n import _

NOT_AN_INTEGER = "Ange ett heltal."
NOT_A_DATE = "Ange ett datum som ÅÅÅÅ-MM-DD."


class WholeNumberField(IntegerField):
    """An integer field whose parse error is Swedish source text."""

    def process_formdata(self, valuelist):
        if valuelist and not str(valuelist[0]).strip():
            self.data = None  # empty: the service says what is required
            return
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(NOT_AN_INTEGER) from exc


class DayField(DateField):
    """A date field whose parse error is Swedish source text."""

    def process_formdata(self, valuelist):
        if valuelist and not str(valuelist[0]).strip():
            self.data = None  # empty: the service says what is required
            return
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(NOT_A_DATE) from exc


class PrescriptionForm(FlaskForm):
    article_no = SelectField("Artikel", choices=[], validate_choice=False)
    packs_per_withdrawal = WholeNumberField(
        "Förpackningar per uttag", default=1, render_kw={"inputmode": "numeric"}
    )
    withdrawals = WholeNumberField(
        "Antal uttag", default=4, render_kw={"inputmode": "numeric"}
    )
    period_days = WholeNumberField(
        "Dagar per uttag", default=90, render_kw={"inputmode": "numeric"}
    )
    valid_from = DayField("Giltig från")
    valid_to = DayField("Giltig till", validators=[Optional()])
    lock_days = WholeNumberField(
        "Spärrtid före nästa uttag (dagar)",
        validators=[Optional()],
        render_kw={"inputmode": "numeric"},
    )
    reason_code = SelectField("Orsakskod", choices=[], validate_choice=False)
    reason_text = TextAreaField(
        "Motivering", validators=[Length(max=500, message="Högst 500 tecken.")]
    )
    clinic_code = SelectField("Förskrivande vårdenhet", choices=[])
    cost_centre = StringField(
        "Betalande kostnadsställe",
        validators=[Optional(), Length(max=20, message="Högst 20 tecken.")],
    )

    def offer(self, articles: Iterable[Article], clinics: list[Clinic]) -> None:
        """Fill the choices: articles grouped by category, reasons, clinics."""
        groups: dict[str, list[tuple[str, str]]] = {}
        for article in articles:
            label = category_label(article.category)
            groups.setdefault(label, []).append(
                (article.article_no, article_option(article))
            )
        self.article_no.choices = {None: [("", _("– Välj artikel –"))], **groups}
        self.reason_code.choices = [("", _("– Ingen avvikelse –"))] + [
            (code, _(text)) for code, text in REASON_LABELS.items()
        ]
        self.clinic_code.choices = [
            (c.code, f"{c.name} ({_('kostnadsställe')} {c.cost_centre})")
            for c in clinics
        ]

    def service_arguments(self) -> dict:
        return {
            "article_no": self.article_no.data,
            "packs_per_withdrawal": self.packs_per_withdrawal.data,
            "withdrawals": self.withdrawals.data,
            "period_days": self.period_days.data,
            "valid_from": self.valid_from.data,
            "valid_to": self.valid_to.data,
            "lock_days": self.lock_days.data,
            "reason_code": self.reason_code.data or None,
            "reason_text": self.reason_text.data or None,
            "cost_centre": self.cost_centre.data or None,
            "clinic_code": self.clinic_code.data or None,
        }

    def show_errors(self, fields: dict[str, list[str]]) -> None:
        """Put the service's field messages next to their fields."""
        for name, messages in fields.items():
            field = getattr(self, name, None)
            target = field if field is not None else self.article_no
            target.errors = list(target.errors) + list(messages)


REASON_LABELS = {
    "medical": "Medicinska skäl (t.ex. hudproblem, allergi)",
    "not_working": "Upphandlad produkt fungerar inte för patienten i praktiken",
    "patient_wish": "Patientens önskemål",
    "other": "Annat",
}


def article_option(article: Article) -> str:
    """The option text: name, number, systems and the assortment marks."""
    marks = []
    if not article.procured:
        marks.append(_("ej upphandlad"))
    elif article.first_choice_rank == 1:
        marks.append(_("★ förstahandsval"))
    else:
        marks.append(_("upphandlad, ej förstahandsval"))
    systems = ", ".join(system.name for system in article.systems)
    parts = [f"{article.name} ({article.article_no})"]
    if systems:
        parts.append(systems)
    parts.append(" ".join(marks))
    return " · ".join(parts)
