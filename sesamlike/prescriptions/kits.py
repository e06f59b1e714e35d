"""Kits: a pump or CGM system prescribed as a whole, in one use case.

The proposal (interfaces.md, `POST /prescriptions/kit`): the system's first-choice
device, one withdrawal of one pack valid one year, when the system has one; and
for each consumable category of the system its first-choice article with
packs per withdrawal = ceil(units_per_day x 90 / pack_size), 4 withdrawals of 90
days. The prescriber may change each line, leave lines out, or choose another
article of the system (a deviation from first choice then needs a reason). Every
line passes the same rules as a single prescription; all lines are saved with
one commit, or none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from sesamlike.accounts.models import Clinic, User
from sesamlike.catalog import assortment
from sesamlike.catalog import services as catalog
from sesamlike.catalog.models import Article, System
from sesamlike.common.errors import DomainError, Invalid
from sesamlike.common.i18n import N_
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.patients import access, care_end
from sesamlike.patients.models import Patient
from sesamlike.prescriptions import checks, quantities, rules, services
from sesamlike.prescriptions.errors import (
    KitLinesInvalid,
    KitWithoutLines,
    PrescriptionInvalid,
    UnknownSystem,
)
from sesamlike.prescriptions.models import Prescription

KIT_PERIOD_DAYS = 90
KIT_WITHDRAWALS = 4
# A lent device: one withdrawal of one pack, covering the prescription's year.
DEVICE_PERIOD_DAYS = 365


@dataclass
class KitLine:
    """One category of a kit: the proposed article and quantities, and the others."""

    category: str
    article: Article
    packs_per_withdrawal: int
    withdrawals: int
    period_days: int
    alternatives: list[Article]
    first_choice_ids: set[int]

    @property
    def is_device(self) -> bool:
        return self.article.is_device


@dataclass
class Kit:
    system: System
    lines: list[KitLine]


@dataclass
class KitContext:
    """What the kit page offers this prescriber for this patient."""

    patient: Patient
    systems: list[System]
    kit: Kit | None
    clinics: list[Clinic]
    pumps: str  # the patient's pump systems, for the page's hint
    today: date
    refusal: UnknownSystem | None = None  # the system asked for does not exist
    # Per category, the patient's prescriptions still current today: a kit
    # saved beside them would make two of the same kind.
    current: dict[str, list[Prescription]] | None = None


# A kit line's fields that can be at fault, in page order (a `KitChoice`'s,
# but the confirmations): the page and the API name them alike.
KIT_LINE_FIELDS = ("article_no", "packs_per_withdrawal", "withdrawals", "period_days",
                   "reason_code", "reason_text")  # fmt: skip


@dataclass
class KitChoice:
    """A line as the prescriber wants it: an article of the system and its terms."""

    article_no: str | None
    packs_per_withdrawal: object
    withdrawals: object
    period_days: object
    reason_code: str | None = None
    reason_text: str | None = None
    quantity_confirmed: bool = True  # the page: False until the prescriber ticks it
    # The page: False until the prescriber confirms a second prescription of an
    # article the patient has in force (the API creates one as before).
    duplicate_confirmed: bool = True


def proposal(article: Article) -> tuple[int, int, int]:
    """(packs per withdrawal, withdrawals, period days) a kit proposes."""
    if article.is_device:
        return 1, 1, DEVICE_PERIOD_DAYS
    return (
        quantities.packs_for_period(
            article.units_per_day, article.pack_size, KIT_PERIOD_DAYS
        ),
        KIT_WITHDRAWALS,
        KIT_PERIOD_DAYS,
    )


def kit_for(system_name: str | None, day: date | None = None) -> Kit:
    """The proposed kit of a system; UnknownSystem when it has nothing to prescribe."""
    day = day or region_today()
    system = assortment.system_by_name(system_name)
    grouped = assortment.system_articles(system, day) if system else {}
    categories = assortment.kit_categories(system, grouped) if system else []
    if not categories:
        known = ", ".join(s.name for s in assortment.systems_for_kits())
        raise UnknownSystem(
            system=(system_name or "").strip() or "–",
            known=known or "–",
            fields={"system": [N_("Välj ett system i sortimentet.")]},
        )
    prescribable = catalog.prescribable_articles(day)
    first_choice = assortment.first_choice_ids(prescribable)
    lines = []
    for category in categories:
        articles = grouped[category]
        packs, count, period = proposal(articles[0])
        lines.append(
            KitLine(category, articles[0], packs, count, period, articles, first_choice)
        )
    return Kit(system, lines)


def kit_context(user: User, patient_id: int, system: str | None) -> KitContext:
    """The systems to choose from, and the proposed kit of the chosen one."""
    services.require_prescriber(user)
    patient = access.get_patient(user, patient_id, detail="new kit")
    care_end.refuse_if_ended(user, patient, commit_read=True)
    today = region_today()
    clinics = [c for c in checks.sorted_clinics(user) if c.id in patient.clinic_ids]
    kit, refusal = None, None
    if (system or "").strip():
        try:
            kit = kit_for(system, today)
        except UnknownSystem as error:
            refusal = error
    return KitContext(
        patient,
        assortment.systems_for_kits(),
        kit,
        clinics,
        checks.patient_pumps(patient.id).names(),
        today,
        refusal,
        current_by_category(patient.id, today) if kit else {},
    )


def current_by_category(patient_id: int, today: date) -> dict[str, list[Prescription]]:
    """The patient's prescriptions current today, per article category."""
    found: dict[str, list[Prescription]] = {}
    for prescription in db.session.scalars(
        sa.select(Prescription)
        .where(Prescription.patient_id == patient_id)
        .options(selectinload(Prescription.article))
        .order_by(Prescription.valid_to, Prescription.id)
    ):
        if prescription.is_current_on(today):
            found.setdefault(prescription.article.category, []).append(prescription)
    return found


