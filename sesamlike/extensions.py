"""Flask extensions, created unbound and initialised in create_app."""

import sqlalchemy as sa
from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase

from sesamlike.common import collation


class Base(DeclarativeBase):
    metadata = sa.MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
# Jinja gets our brace-format _ and ngettext and filters (sesamlike.common.i18n).
babel = Babel(configure_jinja=False)


def _client_address() -> str:
    return request.remote_addr or "unknown"


# Storage and on/off come from RATELIMIT_STORAGE_URI and RATELIMIT_ENABLED.
limiter = Limiter(_client_address, default_limits=[], headers_enabled=False)


@sa.event.listens_for(sa.engine.Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):  # noqa: ARG001
    """Turn on WAL and foreign keys for every SQLite connection."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Writers queue for the lock; SQLite does not serve them in turn, so
        # under a burst one may wait for most of the others (30 s, not 10).
        cursor.execute("PRAGMA busy_timeout=30000")
        # Temporary tables and sorts in memory, not in a file of their own: a
        # follow-up run's tables (100,000 patients: 90,875 rows staged)
        # were written out and their pages freed again on DROP.
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.close()
        # Names in Swedish order, as PostgreSQL's collation of the same name.
        dbapi_connection.create_collation(collation.COLLATION, collation.compare)


def commit_keeping_loaded() -> None:
    """Commit without expiring what the session has loaded.

    For read pages whose only write is their audit row: the rows just read stay
    usable by the template instead of being loaded again one query at a time.
    """
    session = db.session()
    keep = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = keep
