"""Accounts created at the same moment under one name in different case.

The name check and the insert are two statements; on PostgreSQL an advisory
lock held from the check to the commit makes the second creation wait and
then see the first (accounts.usernames.taken_by).
"""

from __future__ import annotations

from collections import Counter

import pytest
import sqlalchemy as sa

from sesamlike.accounts import services
from sesamlike.accounts.models import User
from sesamlike.common.errors import DomainError
from sesamlike.extensions import db
from tests.conftest import is_postgres
from tests.factories import PASSWORD
from tests.integration.test_ordering_concurrency import race

pytestmark = pytest.mark.postgres


@pytest.mark.skipif(
    not is_postgres(), reason="the advisory lock is PostgreSQL's; SQLite: one admin"
)
def test_racing_creations_of_one_name_in_several_cases_make_one_account():
    names = ["ssk.norr", "SSK.NORR", "Ssk.Norr", "ssk.NORR"] * 3

    def create(i: int) -> str:
        services.create_user(names[i], PASSWORD, "depot")
        return "created"

    results = race(create, len(names))
    outcomes = Counter(r if isinstance(r, str) else r.code for r in results)
    assert outcomes == {"created": 1, "username_taken": len(names) - 1}, results
    assert all(isinstance(r, str | DomainError) for r in results)
    lowered = sa.select(sa.func.count()).where(
        sa.func.lower(User.username) == "ssk.norr"
    )
    assert db.session.scalar(lowered) == 1
