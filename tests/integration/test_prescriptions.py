"""Prescribing use cases against the database: rights, reasons, contract, history."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from sesamlike.accounts.models import AuditEvent
from sesamlike.common.errors import Forbidden, Invalid, NotVisible
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.prescriptions import renewals
from sesamlike.prescriptions import services as rx
from sesamlike.prescriptions.errors import (
    ArticleNotPrescribable,
    CancelledNotRenewable,
    FirstPrescriptionRightRequired,
    PrescriptionAlreadyCancelled,
    PrescriptionAlreadyRenewed,
    ReasonRequired,
)
from sesamlike.prescriptions.models import Prescription
from sesamlike.prescriptions.rules import default_valid_to
from tests.factories import (
    make_article,
    make_clinic,
    make_patient,
    make_prescription,
    make_pump_user,
    make_user,
)

TODAY = region_today()


@pytest.fixture
def world():
    clinic = make_clinic("DM1", cost_centre="KS1001")
    other = make_clinic("DM2", cost_centre="KS2002")
    nurse = make_user("prescriber", clinics=[clinic])
    doctor = make_user("prescriber", clinics=[clinic], first_time_prescriber=True)
    patient = make_patient(clinic)
    make_pump_user(patient)  # a pump user: pump consumables fit
    return {
        "clinic": clinic,
        "other": other,
        "nurse": nurse,
        "doctor": doctor,
        "patient": patient,
        # Never had a pump or CGM: the first one needs the first-time right.
        "newcomer": make_patient(clinic),
    }


def prescribe(user, patient, article, **kw):
    args = dict(packs_per_withdrawal=1, withdrawals=4, period_days=90, valid_from=TODAY)
    args.update(kw)
    return rx.prescribe(user, patient.id, article.article_no, **args)


def counts() -> tuple[int, int]:
    """Prescriptions and audit rows of changes after whatever the caller left in
    the session (a refusal logs only the read of what it tells about the patient)."""
    db.session.commit()
    return (
        db.session.scalar(sa.select(sa.func.count()).select_from(Prescription)),
        db.session.scalar(
            sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action != "read")
        ),
    )


def audit_rows():
    return db.session.execute(
        sa.select(
            AuditEvent.user_id,
            AuditEvent.action,
            AuditEvent.object_type,
            AuditEvent.object_id,
            AuditEvent.patient_id,
        ).order_by(AuditEvent.id)
    ).all()


def test_consumable_prescription_gets_the_defaults(world):
    article = make_article(category="infusion_set", channel="pharmacy")
    made = prescribe(world["nurse"], world["patient"], article)
    assert made.valid_to == default_valid_to(TODAY)
    assert (made.valid_to - made.valid_from).days in (364, 365)
    assert made.lock_days == 60
    assert made.cost_centre == "KS1001" and made.clinic_id == world["clinic"].id
    assert made.prescriber_id == world["nurse"].id
    assert made.status_on(TODAY) == "active"
    assert made.remaining_withdrawals == 4
    assert made.next_withdrawal_on == TODAY
    assert made.article.channel == "pharmacy"
    assert made.reason_code is None and made.renewed_from_id is None


def test_prescribing_writes_one_audit_row(world):
    made = prescribe(world["nurse"], world["patient"], make_article())
    assert audit_rows() == [
        (world["nurse"].id, "create", "prescription", str(made.id), world["patient"].id)
    ]


@pytest.mark.parametrize("category", ["pump", "cgm_reader"])
def test_first_device_needs_the_first_time_right_and_writes_nothing(world, category):
    article = make_article(category=category, units_per_day=None, amortisation_years=4)
    with pytest.raises(FirstPrescriptionRightRequired) as excinfo:
        prescribe(world["nurse"], world["newcomer"], article, withdrawals=1)
    assert excinfo.value.status == 403
    assert "nyförskrivning" in excinfo.value.message
    assert "article_no" in excinfo.value.fields
    assert counts() == (0, 0)
    made = prescribe(world["doctor"], world["newcomer"], article, withdrawals=1)
    assert made.id


@pytest.mark.parametrize("status", ["active", "used_up"])
def test_later_device_of_the_same_category_needs_no_first_time_right(world, status):
    first = make_article(category="pump", units_per_day=None)
    second = make_article(category="pump", units_per_day=None)
    make_prescription(
        world["newcomer"], first, world["doctor"], status=status, withdrawals=1
    )
    assert prescribe(world["nurse"], world["newcomer"], second, withdrawals=1).id


def test_a_cancelled_pump_prescription_does_not_count_as_an_earlier_pump(world):
    first = make_article(category="pump", units_per_day=None)
    second = make_article(category="pump", units_per_day=None)
    make_prescription(
        world["newcomer"], first, world["doctor"], status="cancelled", withdrawals=1
    )
    with pytest.raises(FirstPrescriptionRightRequired):
        prescribe(world["nurse"], world["newcomer"], second, withdrawals=1)
    assert counts() == (1, 0)


def test_a_pump_in_use_counts_as_an_earlier_pump(world):
    # The world patient has a lent pump (e.g. delivered before this system).
    pump = make_article(category="pump", units_per_day=None)
    assert prescribe(world["nurse"], world["patient"], pump, withdrawals=1).id


def test_earlier_prescription_of_another_category_does_not_count(world):
    reader = make_article(category="cgm_reader", units_per_day=None)
    pump = make_article(category="pump", units_per_day=None)
    make_prescription(world["newcomer"], reader, world["doctor"], withdrawals=1)
    with pytest.raises(FirstPrescriptionRightRequired):
        prescribe(world["nurse"], world["newcomer"], pump, withdrawals=1)


def test_another_patients_device_does_not_count(world):
    pump = make_article(category="pump", units_per_day=None)
    make_prescription(make_patient(world["clinic"]), pump, world["doctor"])
    with pytest.raises(FirstPrescriptionRightRequired):
        prescribe(world["nurse"], world["newcomer"], pump, withdrawals=1)


@pytest.mark.parametrize("category", ["infusion_set", "pod", "battery"])
def test_pump_consumables_need_no_first_time_right(world, category):
    article = make_article(category=category)
    assert prescribe(world["nurse"], world["patient"], article).id


@pytest.mark.parametrize("category", ["cgm_sensor", "cgm_transmitter", "cgm_reader"])
def test_starting_cgm_needs_the_first_time_right_whatever_the_part(world, category):
    article = make_article(category=category, units_per_day=None)
    with pytest.raises(FirstPrescriptionRightRequired) as excinfo:
        prescribe(world["nurse"], world["newcomer"], article, withdrawals=1)
    assert "CGM" in excinfo.value.message
    assert counts() == (0, 0)


@pytest.mark.parametrize("earlier", ["cgm_reader", "cgm_sensor"])
def test_sensors_after_cgm_has_started_need_no_first_time_right(world, earlier):
    started = make_article(category=earlier, units_per_day=None)
    make_prescription(world["newcomer"], started, world["doctor"], withdrawals=1)
    sensor = make_article(category="cgm_sensor")
    assert prescribe(world["nurse"], world["newcomer"], sensor).id


def test_a_cancelled_cgm_start_does_not_count(world):
    sensor = make_article(category="cgm_sensor")
    make_prescription(world["newcomer"], sensor, world["doctor"], status="cancelled")
    with pytest.raises(FirstPrescriptionRightRequired):
        prescribe(world["nurse"], world["newcomer"], sensor)


def test_renewing_a_pump_needs_no_first_time_right(world):
    pump = make_article(category="pump", units_per_day=None)
    old = make_prescription(
        world["patient"], pump, world["doctor"], withdrawals=1, withdrawals_used=1
    )
    renewal = renewals.renew(world["nurse"], old.id)
    assert renewal.renewed_from_id == old.id
    assert renewal.prescriber_id == world["nurse"].id


@pytest.mark.parametrize(
    ("procured", "rank", "why"),
    [(False, None, "inte upphandlad"), (True, 2, "inte förstahandsval")],
)
def test_deviation_needs_reason_code_and_text(world, procured, rank, why):
    article = make_article(procured=procured, first_choice_rank=rank)
    with pytest.raises(ReasonRequired) as excinfo:
        prescribe(world["nurse"], world["patient"], article)
    error = excinfo.value
    assert why in error.message
    assert set(error.fields) == {"reason_code", "reason_text"}
    assert counts() == (0, 0)
    made = prescribe(
        world["nurse"],
        world["patient"],
        article,
        reason_code="medical",
        reason_text="Hudproblem av plåstret",
    )
    assert (made.reason_code, made.reason_text) == ("medical", "Hudproblem av plåstret")


def test_reason_is_not_stored_for_a_first_choice(world):
    made = prescribe(
        world["nurse"],
        world["patient"],
        make_article(),
        reason_code="patient_wish",
        reason_text="Vill ha den",
    )
    assert made.reason_code is None and made.reason_text is None


def test_reason_and_quantity_errors_are_reported_together(world):
    article = make_article(procured=False, first_choice_rank=None)
    with pytest.raises(ReasonRequired) as excinfo:
        prescribe(
            world["nurse"],
            world["patient"],
            article,
            withdrawals=0,
            valid_to=TODAY - timedelta(days=1),
        )
    assert set(excinfo.value.fields) == {
        "withdrawals",
        "valid_to",
        "reason_code",
        "reason_text",
    }


def test_phased_out_article_is_refused_with_its_end_date(world):
    article = make_article(valid_to=TODAY - timedelta(days=1))
    with pytest.raises(ArticleNotPrescribable) as excinfo:
        prescribe(world["nurse"], world["patient"], article)
    assert excinfo.value.params["valid_to"] == TODAY - timedelta(days=1)
    assert "utgången" in excinfo.value.message
    assert counts() == (0, 0)


def test_article_whose_contract_has_not_started_is_refused(world):
    article = make_article(valid_from=TODAY + timedelta(days=10))
    with pytest.raises(ArticleNotPrescribable) as excinfo:
        prescribe(world["nurse"], world["patient"], article)
    assert "först från" in excinfo.value.message


def test_article_on_its_last_contract_day_may_be_prescribed(world):
    assert prescribe(world["nurse"], world["patient"], make_article(valid_to=TODAY)).id


def test_unknown_article_is_invalid_on_the_article_field(world):
    with pytest.raises(Invalid) as excinfo:
        rx.prescribe(world["nurse"], world["patient"].id, "NOPE", 1, 4, 90, TODAY)
    assert list(excinfo.value.fields) == ["article_no"]


def test_cost_centre_and_clinic_may_be_chosen(world):
    second = make_clinic("DM3", cost_centre="KS3003")
    doctor = make_user("prescriber", clinics=[world["clinic"], second])
    patient = make_patient(second)
    make_pump_user(patient)
    made = prescribe(doctor, patient, make_article(), clinic_code="DM3")
    assert (made.clinic_id, made.cost_centre) == (second.id, "KS3003")
    made = prescribe(doctor, patient, make_article(), cost_centre="KS9999")
    assert (made.clinic_id, made.cost_centre) == (second.id, "KS9999")
    with pytest.raises(Invalid) as excinfo:
        prescribe(doctor, patient, make_article(), clinic_code="DM1")
    assert list(excinfo.value.fields) == ["clinic_code"]


def test_patient_of_another_clinic_is_not_visible(world):
    stranger = make_patient(world["other"])
    with pytest.raises(NotVisible):
        prescribe(world["doctor"], stranger, make_article())
    with pytest.raises(NotVisible):
        rx.list_for_patient(world["doctor"], stranger.id)
    assert counts() == (0, 0)


@pytest.mark.parametrize("role", ["manager", "depot", "region", "patient", "admin"])
def test_only_prescribers_prescribe_renew_and_cancel(world, role):
    user = make_user(
        role,
        clinics=[world["clinic"]] if role == "manager" else [],
        patients=[world["patient"]] if role == "patient" else [],
    )
    existing = make_prescription(world["patient"], make_article())
    with pytest.raises(Forbidden):
        prescribe(user, world["patient"], make_article())
    with pytest.raises(Forbidden):
        renewals.renew(user, existing.id)
    with pytest.raises(Forbidden):
        rx.cancel(user, existing.id)
    assert counts() == (1, 0)


def test_cancel_makes_it_cancelled_and_is_audited(world):
    existing = make_prescription(world["patient"], make_article())
    cancelled = rx.cancel(world["nurse"], existing.id)
    assert cancelled.status == "cancelled"
    assert cancelled.cancelled_by_id == world["nurse"].id
    assert cancelled.cancelled_at is not None
    assert cancelled.status_on(TODAY) == "cancelled"
    assert [row.action for row in audit_rows()] == ["cancel"]


def test_cancelling_twice_is_a_conflict_that_writes_nothing(world):
    existing = make_prescription(world["patient"], make_article())
    rx.cancel(world["nurse"], existing.id)
    with pytest.raises(PrescriptionAlreadyCancelled) as excinfo:
        rx.cancel(world["nurse"], existing.id)
    assert excinfo.value.status == 409
    assert counts() == (1, 1)


def test_cancel_of_another_clinics_prescription_is_not_visible(world):
    stranger = make_patient(world["other"])
    existing = make_prescription(stranger, make_article())
    with pytest.raises(NotVisible):
        rx.cancel(world["nurse"], existing.id)
    with pytest.raises(NotVisible):
        rx.cancel(world["nurse"], existing.id + 1000)
    with pytest.raises(NotVisible):
        rx.get_prescription(world["nurse"], existing.id)


def test_renewal_of_a_live_prescription_starts_after_it_and_keeps_terms(world):
    article = make_article(procured=False, first_choice_rank=None)
    old = make_prescription(
        world["patient"],
        article,
        world["doctor"],
        packs_per_withdrawal=3,
        withdrawals=2,
        period_days=45,
        lock_days=30,
        cost_centre="KS7777",
        reason_code="not_working",
        reason_text="Läcker",
        valid_from=TODAY - timedelta(days=10),
        valid_to=TODAY + timedelta(days=80),
        withdrawals_used=1,
        last_withdrawal_on=TODAY - timedelta(days=5),
    )
    renewal = renewals.renew(world["nurse"], old.id)
    assert renewal.id != old.id and renewal.renewed_from_id == old.id
    assert renewal.valid_from == old.valid_to + timedelta(days=1)
    assert (renewal.valid_to - renewal.valid_from) == (old.valid_to - old.valid_from)
    assert (
        renewal.packs_per_withdrawal,
        renewal.withdrawals,
        renewal.period_days,
        renewal.lock_days,
    ) == (3, 2, 45, 30)
    assert (renewal.reason_code, renewal.reason_text) == ("not_working", "Läcker")
    assert renewal.cost_centre == "KS7777"
    assert renewal.withdrawals_used == 0
    db.session.refresh(old)
    assert (old.status, old.withdrawals_used) == ("active", 1)
    assert [row.action for row in audit_rows()] == ["renew"]


def test_renewal_of_a_used_up_prescription_starts_today_with_the_lock_running(world):
    old = make_prescription(
        world["patient"],
        make_article(),
        withdrawals=4,
        withdrawals_used=4,
        lock_days=60,
        last_withdrawal_on=TODAY - timedelta(days=20),
    )
    renewal = renewals.renew(world["nurse"], old.id)
    assert renewal.valid_from == TODAY
    assert renewal.remaining_withdrawals == 4
    assert renewal.next_withdrawal_on == TODAY + timedelta(days=40)


def test_renewal_with_new_terms(world):
    old = make_prescription(world["patient"], make_article(), withdrawals_used=4)
    renewal = renewals.renew(world["nurse"], old.id, withdrawals=12, period_days=30)
    assert (renewal.withdrawals, renewal.period_days, renewal.lock_days) == (12, 30, 20)


def test_renewing_twice_is_refused_until_the_renewal_is_cancelled(world):
    old = make_prescription(world["patient"], make_article(), withdrawals_used=4)
    first = renewals.renew(world["nurse"], old.id)
    with pytest.raises(PrescriptionAlreadyRenewed):
        renewals.renew(world["nurse"], old.id)
    rx.cancel(world["nurse"], first.id)
    assert renewals.renew(world["nurse"], old.id).renewed_from_id == old.id


def test_cancelled_prescription_cannot_be_renewed(world):
    old = make_prescription(world["patient"], make_article(), status="cancelled")
    with pytest.raises(CancelledNotRenewable):
        renewals.renew(world["nurse"], old.id)
    assert counts() == (1, 0)


def test_renewal_of_a_phased_out_article_is_refused(world):
    article = make_article(valid_to=TODAY - timedelta(days=1))
    old = make_prescription(
        world["patient"], article, valid_from=TODAY - timedelta(days=300)
    )
    with pytest.raises(ArticleNotPrescribable):
        renewals.renew(world["nurse"], old.id)
    assert counts() == (1, 0)


def test_renewal_needs_a_reason_when_the_article_lost_its_first_choice(world):
    article = make_article(first_choice_rank=2)
    old = make_prescription(world["patient"], article)
    with pytest.raises(ReasonRequired):
        renewals.renew(world["nurse"], old.id)
    renewal = renewals.renew(
        world["nurse"], old.id, reason_code="other", reason_text="Bytt rangordning"
    )
    assert renewal.reason_code == "other"


def test_list_shows_computed_status_live_ones_first_and_is_audited(world):
    patient = world["patient"]
    expired = make_prescription(
        patient,
        make_article(),
        valid_from=TODAY - timedelta(days=400),
        valid_to=TODAY - timedelta(days=36),
    )
    active = make_prescription(patient, make_article())
    cancelled = make_prescription(patient, make_article(), status="cancelled")
    used_up = make_prescription(patient, make_article(), withdrawals_used=4)
    listed = rx.list_for_patient(world["nurse"], patient.id)
    assert [p.id for p in listed] == [active.id, used_up.id, expired.id, cancelled.id]
    assert [p.status_on(TODAY) for p in listed] == [
        "active",
        "used_up",
        "expired",
        "cancelled",
    ]
    assert expired.status == "active"  # shown computed, never rewritten by a read
    db.session.commit()
    assert [(r.action, r.object_type) for r in audit_rows()] == [("read", "patient")]


def test_list_loads_articles_without_a_query_per_prescription(world, app):
    patient = world["patient"]
    for _ in range(2):
        make_prescription(patient, make_article())
    few = _queries(
        lambda: [
            p.article.systems for p in rx.list_for_patient(world["nurse"], patient.id)
        ]
    )
    for _ in range(6):
        make_prescription(patient, make_article())
    many = _queries(
        lambda: [
            (p.article.systems, p.clinic.name)
            for p in rx.list_for_patient(world["nurse"], patient.id)
        ]
    )
    assert many == few


def _queries(action) -> int:
    db.session.expire_all()
    seen = []

    def count(*_args):
        seen.append(1)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        action()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def test_get_prescription_is_audited_for_any_role_that_sees_the_patient(world):
    existing = make_prescription(world["patient"], make_article())
    own = make_user("patient", patients=[world["patient"]])
    assert rx.get_prescription(own, existing.id).id == existing.id
    db.session.commit()
    assert audit_rows() == [
        (own.id, "read", "prescription", str(existing.id), world["patient"].id)
    ]
