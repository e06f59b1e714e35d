"""The new-prescription form. It checks only types; the service checks the rules."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, Optional

from sesamlike.accounts.models import Clinic
from sesamlike.catalog.labels import category_label
from sesamlike.catalog.models import Article
from sesamlike.common.fields import WholeNumberField
from sesamlike.common.forms import PageForm
from sesamlike.common.i18n import N_, _
from sesamlike.prescriptions.kits import KIT_LINE_FIELDS
from sesamlike.prescriptions.quantities import QUANTITY_TO_CONFIRM, quantity_to_confirm
from sesamlike.prescriptions.rules import errors_whatever_the_article

QUANTITY_CONFIRMED = N_("Mängden är kontrollerad och stämmer")
DUPLICATE_CONFIRMED = N_("Båda förskrivningarna ska gälla")
START_CONFIRMED = N_("Startdatumet är kontrollerat och stämmer")
NOT_A_DATE = "Ange ett datum som ÅÅÅÅ-MM-DD."


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


class ConfirmsQuantity:
    """A form whose quantities the prescriber may have to confirm."""

    def asks_to_confirm_quantity(self) -> bool:
        """Ticked already, or a quantity to confirm said beside one of its fields
        (packs, withdrawals or time lock: `quantities.check_quantity`)."""
        if self.quantity_confirmed.data:
            return True
        return quantity_to_confirm(
            {
                name: getattr(self, name).errors
                for name in QUANTITY_TO_CONFIRM
                if hasattr(self, name)
            }
        )


class RenewalForm(PageForm):
    """The renew button, and what a renewal may ask the prescriber to confirm
    as a new prescription's page does: a quantity above the expected use. (Its
    start is no date typed: the day after the old one ends, or today; only a
    start more than two years ahead is refused.) `faults`: the refusal's field
    messages."""

    quantity_confirmed = BooleanField(QUANTITY_CONFIRMED)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.faults: dict[str, list[str]] = {}

    def asks_to_confirm_quantity(self) -> bool:
        return bool(self.quantity_confirmed.data) or quantity_to_confirm(self.faults)

    def only_to_confirm(self) -> bool:
        """Every fault is one to confirm: confirming them renews."""
        return all(
            message == QUANTITY_TO_CONFIRM.get(name)
            for name, messages in self.faults.items()
            for message in messages
        )

    def service_arguments(self) -> dict:
        return {
            "quantity_confirmed": bool(self.quantity_confirmed.data),
            "any_start": False,
        }


class PrescriptionForm(ConfirmsQuantity, PageForm):
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
    quantity_confirmed = BooleanField(QUANTITY_CONFIRMED)
    duplicate_confirmed = BooleanField(DUPLICATE_CONFIRMED)
    start_confirmed = BooleanField(START_CONFIRMED)

    def offer(
        self,
        articles: Iterable[Article],
        clinics: list[Clinic],
        first_choice_ids: set[int] = frozenset(),
    ) -> None:
        """Fill the choices: articles grouped by category, reasons, clinics.

        The select lists the lent devices' numbers in `data-devices`, so the
        page script can set one withdrawal of one pack when one is chosen.
        """
        groups: dict[str, list[tuple[str, str]]] = {}
        devices = []
        for article in articles:
            label = category_label(article.category)
            groups.setdefault(label, []).append(
                (
                    article.article_no,
                    article_option(article, article.id in first_choice_ids),
                )
            )
            if article.is_device:
                devices.append(article.article_no)
        self.article_no.choices = {None: [("", _("– Välj artikel –"))], **groups}
        self.article_no.render_kw = {"data-devices": " ".join(devices)}
        self.reason_code.choices = reason_choices()
        self.clinic_code.choices = clinic_choices(clinics)

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
            "quantity_confirmed": bool(self.quantity_confirmed.data),
            "duplicate_confirmed": bool(self.duplicate_confirmed.data),
            "start_confirmed": bool(self.start_confirmed.data),
        }

    def show_term_errors(self) -> None:
        """The quantities' and days' own faults beside the fields, with a form
        that failed its checks (a number that is no number: the rest were not
        said until that one was mended). A field with a fault of its own
        already keeps just that one."""
        given = self.service_arguments()
        terms = {name: given[name] for name in TERM_FIELDS}
        for name, messages in errors_whatever_the_article(terms).items():
            field = getattr(self, name)
            if not field.errors:
                field.errors = list(messages)

    def show_errors(self, fields: dict[str, list[str]]) -> None:
        """Put the service's field messages next to their fields."""
        for name, messages in fields.items():
            field = getattr(self, name, None)
            target = field if field is not None else self.article_no
            target.errors = list(target.errors) + list(messages)


# What `rules.resolve_terms` checks, by the names of the form's fields.
TERM_FIELDS = ("packs_per_withdrawal", "withdrawals", "period_days", "valid_from",
               "valid_to", "lock_days")  # fmt: skip

REASON_LABELS = {
    "medical": N_("Medicinska skäl (t.ex. hudproblem, allergi)"),
    "not_working": N_("Upphandlad produkt fungerar inte för patienten i praktiken"),
    "patient_wish": N_("Patientens önskemål"),
    "other": N_("Annat"),
}


