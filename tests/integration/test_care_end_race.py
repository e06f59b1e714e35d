"""A cancellation of the patient's order at the moment the clinic registers
the end of care, or the admin sets protected identity.

Each in its own thread, app context and session, as two gunicorn workers.
The end of care and protection lock the patient's row and then the patient's
orders; a cancellation locked the order and then, giving the withdrawal back
(`withdrawals.lock_prescriptions`), the patient's row: each waited for the
other, and PostgreSQL ended one of them with a deadlock error.

PostgreSQL only: SQLite takes no row locks.
"""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from sesamlike.accounts.models import User
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.orders import services as ordering
from sesamlike.orders import withdrawals
from sesamlike.orders.models import Order
from sesamlike.patients import administration, care_end
from sesamlike.patients.models import Patient
from tests.conftest import is_postgres
from tests.factories import make_clinic, make_prescribed, make_user
from tests.threads import in_two_threads, pause_in_first

pytestmark = (
    pytest.mark.postgres
    if is_postgres()
    else pytest.mark.skip(reason="row locks: PostgreSQL only (SQLite takes none)")
)

# Longer than PostgreSQL's deadlock_timeout (1 s): the cycle, if any, is found.
PAUSE = 1.5


@pytest.fixture
def world():
    """A patient's order to the home, 2 packs reserved; the prescriber and an
    admin."""
    clinic = make_clinic(street="Norra vägen 2", postal_code="41102", city="Norrstad")
    prescribed = make_prescribed(clinic, packs_per_withdrawal=2, lock_days=0)
    order = ordering.place_order(
        prescribed.prescriber, prescribed.patient.id, [(prescribed.rx.id, 2)], "home"
    ).order
    admin = make_user("admin")
    ids = (prescribed.prescriber.id, admin.id, prescribed.patient.id, order.id)
    db.session.expunge_all()
    return ids


def _end_care(prescriber_id, patient_id):
    care_end.end_care(
        db.session.get(User, prescriber_id), patient_id, "deceased", region_today()
    )


def _protect(admin_id, patient_id):
    administration.set_protection(
        db.session.get(User, admin_id), patient_id, True, "Beslut om skydd"
    )


def _pause_before_giving_back(monkeypatch) -> threading.Event:
    """The FIRST thread pauses where it locks the prescriptions to give a
    withdrawal back; the event tells the other it has got there."""
    return pause_in_first(monkeypatch, withdrawals, "lock_prescriptions", PAUSE)


@pytest.mark.parametrize("other", ["end of care", "protection"])
def test_a_cancellation_meeting_the_end_of_care_or_protection_is_no_deadlock(
    world, monkeypatch, other
):
    prescriber_id, admin_id, patient_id, order_id = world
    # The canceller holds the order (and, mended, the patient) there.
    holding = _pause_before_giving_back(monkeypatch)

    def cancel():
        return ordering.cancel_order(db.session.get(User, prescriber_id), order_id)

    def meanwhile():
        holding.wait(10)
        if other == "end of care":
            return _end_care(prescriber_id, patient_id)
        return _protect(admin_id, patient_id)

    cancelled, done = in_two_threads(cancel, meanwhile)

    assert isinstance(cancelled, Order), cancelled
    assert done is None, done
    db.session.expire_all()
    assert db.session.get(Order, order_id).cancelled_at is not None
    patient = db.session.get(Patient, patient_id)
    if other == "end of care":
        assert patient.care_ended_reason == "deceased"
    else:
        assert patient.protected_identity


@pytest.fixture
def moved():
    """A patient who moved from NORR to SODR today, with NORR's prescription
    of 4 withdrawals begun 30 days ago; SODR's nurse."""
    from datetime import timedelta

    from tests.integration.test_followup_truth import move_clinic

    north = make_clinic("NORR", cost_centre="KS-100")
    south = make_clinic("SODR", cost_centre="KS-200")
    today = region_today()
    prescribed = make_prescribed(north, valid_from=today - timedelta(days=30))
    move_clinic(prescribed.patient, south, today)
    nurse = make_user("prescriber", clinics=[south])
    ids = (nurse.id, prescribed.patient.id, prescribed.rx.id)
    db.session.expunge_all()
    return ids


