"""Prescribers of one clinic taking the same patient back at the same moment.

Each start adds an episode; the partial unique index over open relationships
lets one of them in and the others get the answer a second start gets.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
import sqlalchemy as sa

from sesamlike.accounts.models import User
from sesamlike.common.errors import DomainError
from sesamlike.extensions import db
from sesamlike.patients import care
from sesamlike.patients.models import CareRelationship
from tests.conftest import is_postgres
from tests.factories import make_clinic, make_patient, make_user
from tests.integration.test_ordering_concurrency import race

pytestmark = pytest.mark.postgres


@pytest.mark.skipif(not is_postgres(), reason="SQLite has one writer at a time")
def test_racing_restarts_open_one_episode_and_keep_the_ended_one():
    sodr = make_clinic("SODR", name="Södermottagningen")
    patient = make_patient(make_clinic("NORR"))
    patient.care_relationships.append(
        CareRelationship(clinic_id=sodr.id, started_on=date(2024, 1, 15),
                         ended_on=date(2025, 6, 1))
    )  # fmt: skip
    users = [make_user("prescriber", clinics=[sodr]).id for _ in range(8)]
    number, sodr_id = patient.personal_id, sodr.id
    db.session.commit()
    db.session.expunge_all()

    def start(i: int) -> str:
        care.start(db.session.get(User, users[i]), number, "SODR")
        return "started"

    results = race(start, len(users))
    outcomes = Counter(r if isinstance(r, str) else r.code for r in results)
    assert outcomes == {"started": 1, "care_relationship_exists": 7}, results
    assert all(isinstance(r, str | DomainError) for r in results)
    ended = db.session.execute(
        sa.select(CareRelationship.started_on, CareRelationship.ended_on)
        .where(CareRelationship.clinic_id == sodr_id)
        .order_by(CareRelationship.id)
    ).all()  # fmt: skip
    assert [e.ended_on for e in ended] == [date(2025, 6, 1), None]
    assert ended[0].started_on == date(2024, 1, 15)
