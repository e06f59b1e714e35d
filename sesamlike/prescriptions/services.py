"""Prescribing use cases: prescribe, renew, cancel (makulera), list and read.

Only prescribers write, and only for patients they can see. Each use case
checks everything before it writes, audits in the same transaction and commits
once, so a refusal leaves nothing behind. A prescription's status is computed
for the day it is shown (`status_on`); the stored column only records events
(cancelled, or used up by withdrawals), never "expired".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from functools import cached_property

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from sesamlike.accounts import audit
from sesamlike.accounts.models import Clinic, Role, User
from sesamlike.catalog import assortment
from sesamlike.catalog import services as catalog
from sesamlike.catalog.errors import UnknownArticle
from sesamlike.catalog.models import Article
from sesamlike.common.errors import NotVisible
from sesamlike.common.i18n import N_
from sesamlike.common.time import region_today, utcnow
from sesamlike.extensions import db
from sesamlike.patients import access, care_end
from sesamlike.patients.models import Patient
from sesamlike.prescriptions import checks, rules
from sesamlike.prescriptions.errors import (
    PrescriberOnly,
    PrescriptionAlreadyCancelled,
    PrescriptionInvalid,
)
from sesamlike.prescriptions.models import Prescription, PrescriptionStatus

PRESCRIBING_ROLES = frozenset({Role.PRESCRIBER})
# Active first, then the ones a prescriber may want to renew, then the rest.
STATUS_ORDER = {
    PrescriptionStatus.ACTIVE: 0,
    PrescriptionStatus.USED_UP: 1,
    PrescriptionStatus.EXPIRED: 2,
    PrescriptionStatus.CANCELLED: 3,
}


@dataclass
class PatientPrescriptions:
    patient: Patient
    prescriptions: list[Prescription]
    today: date
    show_all: bool = True
    hidden: int = 0  # expired and cancelled ones left out when not show_all
    # {prescription id: {order id: cancellable}} of its orders not delivered
    # yet: cancelling the prescription does not stop them; the page says so.
    open_orders: dict[int, dict[int, bool]] = field(default_factory=dict)
    # {id: prescription} of every one of the patient's, shown or not: a
    # take-over's old and new prescription name each other on the page.
    by_id: dict[int, Prescription] = field(default_factory=dict)

    @cached_property
    def taken_over_from(self) -> dict[int, Prescription]:
        """{new prescription's id: the old one it took over} (`take_over`)."""
        return {
            rx.taken_over_by_id: rx for rx in self.by_id.values() if rx.taken_over_by_id
        }

    @property
    def shown_ids(self) -> set[int]:
        return {rx.id for rx in self.prescriptions}

    @property
    def renewed_ids(self) -> set[int]:
        """Prescriptions that already have a renewal that is not cancelled."""
        return {
            rx.renewed_from_id
            for rx in self.prescriptions
            if rx.renewed_from_id and rx.status != PrescriptionStatus.CANCELLED
        }


@dataclass
class PrescriptionFormContext:
    """What the new-prescription form offers this prescriber for this patient."""

    patient: Patient
    articles: list[Article]
    clinics: list[Clinic]
    today: date = field(default_factory=region_today)
    first_choice_ids: set[int] = field(default_factory=set)


def can_prescribe(user: User) -> bool:
    return user.role in PRESCRIBING_ROLES


def prescribe(
    user: User,
    patient_id: int,
    article_no: str | None,
    packs_per_withdrawal: object,
    withdrawals: object,
    period_days: object,
    valid_from: date | None,
    valid_to: date | None = None,
    lock_days: object = None,
    reason_code: str | None = None,
    reason_text: str | None = None,
    cost_centre: str | None = None,
    clinic_code: str | None = None,
    quantity_confirmed: bool = True,
    duplicate_confirmed: bool = True,
    any_start: bool = True,
    start_confirmed: bool = True,
) -> Prescription:
    """Write a new prescription after every rule has passed. The pages ask the
    prescriber to confirm a quantity above the expected use
    (`quantity_confirmed=False` until they have), and a second prescription of
    an article in force (`duplicate_confirmed=False` until they have; the API
    keeps creating one as it always did). The pages judge the start
    (`any_start=False`; the API may record history, or a start years ahead):
    not ended already, at most two years ahead, and more than 90 days ahead
    confirmed (`start_confirmed=False` until it is)."""
    require_prescriber(user)
    patient = visible_patient(user, patient_id, for_update=True)
    with access.refusal_logs_read(user, patient.id, "refused prescription"):
        care_end.refuse_if_ended(user, patient)
        today = region_today()
        given = dict(
            packs_per_withdrawal=packs_per_withdrawal,
            withdrawals=withdrawals,
            period_days=period_days,
            valid_from=valid_from,
            valid_to=valid_to,
            lock_days=lock_days,
        )
        try:
            article = find_article(article_no)
        except (PrescriptionInvalid, UnknownArticle) as error:
            # The quantities are wrong whatever the article: said now, not only
            # once the article is mended.
            error.fields.update(rules.errors_whatever_the_article(given))
            raise
        in_contract = catalog.is_prescribable(article, today)
        if in_contract:  # else the contract's refusal, with every field's, says it
            checks.check_first_time_right(user, patient, article)
        _contract, (terms, reason, clinic, centre), _none, _ended = rules.collect(
            lambda: rules.check_contract(article, today, in_contract),
            lambda: checks.checked(
                user,
                patient,
                article,
                given,
                (reason_code, reason_text),
                clinic_code,
                cost_centre,
                checks.patient_pumps(patient.id),
                today,
                quantity_confirmed,
            ),
            lambda: (
                duplicate_confirmed
                or checks.check_no_duplicate(
                    article,
                    checks.in_force_until(patient.id, [article.id], valid_from, today),
                )
            ),
            lambda: (
                any_start
                or rules.check_start(valid_from, valid_to, today, start_confirmed)
            ),
        )
        prescription = new_prescription(
            user, patient, article, clinic, centre or clinic.cost_centre, terms, reason
        )
        audit_prescription(
            user, prescription, "create", f"article {article.article_no}"
        )
        db.session.commit()
        return prescription


def cancel(
    user: User, prescription_id: int, patient_id: int | None = None
) -> Prescription:
    """Cancel (makulera) a prescription; no further withdrawals can be made on it.

    `patient_id`, when given, must be the prescription's patient (page URLs).
    """
    require_prescriber(user)
    prescription = load_prescription(user, prescription_id, patient_id, for_update=True)
    with access.refusal_logs_read(
        user, prescription.patient_id, "refused cancellation"
    ):
        if prescription.status == PrescriptionStatus.CANCELLED:
            raise PrescriptionAlreadyCancelled()
        _cancel(user, prescription, None)
        db.session.commit()
        return prescription


def _cancel(user: User, prescription: Prescription, detail: str | None) -> None:
    prescription.status = PrescriptionStatus.CANCELLED
    prescription.cancelled_at = utcnow()
    prescription.cancelled_by_id = user.id
    audit_prescription(user, prescription, "cancel", detail)


def in_force_query(patient_id: int, today: date) -> sa.Select:
    """The patient's prescriptions in force today or later: active, not
    ended, withdrawals left (those the reminders and renewals look at)."""
    return sa.select(Prescription).where(
        Prescription.patient_id == patient_id,
        Prescription.status == PrescriptionStatus.ACTIVE,
        Prescription.valid_to >= today,
        Prescription.withdrawals_used < Prescription.withdrawals,
    )


def end_in_force(user: User, patient_id: int, today: date, why: str) -> int:
    """The patient's care in the region ended (`patients.care_end`): every
    prescription in force is cancelled (makulerad) by `user`, audited with
    `why`, in the caller's transaction; no reminder, renewal notice or
    withdrawal follows. How many."""
    ended = db.session.scalars(
        in_force_query(patient_id, today)
        .order_by(Prescription.id)
        .with_for_update(of=Prescription)
    ).all()
    for prescription in ended:
        _cancel(user, prescription, why)
    return len(ended)


# How the prescriptions page finds the orders not delivered yet on each
# prescription: given by the orders area (above this one) when the app starts.
_find_open_orders: Callable[[list[int]], dict[int, dict[int, bool]]] | None = None


def register_open_orders(
    find: Callable[[list[int]], dict[int, dict[int, bool]]],
) -> None:
    """`find(prescription ids)` -> {prescription id: {undelivered order id:
    whether it can still be cancelled}}."""
    global _find_open_orders
    _find_open_orders = find


def patient_prescriptions(
    user: User, patient_id: int, show_all: bool = True, with_open_orders: bool = False
) -> PatientPrescriptions:
    """A visible patient and their prescriptions, live ones first.

    Without `show_all`, only current ones (not cancelled, validity not ended);
    `with_open_orders`: the orders not delivered yet on each (the page's).
    """
    patient = access.get_patient(user, patient_id, detail="prescriptions")
    today = region_today()
    rows = db.session.scalars(
        sa.select(Prescription)
        .where(Prescription.patient_id == patient.id)
        .options(
            selectinload(Prescription.article).selectinload(Article.systems),
            selectinload(Prescription.clinic),
            selectinload(Prescription.prescriber),
        )
        .order_by(Prescription.valid_from.desc(), Prescription.id.desc())
    ).all()
    ordered = sorted(rows, key=lambda rx: STATUS_ORDER[rx.status_on(today)])
    shown = ordered if show_all else [rx for rx in ordered if rx.is_current_on(today)]
    cancellable = [rx.id for rx in shown if rx.status != PrescriptionStatus.CANCELLED]
    open_orders = (
        _find_open_orders(cancellable)
        if with_open_orders and cancellable and _find_open_orders
        else {}
    )
    return PatientPrescriptions(
        patient, shown, today, show_all, len(ordered) - len(shown), open_orders,
        {rx.id: rx for rx in rows},
    )  # fmt: skip


def list_for_patient(user: User, patient_id: int) -> list[Prescription]:
    """A visible patient's prescriptions with article and systems loaded."""
    return patient_prescriptions(user, patient_id).prescriptions


def get_prescription(user: User, prescription_id: int) -> Prescription:
    """One prescription of a patient whose record this user may read."""
    access.require_record_reader(user)
    prescription = load_prescription(user, prescription_id)
    audit_prescription(user, prescription, "read", None)
    return prescription


def new_prescription_context(user: User, patient_id: int) -> PrescriptionFormContext:
    """The patient, the articles that may be prescribed today and the clinics."""
    require_prescriber(user)
    patient = access.get_patient(user, patient_id, detail="new prescription")
    care_end.refuse_if_ended(user, patient, commit_read=True)
    today = region_today()
    clinics = [c for c in checks.sorted_clinics(user) if c.id in patient.clinic_ids]
    articles = catalog.prescribable_articles(today)
    return PrescriptionFormContext(
        patient, articles, clinics, today, assortment.first_choice_ids(articles)
    )


# Checks -------------------------------------------------------------------


def require_prescriber(user: User) -> None:
    if not can_prescribe(user):
        raise PrescriberOnly()


def visible_patient(user: User, patient_id: int, for_update: bool = False) -> Patient:
    """`for_update`: the patient's row locked as an order locks it, and read
    afresh, for a use case that writes prescriptions: one begun while the end
    of the patient's care is registered waits for it and is refused."""
    query = (
        sa.select(Patient)
        .where(Patient.id == patient_id, access.visible_patient_filter(user))
        .options(selectinload(Patient.care_relationships))
    )
    if for_update:
        query = query.with_for_update(of=Patient, key_share=True).execution_options(
            populate_existing=True
        )
    patient = db.session.scalar(query)
    if patient is None:
        raise NotVisible()
    return patient


def load_prescription(
    user: User,
    prescription_id: int,
    patient_id: int | None = None,
    for_update: bool = False,
) -> Prescription:
    query = (
        sa.select(Prescription)
        .join(Patient, Patient.id == Prescription.patient_id)
        .where(Prescription.id == prescription_id, access.visible_patient_filter(user))
        .options(
            selectinload(Prescription.article).selectinload(Article.systems),
            selectinload(Prescription.patient).selectinload(Patient.care_relationships),
            selectinload(Prescription.clinic),
        )
    )
    if patient_id is not None:
        query = query.where(Prescription.patient_id == patient_id)
    if for_update:
        # The patient's row with it, first, as an order locks them
        # (`orders.withdrawals`), and read afresh: a renewal or take-over
        # begun while the end of the patient's care is registered waits for
        # it and is refused, not left in force beside the prescriptions it
        # ended.
        query = query.with_for_update(
            of=(Patient, Prescription), key_share=True
        ).execution_options(populate_existing=True)
    prescription = db.session.scalar(query)
    if prescription is None:
        raise NotVisible()
    return prescription


def find_article(article_no: str | None) -> Article:
    article_no = (article_no or "").strip()
    if not article_no:
        raise PrescriptionInvalid(fields={"article_no": [rules.REQUIRED]})
    article = catalog.article_by_no(article_no)
    if article is None:
        raise UnknownArticle(
            article_no=article_no,
            fields={
                "article_no": [N_("Artikeln finns inte. Kontrollera artikelnumret.")]
            },
        )
    return article


def new_prescription(
    user, patient, article, clinic, centre, terms, reason
) -> Prescription:
    code, text = reason
    prescription = Prescription(
        patient=patient,
        article=article,
        prescriber_id=user.id,
        clinic=clinic,
        cost_centre=centre,
        withdrawals_used=0,
        **asdict(terms),
        status=PrescriptionStatus.ACTIVE,
        reason_code=code,
        reason_text=text,
    )
    db.session.add(prescription)
    db.session.flush()
    return prescription


def audit_prescription(
    user: User, prescription: Prescription, action: str, detail
) -> None:
    audit.record(
        action,
        "prescription",
        patient_id=prescription.patient_id,
        object_id=prescription.id,
        user=user,
        detail=detail,
    )
