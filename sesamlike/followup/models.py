"""Computed follow-up figures: each patient's system cost per calendar year."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from sesamlike.common.time import utcnow
from sesamlike.extensions import db


class PatientYearCost(db.Model):
    __tablename__ = "patient_year_costs"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Found by the unique (patient_id, year) index: no index of its own.
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patients.id"))
    year: Mapped[int] = mapped_column(index=True)
    pump_system: Mapped[str | None] = mapped_column(sa.String(80))
    cgm_system: Mapped[str | None] = mapped_column(sa.String(80))
    # The prescriber of the pump in use longest, else of the CGM device in use,
    # else of the patient's last recorded delivery that year (no foreign key: the
    # row outlives an account).
    prescriber_id: Mapped[int | None]
    # The prescription that prescriber comes from.
    prescription_id: Mapped[int | None]
    # The order lines the figures were attributed from: the pump and the CGM
    # device in use longest, and the line whose prescription names the
    # prescriber. A rerun compares these (and the amounts) to find the rows that
    # changed, and looks systems and prescriber up for those rows only. No
    # foreign keys: the row is derived, and outlives nothing it points to.
    pump_line_id: Mapped[int | None]
    cgm_line_id: Mapped[int | None]
    prescriber_line_id: Mapped[int | None]
    device_cost_sek: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2))
    consumables_cost_sek: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2))
    total_cost_sek: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2))
    # The pump system's own cost (pump, infusion sets, reservoirs, pods,
    # batteries: TLV's comparable figure) and the CGM part (readers,
    # transmitters, sensors); accessories count in the total only.
    pump_part_sek: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 2))
    cgm_part_sek: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 2))
    computed_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow
    )

    __table_args__ = (
        sa.UniqueConstraint("patient_id", "year"),
        # Room on each page for a run's updates in place, heap-only on
        # PostgreSQL (migration 0029).
        {"postgresql_with": {"fillfactor": 90}},
    )


class FollowupRun(db.Model):
    """One computation of a year's costs; the next incremental run starts from it.

    `catalogue_digest` fingerprints what the rules read from the catalogue
    (category, amortisation, expected use, pack size, systems): when it changes,
    every patient is recomputed, because articles carry no change timestamp.
    """

    __tablename__ = "followup_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(index=True)
    full: Mapped[bool]
    started_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    patients: Mapped[int] = mapped_column(default=0)
    catalogue_digest: Mapped[str] = mapped_column(sa.String(64))


class PatientYearPayer(db.Model):
    """Who paid a patient's costs of a year: per paying clinic and cost centre,
    the units and the device, consumable and VAT parts of its lines (unrounded
    kronor; reports sum, then round half up to öre).

    Written by `followup run` with the patient's costs (a full run: the whole
    year; an incremental run: its changed patients), from the same lines. A
    clinic's patients in a year are those with a row of theirs here. A line is
    paid by its prescription's clinic and cost centre, else (imported history)
    by the clinic and cost centre stored on it; NULL when it names neither.
    Derived: no foreign keys.
    """

    __tablename__ = "patient_year_payers"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    clinic_id: Mapped[int | None]
    patient_id: Mapped[int]
    cost_centre: Mapped[str | None] = mapped_column(sa.String(20))
    units: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    device_sek: Mapped[Decimal | None] = mapped_column(sa.Numeric())
    consumables_sek: Mapped[Decimal | None] = mapped_column(sa.Numeric())
    vat_sek: Mapped[Decimal | None] = mapped_column(sa.Numeric())

    __table_args__ = (
        # A clinic's patients of a year (the reports' EXISTS), in key order.
        sa.Index("ix_patient_year_payers_year_clinic", "year", "clinic_id",
                 "patient_id"),
        # An incremental run's patients, to replace their rows.
        sa.Index("ix_patient_year_payers_patient", "patient_id", "year"),
    )  # fmt: skip


class ReportFigures(db.Model):
    """The report's figures of one scope, year and high-cost line, kept once
    computed (`stored_figures`): valid while `token` (the year's last finished
    run and the patients' last change) still describes the data."""

    __tablename__ = "followup_report_figures"

    id: Mapped[int] = mapped_column(primary_key=True)
    # sha256 of the year, the clinics in scope and the high-cost line
    key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    token: Mapped[str] = mapped_column(sa.String(200))
    figures: Mapped[str] = mapped_column(sa.Text)  # JSON
    computed_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow
    )
