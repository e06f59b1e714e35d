"""Aids-centre staff and their own depot (hemlager).

A clerk at Söderby works at Söderby: the picking and packing lists open on
Söderby's orders and the count page on its lots, and goods received or
reorder points set are booked there unless the clerk chooses another depot.
Staff may still work for any depot (centres cover for each other); the own
depot is where their pages start, so that a receipt is not booked into the
first depot by code by mistake.

The own depot is set by an administrator (the account page) or on the
command line (`users create --depot`, `users set-depot`), each audited.
"""

from __future__ import annotations

import sqlalchemy as sa

from sesamlike.accounts.administration import AccountShown, audit_account
from sesamlike.accounts.models import Role, User
from sesamlike.common.i18n import N_
from sesamlike.extensions import db
from sesamlike.stock.errors import DepotOnlyForDepotStaff
from sesamlike.stock.models import Depot, DepotStaff
from sesamlike.stock.receipts import depot_by_code


def own_depot(user: User | AccountShown) -> Depot | None:
    """The login's own depot, if it has one."""
    return db.session.scalar(
        sa.select(Depot)
        .join(DepotStaff, DepotStaff.depot_id == Depot.id)
        .where(DepotStaff.user_id == user.id)
    )


def depot_for(role: str, depot_code: str | None) -> Depot | None:
    """The depot a login of `role` is to have (None: none), checked before
    anything is written: an unknown code, or a depot for another role than
    the aids centre's, is refused on the depot field."""
    code = (depot_code or "").strip()
    if not code:
        return None
    if role != Role.DEPOT:
        raise DepotOnlyForDepotStaff(
            fields={"depot_code": [N_("Välj inget lager för den här rollen.")]}
        )
    return depot_by_code(code)


def set_own_depot(admin: User | None, user: User, depot: Depot | None) -> bool:
    """Give the login its own depot (None: take it away); audited when it
    changes, committed by the caller. A login that is not the aids centre's
    keeps none. Returns whether anything changed."""
    if user.role != Role.DEPOT:
        depot = None
    link = db.session.get(DepotStaff, user.id)
    before = link.depot if link is not None else None
    if (before and before.id) == (depot and depot.id):
        return False
    if depot is None:
        db.session.delete(link)
    elif link is None:
        db.session.add(DepotStaff(user_id=user.id, depot_id=depot.id, depot=depot))
    else:
        link.depot = depot
    was = before.code if before is not None else "-"
    now = depot.code if depot is not None else "-"
    audit_account(admin, "user_depot", user, f"{user.username}: lager {was} -> {now}")
    return True


def starting_depot_id(user: User, depots: list[Depot]) -> int | None:
    """Where a depot page opens for this login: its own depot, else the
    first of `depots` (ordered by code)."""
    own = own_depot(user) if user.role == Role.DEPOT else None
    if own is not None and any(depot.id == own.id for depot in depots):
        return own.id
    return depots[0].id if depots else None
