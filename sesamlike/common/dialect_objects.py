"""Schema objects made on one database only (`Index(...).ddl_if(dialect=...)`:
PostgreSQL's trigram indexes, migration 0046), compared with the models
where they are made: `flask db check` and the migrations' test ask
`include_object` of the database they compare."""

from __future__ import annotations

from collections.abc import Callable


def include_object(dialect: str) -> Callable[..., bool]:
    """Alembic's `include_object` for a database of `dialect`: a model's
    object made on another database only is not looked for in this one."""

    def include(obj, _name, _type, reflected: bool, _compare_to) -> bool:
        made_on = getattr(getattr(obj, "_ddl_if", None), "dialect", None)
        return reflected or made_on is None or made_on == dialect

    return include
