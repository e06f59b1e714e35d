"""An order's withdrawals in one UPDATE, and line by line when a row has moved."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.orders import withdrawals
from sesamlike.prescriptions import errors as prescription_errors
from sesamlike.prescriptions.models import Prescription
from tests.factories import make_article, make_prescribed, make_prescription

TODAY = region_today()


def used(rx_id: int) -> tuple[int, date | None]:
    return db.session.execute(
        sa.select(Prescription.withdrawals_used, Prescription.last_withdrawal_on)
        .where(Prescription.id == rx_id)
        .execution_options(populate_existing=True)
    ).one()


def test_every_line_as_checked_is_withdrawn_at_once():
    world = make_prescribed(withdrawals=4, withdrawals_used=1, lock_days=0)
    other = make_prescription(world.patient, make_article(), world.prescriber)
    db.session.commit()
    withdrawals.withdraw_all([(world.rx, 1), (other, 1)], TODAY)
    assert (world.rx.withdrawals_used, other.withdrawals_used) == (2, 1)
    db.session.commit()
    assert used(world.rx.id) == (2, TODAY)
    assert used(other.id) == (1, TODAY)


def test_a_line_whose_row_moved_is_judged_again_and_refused_at_its_index():
    world = make_prescribed(withdrawals=4, withdrawals_used=1, lock_days=0)
    other = make_prescription(
        world.patient, make_article(), world.prescriber, withdrawals=2, lock_days=0
    )
    db.session.commit()
    other_id = other.id
    # Another request used the second prescription up meanwhile.
    with db.engine.begin() as connection:
        connection.execute(
            sa.update(Prescription)
            .where(Prescription.id == other_id)
            .values(withdrawals_used=2)
        )
    with pytest.raises(prescription_errors.PrescriptionUsedUp) as refused:
        withdrawals.withdraw_all([(world.rx, 1), (other, 1)], TODAY)
    assert refused.value.params["line"] == 1
    db.session.rollback()
    assert used(world.rx.id) == (1, None)
    assert used(other_id) == (2, None)
