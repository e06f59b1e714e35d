"""Patients, their addresses, guardians and care relationships with clinics."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sesamlike.accounts.models import Clinic, User
from sesamlike.common import data_versions
from sesamlike.common.dialect_objects import trigram_index
from sesamlike.common.text import fold
from sesamlike.common.time import utcnow
from sesamlike.extensions import db
from sesamlike.patients.identity import AgeGroup, age_group, format_personal_id


def search_name(first_name: str | None, last_name: str | None) -> str:
    """The folded name patient search matches: 'Nora Löfgren' -> 'nora lofgren'."""
    return fold(f"{first_name or ''} {last_name or ''}")[:SEARCH_NAME_LENGTH]


def _search_name_default(context) -> str:
    """Filled on every insert, bulk core inserts included."""
    row = context.get_current_parameters()
    return search_name(row.get("first_name"), row.get("last_name"))


SEARCH_NAME_LENGTH = 170


class CareEndReason(enum.StrEnum):
    """Why a patient's care in the region ended."""

    DECEASED = "deceased"
    MOVED_OUT = "moved_out"  # moved to another region


class Patient(db.Model):
    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(primary_key=True)
    personal_id: Mapped[str] = mapped_column(sa.String(20), unique=True)
    id_kind: Mapped[str] = mapped_column(sa.String(20))
    # Reserve numbers: the LMA card number (asylum seekers) and its validity.
    lma_number: Mapped[str | None] = mapped_column(sa.String(20))
    lma_valid_to: Mapped[date | None]
    first_name: Mapped[str] = mapped_column(sa.String(80))
    last_name: Mapped[str] = mapped_column(sa.String(80))
    # First and last name folded (no case, no diacritics): what name search matches.
    search_name: Mapped[str] = mapped_column(
        sa.String(SEARCH_NAME_LENGTH), default=_search_name_default, server_default=""
    )
    birth_date: Mapped[date | None]
    diabetes_type: Mapped[str] = mapped_column(sa.String(10))
    protected_identity: Mapped[bool] = mapped_column(default=False)
    phone: Mapped[str | None] = mapped_column(sa.String(30))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    # The patient's own login, when they have one.
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id"), unique=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow
    )
    # Care in the region ended (`care_end`): the patient died ("deceased") or
    # moved to another region ("moved_out"), on that day, registered by whom
    # and when. None while the patient is in the region's care.
    care_ended_reason: Mapped[str | None] = mapped_column(sa.String(10))
    care_ended_on: Mapped[date | None]
    care_ended_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id"), index=True
    )
    care_ended_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # Indexed: the FHIR export's _since asks for the patients changed since.
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow, index=True
    )

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    care_ended_by: Mapped[User | None] = relationship(foreign_keys=[care_ended_by_id])
    addresses: Mapped[list[Address]] = relationship(
        back_populates="patient", cascade="all, delete-orphan", order_by="Address.id"
    )
    guardians: Mapped[list[Guardian]] = relationship(
        back_populates="patient", cascade="all, delete-orphan"
    )
    # Episodes in the order they began (a clinic may have several, one open).
    care_relationships: Mapped[list[CareRelationship]] = relationship(
        back_populates="patient",
        cascade="all, delete-orphan",
        order_by="CareRelationship.id",
    )

    __table_args__ = (
        sa.CheckConstraint(
            "diabetes_type in ('type1','type2','other')", name="diabetes_type_known"
        ),
        sa.CheckConstraint(
            "id_kind in ('personnummer','samordningsnummer','reserve')",
            name="id_kind_known",
        ),
        sa.CheckConstraint(
            "care_ended_reason in ('deceased','moved_out')",
            name="care_end_reason_known",
        ),
        sa.Index("ix_patients_last_first", "last_name", "first_name"),
        # A typed part of a name, as the searches find it (LIKE '%...%'): by
        # its trigrams, on PostgreSQL (migration 0046).
        trigram_index("ix_patients_search_name_trgm", "search_name"),
    )

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def display_id(self) -> str:
        return format_personal_id(self.personal_id)

    def age_group_on(self, day: date) -> AgeGroup | None:
        return age_group(self.birth_date, day) if self.birth_date else None

    def home_address(self) -> Address | None:
        return next((a for a in self.addresses if a.kind == "home"), None)

    def delivery_address_on(self, day: date) -> Address | None:
        """A temporary address valid that day wins over the home address."""
        for address in self.addresses:
            if address.kind == "temporary" and address.valid_on(day):
                return address
        return self.home_address()

    @property
    def clinic_ids(self) -> set[int]:
        return {c.clinic_id for c in self.care_relationships if c.ended_on is None}

    @property
    def deceased(self) -> bool:
        return self.care_ended_reason == CareEndReason.DECEASED

    @property
    def care_ended(self) -> bool:
        return self.care_ended_reason is not None

    def __repr__(self) -> str:
        return f"<Patient {self.id}>"


