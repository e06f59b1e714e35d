"""Logins that would say who a patient is: the patients' own and their guardians'.

An admin has no need to know who a patient is (domain.md: identity none), and
the admin's patient pages show a patient by id only. A patient's login carries
the patient's name and e-mail, a guardian's the family's. The user
administration shows neither for these logins and finds them by username only
(`accounts.administration`, `hidden=identifying_logins()`); staff accounts it
shows in full.
"""

from __future__ import annotations

import sqlalchemy as sa

from sesamlike.accounts.models import Role, User

PORTAL_ROLES = (Role.PATIENT, Role.GUARDIAN)


def identifying_logins() -> sa.Select:
    """The ids of the logins of patients and guardians."""
    return sa.select(User.id).where(User.role.in_(PORTAL_ROLES))
