"""Database connections asked "are you there?" after an idle spell, not on every
checkout.

SQLAlchemy's `pool_pre_ping` sends a round trip before every request's first
statement. A portal worker under load takes a connection back from the pool
milliseconds after returning it, and that ping was about a twentieth of a
"my aids" request's CPU. Here a connection idle for at least
`DB_PING_AFTER_IDLE_SECONDS` (default 10) is pinged when it is checked out, as
before; one used more recently is not. A connection the database dropped
meanwhile (a restart) is then found by the statement that uses it: SQLAlchemy
sees the disconnect, throws away that connection and every older one in the
pool, and that one request fails and rolls back (nothing half-written); the
next gets a new connection. Set the setting to 0 to ping on every checkout.
"""

from __future__ import annotations

import time

import sqlalchemy as sa

IDLE_SINCE = "sesamlike_idle_since"


def ping_idle_connections(engine: sa.Engine, after_seconds: float) -> None:
    """Ping the engine's connections on checkout once idle `after_seconds`."""
    dialect = engine.dialect

    def checkin(_dbapi_connection, record) -> None:
        record.info[IDLE_SINCE] = time.monotonic()

    def checkout(dbapi_connection, record, _proxy) -> None:
        idle_since = record.info.pop(IDLE_SINCE, None)
        if idle_since is None:  # just connected: nothing to ask
            return
        if time.monotonic() - idle_since < after_seconds:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            # The pool throws this connection away and checks out another.
            raise sa.exc.DisconnectionError(str(error)) from error

    sa.event.listen(engine, "checkin", checkin)
    sa.event.listen(engine, "checkout", checkout)
