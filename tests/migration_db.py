"""What the migration tests share: an app on a database of the test's own, on
which they upgrade and downgrade, and an index as the database keeps it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from alembic import command as commands
from flask import Flask

from bench.databases import create_database
from sesamlike import config, create_app
from sesamlike.extensions import db
from tests.conftest import DATABASE_URL, is_postgres

# Article 1 and patient 1, in columns every revision from 0030 on has: the
# rows a migration test's prescriptions refer to.
ARTICLE_AND_PATIENT = (
    "INSERT INTO articles (id, article_no, name, category, supplier, pack_size, "
    "pack_price_sek, vat_rate, procured, benefit, channel, serial_tracked, "
    "valid_from) VALUES (1, 'INF-1', 'Quick-set', 'infusion_set', 'S', 10, 100, "
    "0.25, true, true, 'central', false, '2025-01-01')",
    "INSERT INTO patients (id, personal_id, id_kind, first_name, last_name, "
    "diabetes_type, protected_identity, created_at, updated_at) VALUES (1, 'R1', "
    "'reserve', 'Nora', 'Nord', 'type1', false, CURRENT_TIMESTAMP, "
    "CURRENT_TIMESTAMP)",
)


def app_on_own_database(tmp_path: Path, prefix: str) -> Iterator[Flask]:
    """For a fixture to yield from: an app (its context pushed) on a database
    of its own, SQLite or one named `<prefix>_…` beside TEST_DATABASE_URL's,
    dropped afterwards. Nothing is migrated: the test upgrades to where it
    starts."""
    url, drop = create_database(DATABASE_URL if is_postgres() else None, tmp_path,
                                prefix)  # fmt: skip
    app = create_app(config.TestConfig(url))
    migrations = commands.upgrade, commands.downgrade
    commands.upgrade, commands.downgrade = map(_reads_ended_first, migrations)
    try:
        with app.app_context():
            yield app
            db.session.remove()
            db.engine.dispose()
    finally:
        commands.upgrade, commands.downgrade = migrations
        drop()


def _reads_ended_first(migrate):
    """`migrate` (Alembic's upgrade or downgrade, which Flask-Migrate's call)
    after the test's session has ended its transaction: the migration runs on
    a connection of its own, and on PostgreSQL an ALTER TABLE (0051's on
    patients) waits for the locks of a read the test left open, for ever."""

    def migrate_after_reads(*args, **kwargs):
        try:
            db.session.commit()
        except sa.exc.SQLAlchemyError:
            db.session.rollback()
        return migrate(*args, **kwargs)

    return migrate_after_reads


def index_names(table: str) -> set[str]:
    """The names of the table's indexes, as the database has them now."""
    return {index["name"] for index in sa.inspect(db.engine).get_indexes(table)}


def index_text(name: str) -> str:
    """The index as the database keeps it, in one line: its columns and its
    condition (a partial index's WHERE)."""
    if db.engine.dialect.name == "postgresql":
        found = "SELECT indexdef FROM pg_indexes WHERE indexname = :name"
    else:
        found = "SELECT sql FROM sqlite_master WHERE name = :name"
    return " ".join((db.session.scalar(sa.text(found), {"name": name}) or "").split())


def revision(filename: str):
    """A revision's module (migrations/versions/<filename>), to compare what it
    wrote out with what the models say."""
    import importlib.util

    path = Path(__file__).parents[1] / "migrations" / "versions" / filename
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sqlite_plans_by(index: str, table: str, run, *, sent: str) -> bool:
    """Whether SQLite can read `table` by the partial `index` for the statement
    `run()` sends (the one containing `sent`): told to (INDEXED BY), it plans
    it, or refuses when the statement does not say the index's condition as
    written (a bound value hides it)."""
    statements = []

    def keep(_conn, _cursor, statement, parameters, _context, _many):
        if sent in statement:
            statements.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", keep)
    try:
        run()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", keep)
    [(statement, parameters)] = statements
    forced = statement.replace(f"{table} ", f"{table} INDEXED BY {index} ", 1)
    assert forced != statement
    try:
        plan = db.session.connection().exec_driver_sql(
            f"EXPLAIN QUERY PLAN {forced}", parameters
        )
    except sa.exc.OperationalError as error:  # "no query solution"
        db.session.rollback()
        assert "no query solution" in str(error)
        return False
    return any(index in row[-1] for row in plan)


def made_before(revision: str, make):
    """Rows made with today's models (the factories), on a schema then taken
    down to `revision`, as a database that ran that revision holds them; what
    `make()` returns (ids, not objects: the session is closed). Made at an
    older revision, the models' INSERT names columns later revisions added
    (patients.care_ended_reason, 0051), which that schema lacks."""
    from flask_migrate import downgrade, upgrade

    upgrade()
    made = make()
    db.session.remove()
    downgrade(revision=revision)
    return made
