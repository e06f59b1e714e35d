"""Revision 0038 adds kept_forms: a form sent after its login ran out, tied to
that web session and gone with it. From 0037 and from an empty database alike;
the downgrade drops the table."""

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from sesamlike.accounts.models import KeptForm, User, UserSession
from sesamlike.extensions import db
from tests.migration_db import app_on_own_database

PREVIOUS = "0037_device_amortisation"


@pytest.fixture
def scratch(tmp_path):
    yield from app_on_own_database(tmp_path, "sl_kept_forms")


def tables() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


def kept_form_of_a_session() -> int:
    user = User(username="nurse", role="prescriber")
    user.set_password("correct-horse-1")
    session = UserSession(user=user, key_hash="a" * 64)
    db.session.add(KeptForm(session=session, path="/patients/1/orders/new",
                            fields='[["delivery_mode", "clinic"]]'))  # fmt: skip
    db.session.commit()
    return session.id


def count_kept() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(KeptForm))


def test_kept_forms_come_with_0038_and_go_with_their_session(scratch):
    upgrade(revision=PREVIOUS)
    assert "kept_forms" not in tables()
    upgrade()
    session_id = kept_form_of_a_session()
    assert count_kept() == 1
    db.session.execute(sa.delete(UserSession).where(UserSession.id == session_id))
    db.session.commit()
    assert count_kept() == 0  # purged with the session (ON DELETE CASCADE)
    db.session.remove()
    downgrade(revision=PREVIOUS)
    assert "kept_forms" not in tables()
    assert "user_sessions" in tables()


def test_an_empty_database_gets_kept_forms(scratch):
    upgrade()
    assert "kept_forms" in tables()
    kept_form_of_a_session()
    assert count_kept() == 1
