"""Schema objects made on one database only (`Index(...).ddl_if(dialect=...)`:
PostgreSQL's trigram indexes, migration 0046), or only where an extension is
installed (`info={"extension": "pg_trgm"}`: 0046 makes them only where it
could use pg_trgm), compared with the models where they are made: `flask db
check` and the migrations' test ask `include_object` of the database they
compare."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa


def trigram_index(name: str, column: str, **where) -> sa.Index:
    """A GIN index of `column`'s trigrams (pg_trgm), made on PostgreSQL only
    and only where pg_trgm could be used (migration 0046): a typed part of a
    name or serial found by it (LIKE '%...%'). `where`: a partial index's
    `postgresql_where`."""
    return sa.Index(
        name,
        column,
        postgresql_using="gin",
        postgresql_ops={column: "gin_trgm_ops"},
        info={"extension": "pg_trgm"},
        **where,
    ).ddl_if(dialect="postgresql")


def include_object(connection: sa.Connection) -> Callable[..., bool]:
    """Alembic's `include_object` for the database `connection` is on: a
    model's object made on another database, or needing an extension this
    one has not installed, is not looked for here. The extensions are read
    when first asked (comparing), not when the hook is made (before a
    migration's transaction)."""
    dialect = connection.dialect.name
    installed: list[set[str]] = []

    def extensions() -> set[str]:
        if not installed:
            found = set()
            if dialect == "postgresql":
                query = "SELECT extname FROM pg_extension"
                found = set(connection.exec_driver_sql(query).scalars())
            installed.append(found)
        return installed[0]

    def include(obj, _name, _type, reflected: bool, _compare_to) -> bool:
        if reflected:
            return True
        made_on = getattr(getattr(obj, "_ddl_if", None), "dialect", None)
        if made_on is not None:
            dialects = (made_on,) if isinstance(made_on, str) else tuple(made_on)
            if dialect not in dialects:
                return False
        needs = getattr(obj, "info", {}).get("extension")
        return needs is None or needs in extensions()

    return include