def proposed_choices(kit: Kit) -> list[KitChoice]:
    return [
        KitChoice(
            line.article.article_no,
            line.packs_per_withdrawal,
            line.withdrawals,
            line.period_days,
        )
        for line in kit.lines
    ]


def prescribe_kit(
    user: User,
    patient_id: int,
    system: str | None,
    valid_from: date | None,
    choices: list[KitChoice] | None = None,
    *,
    clinic_code: str | None = None,
    cost_centre: str | None = None,
    any_start: bool = True,
    start_confirmed: bool = True,
) -> list[Prescription]:
    """Prescribe a system as a whole: every line passes every rule, or nothing is saved.
    `any_start=False` (the page): judge the start as `services.prescribe` does.

    Field errors are named `lines.<n>.<field>` after the line's place in
    `choices` (the proposal when None).
    """
    services.require_prescriber(user)
    patient = services.visible_patient(user, patient_id, for_update=True)
    with access.refusal_logs_read(user, patient.id, "refused kit"):
        care_end.refuse_if_ended(user, patient)
        kit, articles, checked = _checked_kit(
            user,
            patient,
            system,
            valid_from,
            choices,
            (clinic_code, cost_centre),
            any_start,
            start_confirmed,
        )
        made = []
        for article, (terms, reason, clinic, centre) in zip(
            articles, checked, strict=True
        ):
            prescription = services.new_prescription(
                user,
                patient,
                article,
                clinic,
                centre or clinic.cost_centre,
                terms,
                reason,
            )
            services.audit_prescription(
                user,
                prescription,
                "create",
                f"kit {kit.system.name}: article {article.article_no}",
            )
            made.append(prescription)
        db.session.commit()
        return made


def check_kit(
    user: User,
    patient_id: int,
    system: str | None,
    valid_from: date | None,
    choices: list[KitChoice] | None = None,
    *,
    clinic_code: str | None = None,
    cost_centre: str | None = None,
) -> None:
    """Every check `prescribe_kit` makes (as the API's), nothing written: the
    refusal it would give, for faults said beside a schema's."""
    services.require_prescriber(user)
    patient = services.visible_patient(user, patient_id)
    _checked_kit(user, patient, system, valid_from, choices, (clinic_code, cost_centre))