def article_option(
    article: Article, first_choice: bool | None = None, systems: bool = True
) -> str:
    """The option text: name, number, systems and the assortment marks.

    `first_choice`: first choice in its category for one of its systems
    (catalog.assortment); unknown (None) falls back to rank 1.
    """
    if first_choice is None:
        first_choice = article.first_choice_rank == 1
    marks = []
    if not article.procured:
        marks.append(_("ej upphandlad"))
    elif first_choice:
        marks.append(_("★ förstahandsval"))
    else:
        marks.append(_("upphandlad, ej förstahandsval"))
    names = ", ".join(system.name for system in article.systems) if systems else ""
    parts = [f"{article.name} ({article.article_no})"]
    if names:
        parts.append(names)
    parts.append(" ".join(marks))
    return " · ".join(parts)


class KitLineForm(ConfirmsQuantity, Form):
    """One category of a kit: prescribe it or not, which article, how much."""

    category = HiddenField()
    include = BooleanField("Förskriv")
    article_no = SelectField("Artikel", choices=[], validate_choice=False)
    packs_per_withdrawal = WholeNumberField(
        "Förpackningar per uttag", render_kw={"inputmode": "numeric"}
    )
    withdrawals = WholeNumberField("Antal uttag", render_kw={"inputmode": "numeric"})
    period_days = WholeNumberField(
        "Dagar per uttag", render_kw={"inputmode": "numeric"}
    )
    reason_code = SelectField("Orsakskod", choices=[], validate_choice=False)
    reason_text = TextAreaField(
        "Motivering", validators=[Length(max=500, message="Högst 500 tecken.")]
    )
    quantity_confirmed = BooleanField(QUANTITY_CONFIRMED)
    duplicate_confirmed = BooleanField(DUPLICATE_CONFIRMED)


class KitForm(PageForm):
    """A pump or CGM system as a whole: one row per category of the system."""

    valid_from = DayField("Giltig från")
    clinic_code = SelectField("Förskrivande vårdenhet", choices=[])
    cost_centre = StringField(
        "Betalande kostnadsställe",
        validators=[Optional(), Length(max=20, message="Högst 20 tecken.")],
    )
    lines = FieldList(FormField(KitLineForm))
    start_confirmed = BooleanField(START_CONFIRMED)

    def offer(self, kit, clinics: list[Clinic]) -> None:
        """Rows for the kit's categories (proposal on a new form), reasons, clinics."""
        self.clinic_code.choices = clinic_choices(clinics)
        if not self.is_submitted():
            for line in kit.lines:
                self.lines.append_entry(
                    {
                        "category": line.category,
                        "include": True,
                        "article_no": line.article.article_no,
                        "packs_per_withdrawal": line.packs_per_withdrawal,
                        "withdrawals": line.withdrawals,
                        "period_days": line.period_days,
                    }
                )
        by_category = {line.category: line for line in kit.lines}
        for row in self.lines:
            line = by_category.get(row.category.data)
            alternatives = line.alternatives if line else []
            row.article_no.choices = [
                (
                    a.article_no,
                    article_option(a, a.id in line.first_choice_ids, systems=False),
                )
                for a in alternatives
            ]
            row.reason_code.choices = reason_choices()

    def chosen(self) -> list[tuple[int, dict]]:
        """(row index, the service's line arguments) of the rows to prescribe."""
        return [
            (
                index,
                {
                    "article_no": row.article_no.data,
                    "packs_per_withdrawal": row.packs_per_withdrawal.data,
                    "withdrawals": row.withdrawals.data,
                    "period_days": row.period_days.data,
                    "reason_code": row.reason_code.data or None,
                    "reason_text": row.reason_text.data or None,
                    "quantity_confirmed": bool(row.quantity_confirmed.data),
                    "duplicate_confirmed": bool(row.duplicate_confirmed.data),
                },
            )
            for index, row in enumerate(self.lines)
            if row.include.data
        ]

    def show_errors(self, fields: dict[str, list[str]], rows: list[int]) -> None:
        """The service's messages next to their fields; `rows[n]` is line n's row."""
        for name, messages in fields.items():
            parts = name.split(".")
            if parts[0] == "lines" and len(parts) == 3 and parts[1].isdecimal():
                position = int(parts[1])
                if position < len(rows):
                    row = self.lines[rows[position]]
                    target = getattr(row, parts[2], None) or row.article_no
                    target.errors = list(target.errors) + list(messages)
                    continue
            if name in ("valid_from", "clinic_code", "cost_centre"):
                field = getattr(self, name)
                field.errors = list(field.errors) + list(messages)
            else:  # "lines", "system": about the form as a whole
                self.form_errors.extend(messages)


class KitFault(NamedTuple):
    """A field of the kit form at fault, for the list that opens the page."""

    anchor: str  # the field's id
    category: str | None  # its line's category; None: a field of the whole kit
    label: str  # the field's label, a msgid
    messages: list[str]  # msgids


def kit_faults(form: KitForm) -> list[KitFault]:
    """Every field of the kit form at fault, in page order: the lines' fields,
    then the start day, clinic and cost centre."""
    found = []
    for row in form.lines:
        for name in KIT_LINE_FIELDS:
            field = getattr(row, name)
            if field.errors:
                category = row.category.data
                found.append(
                    KitFault(field.id, category, field.label.text, list(field.errors))
                )
    for field in (form.valid_from, form.clinic_code, form.cost_centre):
        if field.errors:
            found.append(KitFault(field.id, None, field.label.text, list(field.errors)))
    return found


def reason_choices() -> list[tuple[str, str]]:
    return [("", _("– Ingen avvikelse –"))] + [
        (code, _(text)) for code, text in REASON_LABELS.items()
    ]


def clinic_choices(clinics: list[Clinic]) -> list[tuple[str, str]]:
    return [
        (c.code, f"{c.name} ({_('kostnadsställe')} {c.cost_centre})") for c in clinics
    ]