def test_a_take_over_meeting_the_end_of_care_leaves_no_prescription_in_force(
    moved, monkeypatch
):
    """The nurse takes NORR's prescription over while a colleague registers
    the patient's death. The take-over locked the old prescription alone; the
    end of care locked the patient, then waited for that prescription, while
    the take-over's new prescription waited for the patient's row (its
    foreign key): a deadlock, or, had the new one gone in first, a new
    prescription in force the end of care never saw. The take-over now locks
    the patient's row with the prescription: the end of care waits for it,
    and ends the new one."""
    from sesamlike.prescriptions import services as prescribing
    from sesamlike.prescriptions import take_over
    from sesamlike.prescriptions.models import Prescription

    nurse_id, patient_id, rx_id = moved
    # The take-over holds the old prescription (and, mended, the patient).
    holding = pause_in_first(monkeypatch, take_over, "live_renewal_exists", PAUSE)

    def take():
        return take_over.take_over(db.session.get(User, nurse_id), rx_id).id

    def end():
        holding.wait(10)
        return _end_care(nurse_id, patient_id)

    taken, ended = in_two_threads(take, end)

    assert isinstance(taken, int), taken
    assert ended is None, ended
    db.session.expire_all()
    in_force = db.session.scalars(
        prescribing.in_force_query(patient_id, region_today())
    ).all()
    assert in_force == []
    assert db.session.get(Prescription, taken).status == "cancelled"


def test_a_prescription_written_while_the_death_is_registered_is_ended_too(
    world, monkeypatch
):
    """The prescriber writes a prescription while a colleague registers the
    patient's death: the prescription had read the patient (in care) before
    the registration, went in after it, and stayed in force for a patient who
    had died. Writing it now locks the patient's row: the end of care waits
    for it, and ends it."""
    from sesamlike.catalog.models import Article
    from sesamlike.prescriptions import services as prescribing
    from sesamlike.prescriptions.models import Prescription

    prescriber_id, _admin_id, patient_id, _order_id = world
    article_no = db.session.scalars(sa.select(Article.article_no)).first()
    checked = pause_in_first(
        monkeypatch, care_end, "refuse_if_ended", PAUSE, after=True
    )

    def prescribe():
        return prescribing.prescribe(
            db.session.get(User, prescriber_id), patient_id, article_no,
            1, 4, 90, region_today(), reason_code="medical",
        ).id  # fmt: skip

    def end():
        checked.wait(10)
        return _end_care(prescriber_id, patient_id)

    written, ended = in_two_threads(prescribe, end)

    assert isinstance(written, int), written
    assert ended is None, ended
    db.session.expire_all()
    assert db.session.get(Prescription, written).status == "cancelled"


@pytest.fixture
def sent_to_supplier():
    """A patient's order of a supplier's article, in the supplier's file of
    the day (sent, not shipped); the prescriber caring for the patient."""
    from tests.channel_world import World
    from tests.integration.test_supplier_channel import export, line_of

    world = World()
    order = world.order(world.pump)
    export()
    ids = (world.prescriber.id, world.patient.id, line_of(order).id, order.id)
    db.session.expunge_all()
    return ids


def test_a_supplier_files_cancellation_meeting_the_end_of_care_is_no_deadlock(
    sent_to_supplier, monkeypatch
):
    """The aids centre imports the supplier's reply cancelling the line while
    the clinic registers the patient's death. The import updated the line and
    then, giving its withdrawal back, waited for the patient's row; the end
    of care held that row and waited for the patient's lines: a deadlock,
    which failed the whole file. The import now locks the patients whose
    lines it cancels before any line."""
    from sesamlike.channels.supplier_status import import_supplier_status_text
    from sesamlike.orders.models import OrderLine
    from sesamlike.prescriptions.models import Prescription
    from tests.integration.test_supplier_channel import LATER, status_csv

    prescriber_id, patient_id, line_id, order_id = sent_to_supplier
    # The import holds the line (and, mended, the patient) there.
    holding = _pause_before_giving_back(monkeypatch)

    def import_file():
        return import_supplier_status_text(
            status_csv(f"{line_id},cancelled,,"), today=LATER
        )

    def meanwhile():
        holding.wait(10)
        return _end_care(prescriber_id, patient_id)

    counts, done = in_two_threads(import_file, meanwhile)

    assert getattr(counts, "cancelled", None) == 1, counts
    assert done is None, done
    db.session.expire_all()
    line = db.session.get(OrderLine, line_id)
    assert line.status == "cancelled"
    # Given back once: by the supplier's cancellation, which came first.
    assert db.session.get(Prescription, line.prescription_id).withdrawals_used == 0
    assert db.session.get(Patient, patient_id).care_ended_reason == "deceased"
    assert db.session.get(Order, order_id) is not None