def _checked_kit(
    user: User,
    patient: Patient,
    system: str | None,
    valid_from: date | None,
    choices: list[KitChoice] | None,
    where: tuple[str | None, str | None],
    any_start: bool = True,
    start_confirmed: bool = True,
):
    """(kit, its lines' articles, each line's checked terms) once every line
    passes every rule; else the refusal naming every fault."""
    today = region_today()
    kit = kit_for(system, today)
    choices = proposed_choices(kit) if choices is None else choices
    articles, unknown = _articles(kit, choices)
    started = checks.started_kinds(patient.id)
    pumps = checks.patient_pumps(patient.id)
    for index, article in enumerate(articles):
        if article is None:
            continue
        try:  # a right the prescriber lacks (403): no use telling the rest
            checks.check_first_time_right(user, patient, article, started)
        except DomainError as error:
            raise _for_line(error, index) from None
        pumps = checks.with_pump(pumps, article)
    clinic_code, cost_centre = where
    # Second prescriptions of articles in force, to be confirmed: one query.
    unconfirmed = [
        article.id
        for article, choice in zip(articles, choices, strict=True)
        if article is not None and not choice.duplicate_confirmed
    ]
    in_force = checks.in_force_until(patient.id, unconfirmed, valid_from, today)

    def dated() -> None:
        if not isinstance(valid_from, date):
            raise PrescriptionInvalid(fields={"valid_from": [rules.REQUIRED]})
        if valid_from > rules.CALENDAR_END_START:
            raise PrescriptionInvalid(fields={"valid_from": [rules.BEYOND_CALENDAR]})
        if not any_start:  # every line lasts a year from valid_from
            rules.check_start(valid_from, None, today, start_confirmed)

    def place() -> None:
        rules.collect(
            lambda: rules.choose_clinic(
                checks.sorted_clinics(user), patient.clinic_ids, clinic_code
            ),
            lambda: rules.clean_cost_centre(cost_centre, ""),
        )

    def chosen() -> None:
        if unknown:
            raise KitLinesInvalid(system=kit.system.name, fields=unknown)

    def line(index: int, article: Article | None, choice: KitChoice):
        def check():
            if article is None:
                return None  # told by `chosen`
            try:
                rules.check_contract(
                    article, today, catalog.is_prescribable(article, today)
                )
                checked, _none = rules.collect(
                    lambda: _checked(
                        user, patient, article, choice, valid_from, pumps, where
                    ),
                    lambda: (
                        choice.duplicate_confirmed
                        or checks.check_no_duplicate(article, in_force)
                    ),
                )
                return checked
            except Invalid as error:
                # The start day, clinic and cost centre are the whole
                # kit's: told once (`dated`, `place`), not on every line.
                fields = error.fields or {"article_no": []}
                kept = {n: m for n, m in fields.items() if n not in FORM_FIELDS}
                if not kept:
                    return None
                error.fields = kept
                raise _for_line(error, index) from None

        return check

    # Every fault at once: the nurse corrects the whole form in one go.
    _dated, _place, _chosen, *checked = rules.collect(
        dated,
        place,
        chosen,
        *(
            line(i, a, c)
            for i, (a, c) in enumerate(zip(articles, choices, strict=True))
        ),
    )
    return kit, articles, checked


def _articles(
    kit: Kit, choices: list[KitChoice]
) -> tuple[list[Article | None], dict[str, list[str]]]:
    """The chosen articles, each an article of the kit's system and each once
    (None where not), and the messages of the lines that are not."""
    if not choices:
        raise KitWithoutLines(fields={"lines": ["Välj minst en rad."]})
    offered = {
        article.article_no: article
        for line in kit.lines
        for article in line.alternatives
    }
    articles, seen, fields = [], set(), {}
    for index, choice in enumerate(choices):
        article_no = (choice.article_no or "").strip()
        article = offered.get(article_no)
        if article is None:
            fields[f"lines.{index}.article_no"] = [
                N_("Välj en artikel som ingår i systemet.")
            ]
        elif article_no in seen:
            fields[f"lines.{index}.article_no"] = [
                N_("Artikeln finns redan på en rad.")
            ]
            article = None
        seen.add(article_no)
        articles.append(article)
    return articles, fields


def _checked(user, patient, article, choice: KitChoice, valid_from, pumps, where):
    terms = dict(
        packs_per_withdrawal=choice.packs_per_withdrawal,
        withdrawals=choice.withdrawals,
        period_days=choice.period_days,
        valid_from=valid_from,
    )
    return checks.checked(
        user,
        patient,
        article,
        terms,
        (choice.reason_code, choice.reason_text),
        *where,
        pumps,
        region_today(),
        choice.quantity_confirmed,
    )


# A kit's fields of its own, not any line's.
FORM_FIELDS = frozenset({"valid_from", "clinic_code", "cost_centre"})


def _for_line(error: DomainError, index: int) -> DomainError:
    """Name the line a refusal is about: `lines.<n>.<field>`."""
    error.fields = {
        (name if name.startswith("lines.") else f"lines.{index}.{name}"): messages
        for name, messages in (error.fields or {"article_no": []}).items()
    }
    error.params.setdefault("line", index)
    return error
