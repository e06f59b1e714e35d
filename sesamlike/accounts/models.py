"""Users, roles, clinics, web sessions, API tokens, login locks and the audit log."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from sesamlike.common.time import utcnow
from sesamlike.config import PASSWORD_HASH_METHOD
from sesamlike.extensions import db


class Role(enum.StrEnum):
    PRESCRIBER = "prescriber"
    PATIENT = "patient"
    GUARDIAN = "guardian"
    DEPOT = "depot"
    MANAGER = "manager"
    REGION = "region"
    ADMIN = "admin"


# Patients and guardians act for themselves and their children, never for a
# clinic: their requests neither load nor name one (accounts.sessions, audit).
NO_CLINIC_ROLES = frozenset({Role.PATIENT, Role.GUARDIAN})

user_clinics = sa.Table(
    "user_clinics",
    db.Model.metadata,
    sa.Column(
        "user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("clinic_id", sa.ForeignKey("clinics.id"), primary_key=True, index=True),
)


class Clinic(db.Model):
    """A care unit (vårdenhet) whose costs hit its cost centre (kostnadsställe)."""

    __tablename__ = "clinics"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    cost_centre: Mapped[str] = mapped_column(sa.String(20))
    paediatric: Mapped[bool] = mapped_column(default=False)
    street: Mapped[str | None] = mapped_column(sa.String(120))
    postal_code: Mapped[str | None] = mapped_column(sa.String(10))
    city: Mapped[str | None] = mapped_column(sa.String(80))
    # The number patients call ("Kontakta mottagningen"), kept by the region's
    # administrator (`patients.clinic_details`).
    phone: Mapped[str | None] = mapped_column(sa.String(30))

    users: Mapped[list[User]] = relationship(
        secondary=user_clinics, back_populates="clinics"
    )

    def __repr__(self) -> str:
        return f"<Clinic {self.code}>"


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    role: Mapped[str] = mapped_column(sa.String(20), index=True)
    display_name: Mapped[str] = mapped_column(sa.String(120), default="")
    email: Mapped[str | None] = mapped_column(sa.String(254))
    # Right to make a first prescription of a pump or CGM (doctor or trained nurse).
    first_time_prescriber: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str | None] = mapped_column(sa.String(5))
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow
    )
    last_login_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    clinics: Mapped[list[Clinic]] = relationship(
        secondary=user_clinics, back_populates="users"
    )
    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")
    sessions: Mapped[list[UserSession]] = relationship(back_populates="user")

    __table_args__ = (
        sa.CheckConstraint(
            "role in ('prescriber','patient','guardian','depot','manager',"
            "'region','admin')",
            name="role_known",
        ),
        # A login finds its account whatever the case typed (accounts.usernames).
        sa.Index("ix_users_username_lower", sa.text("lower(username)")),
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    def set_password(self, password: str) -> None:
        self.password_hash = hash_password(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def clinic_ids(self) -> set[int]:
        return {clinic.id for clinic in self.clinics}

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


def hash_password(password: str) -> str:
    """Hash by the app's PASSWORD_HASH_METHOD: scrypt, cheaper only under TestConfig."""
    method = PASSWORD_HASH_METHOD
    if has_app_context():
        method = current_app.config.get("PASSWORD_HASH_METHOD", method)
    return generate_password_hash(password, method=method)


class ApiToken(db.Model):
    """A bearer token; only its SHA-256 is stored. It stops at expiry or revocation."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow
    )
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    user: Mapped[User] = relationship(back_populates="tokens")


class UserSession(db.Model):
    """A web login, kept on the server: logout or deactivation ends it for good.

    The signed cookie carries a random session key; only its SHA-256 is stored.
    A copy of the cookie is worth nothing once the row is ended.
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow
    )
    last_seen_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow
    )
    ended_at: Mapped[datetime | None] = mapped_column(
        sa.DateTime(timezone=True), index=True
    )

    user: Mapped[User] = relationship(back_populates="sessions")
    kept_forms: Mapped[list[KeptForm]] = relationship(
        back_populates="session", passive_deletes=True
    )


class KeptForm(db.Model):
    """A form sent after its login ran out, kept on the server for the same
    user's next login in the same browser, to fill the form in again once
    (`accounts.kept_forms`); dropped when used or after a short time."""

    __tablename__ = "kept_forms"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The session it was sent in; moved to the next one at login.
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_sessions.id", ondelete="CASCADE"), index=True
    )
    path: Mapped[str] = mapped_column(sa.String(200))  # the form's page
    fields: Mapped[str] = mapped_column(sa.Text)  # JSON: [[name, value], ...]
    kept_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, index=True
    )

    session: Mapped[UserSession] = relationship(back_populates="kept_forms")


class LoginFailure(db.Model):
    """Failed logins per typed username (known or not), and the lock they set.

    Kept in the database so every worker shares it and `users unlock` lifts it;
    unknown usernames count and lock alike, so the lock tells nobody which
    usernames exist.
    """

    __tablename__ = "login_failures"

    username_key: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    first_failed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    locked_until: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class AuditEvent(db.Model):
    """One read or write of patient data. Written by services, never edited.

    `patient_id` has no foreign key so the log outlives any patient row.
    """

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, index=True
    )
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    role: Mapped[str | None] = mapped_column(sa.String(20))
    action: Mapped[str] = mapped_column(sa.String(40))
    object_type: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[str | None] = mapped_column(sa.String(40))
    patient_id: Mapped[int | None] = mapped_column(index=True)
    # The acting user's clinic, as it was (a code, like patient_id without a key).
    clinic_code: Mapped[str | None] = mapped_column(sa.String(20))
    remote_addr: Mapped[str | None] = mapped_column(sa.String(45))
    channel: Mapped[str] = mapped_column(sa.String(10), default="web")
    detail: Mapped[str | None] = mapped_column(sa.String(500))


class PasswordLink(db.Model):
    """A one-time link to set a password, mailed to the user; only its hash is kept.

    Sent when an admin creates an account or resets a password: no password is
    ever shown or mailed. It works once, and not after `expires_at`.
    """

    __tablename__ = "password_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow
    )
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
