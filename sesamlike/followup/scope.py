"""Whose costs a user may follow up: managers their clinics, the region all.

A clinic outside a manager's own answers 404 (NotVisible), exactly like a clinic
code that does not exist, so clinic codes cannot be probed. Other roles: 403.
A clinic's patients in a year are those whose costs of that year it paid part
of (`cost_centres.paid_where`, one rule for the API, pages and exports), so a
patient who moves clinic stays in the old clinic's earlier years.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from sesamlike.accounts.models import Clinic, Role, User
from sesamlike.common.collation import swedish, swedish_key
from sesamlike.common.errors import Forbidden, NotVisible
from sesamlike.extensions import db

FOLLOWUP_ROLES = frozenset({Role.MANAGER, Role.REGION})


@dataclass(frozen=True)
class Scope:
    user: User
    clinic: Clinic | None  # None: every clinic the user follows up
    clinics: tuple[Clinic, ...]  # the clinics the user may choose
    # What a request has read once for this scope (the paying patients of a year).
    memo: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def region_wide(self) -> bool:
        return self.clinic is None and self.user.role == Role.REGION

    @property
    def pseudonymised(self) -> bool:
        """The region sees a stable key per patient, never a name or number."""
        return self.user.role == Role.REGION

    @property
    def clinic_code(self) -> str | None:
        return self.clinic.code if self.clinic else None

    def clinic_ids(self) -> list[int] | None:
        """The clinics in scope; None for the whole region."""
        if self.region_wide:
            return None
        return [self.clinic.id] if self.clinic else [c.id for c in self.clinics]

    def clinic_where(self, column: sa.ColumnElement[int]) -> sa.ColumnElement[bool]:
        ids = self.clinic_ids()
        return sa.true() if ids is None else column.in_(ids)


def resolve(user: User, clinic_code: str | None) -> Scope:
    """The scope for a user and an optional clinic code; 403 or 404 if not theirs."""
    if user.role not in FOLLOWUP_ROLES:
        raise Forbidden()
    if user.role == Role.REGION:
        clinics = tuple(
            db.session.scalars(
                sa.select(Clinic).order_by(swedish(Clinic.name), Clinic.id)
            )
        )
    else:
        clinics = tuple(sorted(user.clinics, key=lambda c: swedish_key(c.name)))
    if not clinic_code:
        return Scope(user, None, clinics)
    chosen = next((c for c in clinics if c.code == clinic_code), None)
    if chosen is None:
        raise NotVisible()
    return Scope(user, chosen, clinics)