class Address(db.Model):
    __tablename__ = "addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        sa.ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(10), default="home")
    care_of: Mapped[str | None] = mapped_column(sa.String(120))
    street: Mapped[str] = mapped_column(sa.String(120))
    postal_code: Mapped[str] = mapped_column(sa.String(10))
    city: Mapped[str] = mapped_column(sa.String(80))
    door_code: Mapped[str | None] = mapped_column(sa.String(20))
    valid_from: Mapped[date | None]
    valid_to: Mapped[date | None]

    patient: Mapped[Patient] = relationship(back_populates="addresses")

    __table_args__ = (
        sa.CheckConstraint("kind in ('home','temporary')", name="kind_known"),
    )

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )


class Guardian(db.Model):
    """A guardian (vårdnadshavare) of a child; may have a login to act online."""

    __tablename__ = "guardians"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        sa.ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(120))
    phone: Mapped[str | None] = mapped_column(sa.String(30))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)

    patient: Mapped[Patient] = relationship(back_populates="guardians")
    user: Mapped[User | None] = relationship()

    __table_args__ = (sa.UniqueConstraint("patient_id", "user_id"),)


class CareRelationship(db.Model):
    """A clinic's care relationship (vårdrelation): who may look the patient up."""

    __tablename__ = "care_relationships"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        sa.ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinics.id"), index=True)
    started_on: Mapped[date]
    ended_on: Mapped[date | None]
    # Ended by the patient's care in the region ending (`care_end`): its
    # reason; None for an episode open or ended otherwise.
    end_reason: Mapped[str | None] = mapped_column(sa.String(10))

    patient: Mapped[Patient] = relationship(back_populates="care_relationships")
    clinic: Mapped[Clinic] = relationship()

    # A clinic's care of a patient may end and start again: each episode is a
    # row of its own, kept with its dates; only one of them is open at a time.
    __table_args__ = (
        sa.Index(
            "uq_care_relationships_open",
            "patient_id",
            "clinic_id",
            unique=True,
            postgresql_where=sa.text("ended_on IS NULL"),
            sqlite_where=sa.text("ended_on IS NULL"),
        ),
        sa.CheckConstraint(
            "end_reason in ('deceased','moved_out')", name="end_reason_known"
        ),
    )


@sa.event.listens_for(CareRelationship, "after_insert")
@sa.event.listens_for(CareRelationship, "after_update")
@sa.event.listens_for(CareRelationship, "after_delete")
def _care_moves_the_patients_version(
    _mapper, connection: sa.Connection, relationship: CareRelationship
) -> None:
    """A care relationship begun or ended moves the patient's data version
    (`common.data_versions`), as the triggers do for prescriptions and
    orders, and not while `suspended`, as they do not: "my aids" names the
    caring clinic, and a body kept under the old version would name the
    clinic the patient left."""
    data_versions.note_patients(
        connection, sa.select(sa.literal(relationship.patient_id, sa.Integer))
    )


# What the portal shows of a clinic ("Din mottagning", `portal.caring_clinics`).
CLINIC_SHOWN_TO_PATIENTS = ("name", "street", "postal_code", "city", "phone")


@sa.event.listens_for(Clinic, "after_update")
def _clinic_edit_moves_its_patients_versions(
    _mapper, connection: sa.Connection, clinic: Clinic
) -> None:
    """A clinic's name or address changed moves the data version of every
    patient in its care, in one statement in the same transaction: their
    kept "my aids" names the clinic, and would go on naming it as it was
    until the patient's data next moved."""
    state = sa.inspect(clinic)
    if not any(state.attrs[name].history.has_changes()
               for name in CLINIC_SHOWN_TO_PATIENTS):  # fmt: skip
        return
    data_versions.note_patients(
        connection,
        sa.select(CareRelationship.patient_id).where(
            CareRelationship.clinic_id == clinic.id,
            CareRelationship.ended_on.is_(None),
        ),
    )


class ReminderPreference(db.Model):
    """How the patient (or a guardian for a child) wants reorder reminders.

    No row means the defaults: reminders on, by e-mail.
    """

    __tablename__ = "reminder_preferences"

    patient_id: Mapped[int] = mapped_column(
        sa.ForeignKey("patients.id", ondelete="CASCADE"), primary_key=True
    )
    channel: Mapped[str] = mapped_column(sa.String(10), default="email")
    opted_out: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow
    )
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id"), index=True
    )

    __table_args__ = (
        sa.CheckConstraint("channel in ('email','sms')", name="channel_known"),
    )


@sa.event.listens_for(Patient, "before_update")
def _refold_name(_mapper, _connection, patient: Patient) -> None:
    """A changed name is searchable by its new spelling at once."""
    patient.search_name = search_name(patient.first_name, patient.last_name)


class PatientPseudonym(db.Model):
    """The region's pseudonym of a patient (`pseudonym.pseudonym`), kept so that
    a pseudonym in a URL finds its patient by an index, not by hashing every
    patient's id. Derived from the id and the pseudonym key: written for the
    patients without one when a key is not found (`pseudonym.patient_id_of`),
    rebuilt by `pseudonym.store_all` when the key changes. Not unique:
    12 hexadecimal digits may, rarely, name two patients (then neither is
    found by it)."""

    __tablename__ = "patient_pseudonyms"

    patient_id: Mapped[int] = mapped_column(
        sa.ForeignKey("patients.id", ondelete="CASCADE"), primary_key=True
    )
    pseudonym: Mapped[str] = mapped_column(sa.String(14), index=True)
