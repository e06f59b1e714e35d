"""What a prescriber's own clinics paid for one patient, last year and this year.

domain.md gives prescribers the costs "own clinic's, per patient": not the
follow-up pages (the managers' and the region's), but the patient's share
their clinics paid, read from what `followup run` stored (the patient's year
for the pump and CGM system, `patient_year_payers` for who paid). A patient
who moved clinic has payer rows per clinic: only the own clinics' count, never
another clinic's. Nothing is worked out here: a year with nothing stored says
so (`state`), never a zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from sesamlike.accounts import audit
from sesamlike.accounts.models import Role, User
from sesamlike.common.errors import Forbidden, NotVisible
from sesamlike.extensions import db
from sesamlike.followup import periods
from sesamlike.followup.cost_centres import ore_amount
from sesamlike.followup.models import PatientYearCost, PatientYearPayer
from sesamlike.followup.sqlfuncs import round_ore
from sesamlike.patients import access

# What a year's row holds.
FIGURES = "figures"  # the own clinics' share
NOT_STORED = "not_stored"  # no cost of the patient's stored for the year
SHARE_NOT_STORED = "share_not_stored"  # costs stored without who paid them
NONE_PAID = "none_paid"  # other clinics (or none) paid all of it


@dataclass(frozen=True)
class YearShare:
    year: int
    figures_day: date  # `periods.figures_day()`, for the year's label
    state: str
    pump_system: str | None = None
    cgm_system: str | None = None
    device_cost_sek: Decimal | None = None
    consumables_cost_sek: Decimal | None = None

    @property
    def label(self) -> str:
        """ "2025", or "2026 (t.o.m. 5 december)" for the current year."""
        return periods.year_label(self.year, self.figures_day)

    @property
    def total_cost_sek(self) -> Decimal | None:
        if self.device_cost_sek is None or self.consumables_cost_sek is None:
            return None
        return self.device_cost_sek + self.consumables_cost_sek


@dataclass(frozen=True)
class OwnClinicCosts:
    clinics: int  # how many clinics the prescriber works for ("din", "dina")
    years: list[YearShare]  # last year, then this year


def patient_costs(user: User, patient_id: int) -> OwnClinicCosts:
    """The share the user's clinics paid of a visible patient's costs, last year
    and this year. Prescribers only (Forbidden); a patient out of reach is
    NotVisible. The read is part of the page's read of the patient when one
    waits (the overview's): else it is audited here. Not committed."""
    if user.role != Role.PRESCRIBER:
        raise Forbidden()
    if not audit.read_waiting(patient_id):
        access.get_patient(user, patient_id, detail="costs")
    elif access.visible_patient(user, patient_id) is None:
        raise NotVisible()
    day = periods.figures_day()
    years = (day.year - 1, day.year)
    clinic_ids = [clinic.id for clinic in user.clinics]
    stored = {
        row.year: row
        for row in db.session.scalars(
            sa.select(PatientYearCost).where(
                PatientYearCost.patient_id == patient_id,
                PatientYearCost.year.in_(years),
            )
        )
    }
    shares = _shares(patient_id, years, clinic_ids)
    return OwnClinicCosts(
        len(clinic_ids),
        [_year_share(year, day, stored.get(year), shares.get(year)) for year in years],
    )


def _year_share(year: int, day: date, stored: PatientYearCost | None,
                share: tuple[int, Decimal, Decimal] | None) -> YearShare:  # fmt: skip
    if stored is None:
        return YearShare(year, day, NOT_STORED)
    systems = {"pump_system": stored.pump_system, "cgm_system": stored.cgm_system}
    if share is None:
        return YearShare(year, day, SHARE_NOT_STORED, **systems)
    own_rows, device, consumables = share
    if not own_rows:
        return YearShare(year, day, NONE_PAID, **systems)
    return YearShare(
        year,
        day,
        FIGURES,
        **systems,
        device_cost_sek=device,
        consumables_cost_sek=consumables,
    )


def _shares(
    patient_id: int, years: tuple[int, ...], clinic_ids: list[int]
) -> dict[int, tuple[int, Decimal, Decimal]]:
    """Per year with payers stored for the patient: how many of its rows are the
    own clinics', and their device and consumable parts, each summed, then
    rounded half up to öre (as the reports do)."""
    payers = PatientYearPayer.__table__
    own = payers.c.clinic_id.in_(clinic_ids)
    rows = db.session.execute(
        sa.select(
            payers.c.year,
            sa.func.count(sa.case((own, 1))),
            round_ore(sa.func.coalesce(
                sa.func.sum(sa.case((own, payers.c.device_sek))), 0)),
            round_ore(sa.func.coalesce(
                sa.func.sum(sa.case((own, payers.c.consumables_sek))), 0)),
        )
        .where(payers.c.patient_id == patient_id, payers.c.year.in_(years))
        .group_by(payers.c.year)
    )  # fmt: skip
    return {
        year: (count, ore_amount(device), ore_amount(consumables))
        for year, count, device, consumables in rows
    }
