"""What the prescribing rules need from the database, and every check at once.

The patient's pumps (in use: lent devices; or prescribed: prescriptions that are
not cancelled) and what the patient has started (pump, CGM) are looked up here
and handed to the pure rules in `rules` and `compatibility`.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from sesamlike.accounts.models import Clinic, User
from sesamlike.catalog import assortment
from sesamlike.catalog.models import Article, Category, System, article_systems
from sesamlike.common.formatting import ReadersDate
from sesamlike.extensions import db
from sesamlike.patients.models import Patient
from sesamlike.prescriptions import compatibility, quantities, rules
from sesamlike.prescriptions.compatibility import Pumps
from sesamlike.prescriptions.errors import DuplicateToConfirm
from sesamlike.prescriptions.models import Prescription, PrescriptionStatus
from sesamlike.stock.models import Device, DeviceStatus


def _categories_in_use(patient_id: int, *categories: str):
    """Article ids and categories the patient has prescribed (not cancelled) or lent."""
    prescribed = (
        sa.select(Article.id, Article.category)
        .join(Prescription, Prescription.article_id == Article.id)
        .where(
            Prescription.patient_id == patient_id,
            Prescription.status != PrescriptionStatus.CANCELLED,
        )
    )
    lent = (
        sa.select(Article.id, Article.category)
        .join(Device, Device.article_id == Article.id)
        .where(Device.patient_id == patient_id, Device.status == DeviceStatus.ON_LOAN)
    )
    if categories:
        prescribed = prescribed.where(Article.category.in_(categories))
        lent = lent.where(Article.category.in_(categories))
    return db.session.execute(sa.union(prescribed, lent)).all()


def started_kinds(patient_id: int) -> set[str]:
    """'pump' and/or 'cgm': what the patient has had a prescription or device of.

    Cancelled prescriptions do not count: a cancelled first pump is no first pump.
    """
    rows = _categories_in_use(patient_id, *rules.START_KINDS)
    return {rules.START_KINDS[category] for _id, category in rows}


def patient_pumps(patient_id: int) -> Pumps:
    """The systems of the pumps the patient has in use or prescribed."""
    ids = [article_id for article_id, _c in _categories_in_use(patient_id, "pump")]
    if not ids:
        return Pumps({}, False)
    systems = db.session.execute(
        sa.select(System.id, System.name)
        .join(article_systems, article_systems.c.system_id == System.id)
        .where(article_systems.c.article_id.in_(ids))
    ).all()
    return Pumps(dict(systems), True)


def with_pump(pumps: Pumps, article: Article) -> Pumps:
    """The patient's pumps and a pump being prescribed with them (a kit's)."""
    if article.category != Category.PUMP:
        return pumps
    systems = dict(pumps.systems)
    systems.update({system.id: system.name for system in article.systems})
    return Pumps(systems, True)


def check_first_time_right(
    user: User, patient: Patient, article: Article, started: set[str] | None = None
) -> None:
    """A first pump, or starting CGM, needs the first-time right (403 otherwise)."""
    kind = rules.START_KINDS.get(article.category)
    if kind is None:
        return
    if started is None:
        started = started_kinds(patient.id)
    rules.check_first_time_right(
        article.category, kind in started, user.first_time_prescriber
    )


def in_force_until(
    patient_id: int, article_ids: list[int], valid_from: object, today: date
) -> dict[int, date]:
    """Of these articles, those the patient has a prescription of in force on a
    new one's first day (or today), each with the last day one is in force:
    one query for a whole kit."""
    if not article_ids:
        return {}
    start = valid_from if isinstance(valid_from, date) else today
    rows = db.session.scalars(
        sa.select(Prescription).where(
            Prescription.patient_id == patient_id,
            Prescription.article_id.in_(article_ids),
            Prescription.status == PrescriptionStatus.ACTIVE,
            Prescription.valid_to >= max(start, today),
        )
    )
    found: dict[int, date] = {}
    for rx in rows:
        if rx.status_on(today) == PrescriptionStatus.ACTIVE:
            found[rx.article_id] = max(
                rx.valid_to, found.get(rx.article_id, rx.valid_to)
            )
    return found


def check_no_duplicate(article: Article, in_force: dict[int, date]) -> None:
    """Refuse (to be confirmed) a new prescription of an article the patient
    has a prescription of in force (`in_force_until`)."""
    valid_to = in_force.get(article.id)
    if valid_to is not None:
        raise DuplicateToConfirm(
            article=article.name,
            valid_to=ReadersDate.of(valid_to),
            fields={"article_no": [rules.DUPLICATE_IN_FORCE]},
        )


def sorted_clinics(user: User) -> list[Clinic]:
    return sorted(user.clinics, key=lambda clinic: clinic.code)


def reason_rank(article: Article, day: date) -> int | None:
    """The rank a deviation is judged by: 1 for first choice of one of its
    systems (catalog.assortment), else the article's own."""
    return 1 if assortment.is_first_choice(article, day) else article.first_choice_rank


def checked(
    user: User,
    patient: Patient,
    article: Article,
    terms: dict,
    reason: tuple[str | None, str | None],
    clinic_code: str | None,
    cost_centre: str | None,
    pumps: Pumps,
    day: date,
    quantity_confirmed: bool = True,
):
    """Every field check at once: terms, device, fit, reason, clinic, cost centre,
    and (unless confirmed) a quantity above the expected use.

    Returns (terms, (reason_code, reason_text), clinic, cost centre or '').
    """
    code, text = reason
    system_ids = {system.id for system in article.systems}
    fits = compatibility.fits_pumps(article.category, system_ids, pumps)
    rank = reason_rank(article, day)
    terms_, _device, _fit, reason_, clinic, centre, _quantity = rules.collect(
        lambda: rules.resolve_terms(article.category, **terms),
        lambda: compatibility.check_device_terms(
            article.category,
            article.name,
            terms.get("packs_per_withdrawal"),
            terms.get("withdrawals"),
        ),
        lambda: compatibility.check_compatible(
            article.category, article.name, system_ids, pumps, code
        ),
        lambda: rules.check_reason(
            article.article_no,
            article.procured,
            rank,
            code,
            text,
            keep=not fits,
            article_name=article.name,
        ),
        lambda: rules.choose_clinic(
            sorted_clinics(user), patient.clinic_ids, clinic_code
        ),
        lambda: rules.clean_cost_centre(cost_centre, ""),
        lambda: quantities.check_quantity(article, terms, quantity_confirmed),
    )
    return terms_, reason_, clinic, centre
