"""Use cases for depots and stock."""

from __future__ import annotations

import sqlalchemy as sa

from sesamlike.common.errors import Conflict, Invalid
from sesamlike.extensions import db
from sesamlike.stock.models import Depot

DEPOT_CODE_MAX = 20
DEPOT_NAME_MAX = 120


def create_depot(code: str, name: str) -> Depot:
    """Add a stock depot; its code is unique."""
    code, name = (code or "").strip(), (name or "").strip()
    if not code or not name:
        raise Invalid("Lagrets kod och namn krävs.")
    if len(code) > DEPOT_CODE_MAX or len(name) > DEPOT_NAME_MAX:
        raise Invalid(
            "Lagrets kod får ha högst {code_max} tecken och namnet högst {name_max}.",
            code_max=DEPOT_CODE_MAX,
            name_max=DEPOT_NAME_MAX,
        )
    if db.session.scalar(sa.select(Depot.id).where(Depot.code == code)):
        raise Conflict("Lagret {code} finns redan.", code=code)
    depot = Depot(code=code, name=name)
    db.session.add(depot)
    db.session.commit()
    return depot
