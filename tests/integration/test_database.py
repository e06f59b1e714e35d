import pytest
import sqlalchemy as sa

from sesamlike.extensions import db
from tests.conftest import is_postgres


@pytest.mark.skipif(is_postgres(), reason="SQLite pragmas; PostgreSQL has neither")
def test_sqlite_runs_with_wal_and_foreign_keys():
    assert db.session.scalar(sa.text("PRAGMA journal_mode")) == "wal"
    assert db.session.scalar(sa.text("PRAGMA foreign_keys")) == 1


@pytest.mark.skipif(is_postgres(), reason="SQLite pragmas; PostgreSQL has neither")
def test_sqlite_keeps_temporary_tables_in_memory():
    """A follow-up run's temporary tables: in a file, a full rerun at 100,000
    patients wrote its 90,875 staged rows out and freed their pages on DROP."""
    assert db.session.scalar(sa.text("PRAGMA temp_store")) == 2  # MEMORY


@pytest.mark.skipif(not is_postgres(), reason="runs against PostgreSQL only")
def test_postgresql_is_reached_through_psycopg3():
    assert db.engine.dialect.driver == "psycopg"


def test_foreign_keys_are_enforced():
    from sesamlike.patients.models import CareRelationship

    db.session.add(
        CareRelationship(
            patient_id=424242, clinic_id=434343, started_on=sa.func.current_date()
        )
    )
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_migrations_match_the_models(app):
    """`flask db check`: no difference between the models and the migrations."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from sesamlike.common.dialect_objects import include_object

    with db.engine.connect() as conn:
        # As env.py: an index made on PostgreSQL only (and where pg_trgm is
        # installed) is compared there only.
        only_here = include_object(conn)
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": only_here}
        )
        diff = compare_metadata(context, db.metadata)
    assert diff == []
