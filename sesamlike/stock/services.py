"""Use cases for depots and stock."""

from __future__ import annotations

import sqlalchemy as sa

from sesamlike.extensions import db
from sesamlike.stock import errors
from sesamlike.stock.models import Depot

DEPOT_CODE_MAX = 20
DEPOT_NAME_MAX = 120


def create_depot(code: str, name: str) -> Depot:
    """Add a stock depot; its code is unique."""
    code, name = (code or "").strip(), (name or "").strip()
    if not code or not name:
        raise errors.DepotDetailsRequired()
    if len(code) > DEPOT_CODE_MAX or len(name) > DEPOT_NAME_MAX:
        raise errors.DepotDetailsTooLong(
            code_max=DEPOT_CODE_MAX, name_max=DEPOT_NAME_MAX
        )
    if db.session.scalar(sa.select(Depot.id).where(Depot.code == code)):
        raise errors.DepotExists(code=code)
    depot = Depot(code=code, name=name)
    db.session.add(depot)
    db.session.commit()
    return depot
