"""The admin's work on a patient's links: care relationships, guardians and
protected identity, without seeing who the patient is.

An admin has no need to know a patient's identity (domain.md): the patient is
found by a personnummer typed into a POSTed form, and from then on named by id.
The admin sees the clinics that care for the patient, the guardian logins and
whether the identity is protected. Every look and change is audited; protected
identity is set or lifted with a reason, kept in the audit row.

A guardian's link ends by itself on the child's 18th birthday: access checks it
on every request (`access.visible_patient_filter`), so no job has to run.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from sesamlike.accounts import administration as accounts
from sesamlike.accounts import audit, usernames
from sesamlike.accounts.administration import same_address
from sesamlike.accounts.models import Clinic, Role, User
from sesamlike.common import mail
from sesamlike.common.errors import Forbidden, NotVisible
from sesamlike.common.i18n import N_
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.patients import care, care_end, errors, protection
from sesamlike.patients.care import begin_episode
from sesamlike.patients.identity import AgeGroup, age_on, parse_personal_id
from sesamlike.patients.links import link_user_to_patients
from sesamlike.patients.models import (
    CareEndReason,
    CareRelationship,
    Guardian,
    Patient,
)

REASON_MAX = 300
# A child logs in to e-services of its own from 13, as in 1177 (and with an
# e-ID, which is not issued younger): before that, its guardians act for it.
OWN_LOGIN_AGE = 13
_SEPARATORS = re.compile(r"[\s\-+]")


@dataclass(frozen=True)
class GuardianRow:
    """A guardian link as an admin sees it: whether it ends at 18 and whether
    it has, never the day (the 18th birthday gives the birth date away)."""

    id: int
    username: str | None
    ends_at_18: bool  # the child's birth date is known
    ended: bool


@dataclass(frozen=True)
class LoginRow:
    """A login of the patient's own: the admin sees its username, not whose."""

    user_id: int
    username: str
    active: bool


@dataclass(frozen=True)
class PatientLinks:
    patient_id: int
    protected: bool
    child: bool
    care: list[CareRelationship]
    guardians: list[GuardianRow]
    own_logins: list[LoginRow]
    old_enough_for_own_login: bool = True
    # Moved out of the region: a care relationship started takes them back.
    moved_out: bool = False

    @property
    def login_roles(self) -> list[str]:
        """Whom a new login may be for: the patient while they have none of
        their own (a child from OWN_LOGIN_AGE), a guardian while the patient
        is a child."""
        own = not self.own_logins and self.old_enough_for_own_login
        roles = [Role.PATIENT.value] if own else []
        return roles + ([Role.GUARDIAN.value] if self.child else [])


def _require_admin(user: User) -> None:
    if user.role != Role.ADMIN:
        raise Forbidden()


def find(admin: User, personal_id: str | None) -> int:
    """The id of the patient with this personnummer (or reserve number)."""
    _require_admin(admin)
    text = (personal_id or "").strip()
    if not text:  # nothing looked up, so nothing to log
        raise errors.PersonalIdRequired(
            fields={"personal_id": [N_("Ange personnummer.")]}
        )
    digits = _SEPARATORS.sub("", text)
    number = parse_personal_id(text).number if digits.isdecimal() else text.upper()
    patient_id = db.session.scalar(
        sa.select(Patient.id).where(Patient.personal_id == number)
    )
    # A lookup is logged whether or not it finds anyone, so fishing for
    # numbers shows; the number itself is kept in neither row.
    audit.record(
        "search", "patient", patient_id=patient_id, object_id=patient_id,
        user=admin, detail="administration",
    )  # fmt: skip
    db.session.commit()
    if patient_id is None:
        raise errors.NoSuchPatient(
            fields={"personal_id": [N_("Ingen patient med det numret.")]}
        )
    return patient_id


def _patient(admin: User, patient_id: int) -> Patient:
    _require_admin(admin)
    patient = db.session.get(Patient, patient_id)
    if patient is None:
        raise NotVisible()
    return patient


def adult_on(birth_date: date | None) -> date | None:
    """The 18th birthday (1 March for one born on 29 February)."""
    if birth_date is None:
        return None
    try:
        return birth_date.replace(year=birth_date.year + 18)
    except ValueError:
        return date(birth_date.year + 18, 3, 1)


def links(admin: User, patient_id: int, today: date | None = None) -> PatientLinks:
    """Care relationships, the patient's own and guardians' logins and
    protection of a patient (audited)."""
    today = today or region_today()
    patient = _patient(admin, patient_id)
    audit.record(
        "read", "patient", patient_id=patient.id, object_id=patient.id, user=admin,
        detail="administration",
    )  # fmt: skip
    db.session.commit()
    ends = adult_on(patient.birth_date)
    guardians = [
        GuardianRow(
            g.id, g.user.username if g.user else None, ends is not None,
            ends is not None and ends <= today,
        )
        for g in sorted(patient.guardians, key=lambda g: g.id)
    ]  # fmt: skip
    care = sorted(
        patient.care_relationships, key=lambda c: (c.ended_on is not None, c.id)
    )
    own = [
        LoginRow(user.id, user.username, user.active)
        for user in (patient.user,)
        if user is not None
    ]
    return PatientLinks(
        patient.id, patient.protected_identity,
        patient.age_group_on(today) == AgeGroup.CHILD, care, guardians, own,
        old_enough_for_own_login(patient, today),
        patient.care_ended_reason == CareEndReason.MOVED_OUT,
    )  # fmt: skip


def old_enough_for_own_login(patient: Patient, today: date) -> bool:
    """Whether the patient may have a login of their own: from OWN_LOGIN_AGE
    (a patient with no birth date on record, a reserve number, is not held back)."""
    birth = patient.birth_date
    return birth is None or age_on(birth, today) >= OWN_LOGIN_AGE


def start_care(
    admin: User, patient_id: int, clinic_code: str | None, moved_back: bool = False
) -> None:
    """A clinic's staff may reach the patient from now on. A patient who had
    moved out of the region and moved back is taken into its care again
    (`care_end.lift_move`, as a prescriber's `care.resume`): a clinic that never
    cared for them asks the admin, as for any patient it takes on; only once
    the admin has confirmed the move back (`moved_back`), never by the way."""
    patient = _patient(admin, patient_id)
    clinic = db.session.scalar(sa.select(Clinic).where(Clinic.code == clinic_code))
    if clinic is None:
        raise errors.UnknownClinicCode(
            fields={"clinic_code": [N_("Välj en vårdenhet.")]}
        )
    if patient.care_ended_reason == CareEndReason.MOVED_OUT:
        if not moved_back:
            raise errors.MovedBackNotConfirmed(
                fields={"moved_back": [errors.MovedBackNotConfirmed.message]}
            )
        # Read afresh under the lock: `lift_move` asks again (never a death).
        patient = care_end.lock(patient.id)
        care_end.lift_move(admin, patient)
    current = begin_episode(patient, clinic)
    _care_audit(admin, current, clinic, "care_relationship_start")
    db.session.commit()


def end_care(admin: User, patient_id: int, relationship_id: int) -> None:
    """The clinic's staff lose the patient at once (their next request)."""
    patient = _patient(admin, patient_id)
    relationship = next(
        (c for c in patient.care_relationships if c.id == relationship_id), None
    )
    if relationship is None:
        raise NotVisible()
    if relationship.ended_on is not None:
        raise errors.CareRelationshipEnded()
    relationship.ended_on = region_today()
    _care_audit(admin, relationship, relationship.clinic, "care_relationship_end")
    care.ended(relationship, admin)
    db.session.commit()


def _care_audit(admin: User, relationship: CareRelationship, clinic, action: str):
    audit.record(
        action, "care_relationship", patient_id=relationship.patient_id,
        object_id=relationship.id, user=admin, detail=clinic.code,
    )  # fmt: skip


def recorded_guardian(patient: Patient, email: str | None) -> Guardian | None:
    """The guardian the child's care recorded with this e-mail address and no
    login yet: the only guardian a login may be made for or linked to.

    An admin neither sees nor chooses who a patient is (domain.md): a login
    tied to an address of the admin's choosing would let them read the record
    through the portal. So the address must be one the patient's care wrote
    down (`services.add_guardian`), and a refusal says nothing of the
    addresses that are (`not_recorded`)."""
    for guardian in patient.guardians:
        if (guardian.user_id is None and guardian.email
                and same_address(guardian.email, email)):  # fmt: skip
            return guardian
    return None


def not_recorded(whom: str, field: str = "email") -> errors.AddressNotRecorded:
    """The refusal, beside the e-mail field, or the username of a login whose
    address it is."""
    sentence = {
        "email": N_("Inte en adress som vårdenheten registrerat."),
        "username": N_("Kontots e-postadress är inte en som vårdenheten registrerat."),
    }[field]
    return errors.AddressNotRecorded(whom=whom, fields={field: [sentence]})


def add_guardian(admin: User, patient_id: int, username: str | None) -> None:
    """A guardian login may act for the child online (until the 18th birthday),
    if its e-mail address is that of a guardian the child's care recorded
    (`recorded_guardian`), whose row it then becomes."""
    patient = _patient(admin, patient_id)
    if patient.age_group_on(region_today()) != AgeGroup.CHILD:
        raise errors.GuardianOnlyForChild()
    username = (username or "").strip()
    if not username:
        raise errors.GuardianUsernameRequired(
            fields={"username": [N_("Ange vårdnadshavarens användarnamn.")]}
        )
    user = usernames.find(username)  # whatever the case typed, as at login
    if user is None or user.role != Role.GUARDIAN or not user.active:
        raise errors.NotAGuardianLogin(
            username=username,
            fields={"username": [N_("Inget vårdnadshavarkonto med det namnet.")]},
        )
    if any(g.user_id == user.id for g in patient.guardians):
        raise errors.GuardianLinkExists(username=user.username)
    guardian = recorded_guardian(patient, user.email)
    if guardian is None:
        raise not_recorded(N_("en vårdnadshavare till barnet"), "username")
    guardian.user_id = user.id
    db.session.flush()
    audit.record(
        "guardian_add", "guardian", patient_id=patient.id, object_id=guardian.id,
        user=admin, detail=user.username,
    )  # fmt: skip
    db.session.commit()


def create_login(
    admin: User,
    patient_id: int,
    *,
    role: str,
    username: str,
    display_name: str,
    email: str | None,
    link_url: Callable[[str], str],
) -> User:
    """A new login for the patient, or for a guardian of a child, tied to the
    patient; its password is chosen through a one-time link mailed to an
    address the patient's care recorded: the patient's own, or that of a
    guardian recorded for the child (`recorded_guardian`), whose row the
    login then becomes."""
    patient = _patient(admin, patient_id)
    if role not in (Role.PATIENT, Role.GUARDIAN):
        raise errors.PortalRoleRequired(
            fields={"role": [N_("Välj patient eller vårdnadshavare.")]}
        )
    if role == Role.GUARDIAN and patient.age_group_on(region_today()) != AgeGroup.CHILD:
        raise errors.GuardianOnlyForChild()
    if role == Role.PATIENT and patient.user_id is not None:
        raise errors.PatientHasLogin(id=patient.id)
    if role == Role.PATIENT and not old_enough_for_own_login(patient, region_today()):
        raise errors.TooYoungForOwnLogin(
            age=OWN_LOGIN_AGE, fields={"role": [N_("Välj «En vårdnadshavare».")]}
        )

    def refusal(address: str) -> errors.AddressNotRecorded | None:
        if role == Role.PATIENT:
            if patient.email and same_address(patient.email, address):
                return None
            return not_recorded(N_("patienten"))
        if recorded_guardian(patient, address) is None:
            return not_recorded(N_("en vårdnadshavare till barnet"))
        return None

    def tie(user: User) -> None:
        if role == Role.GUARDIAN:
            # The login's address is the one `refusal` found recorded.
            guardian = recorded_guardian(patient, user.email)
            guardian.user_id = user.id
            db.session.flush()
            action, kind, object_id = "guardian_add", "guardian", guardian.id
        else:
            link_user_to_patients(user, [patient.id])
            db.session.flush()
            action, kind, object_id = "login_create", "patient", patient.id
        audit.record(
            action, kind, patient_id=patient.id, object_id=object_id, user=admin,
            detail=user.username,
        )  # fmt: skip

    return accounts.create(
        admin, username=username, role=role, clinic_codes=(),
        display_name=display_name, email=email, first_time_prescriber=False,
        link_url=link_url, link_to_patient=tie, address_refusal=refusal,
    )  # fmt: skip


def remove_guardian(admin: User, patient_id: int, guardian_id: int) -> None:
    """The guardian may no longer act for the child, from their next request."""
    patient = _patient(admin, patient_id)
    guardian = next((g for g in patient.guardians if g.id == guardian_id), None)
    if guardian is None:
        raise NotVisible()
    who = guardian.user.username if guardian.user else f"#{guardian.id}"
    audit.record(
        "guardian_remove", "guardian", patient_id=patient.id, object_id=guardian.id,
        user=admin, detail=who,
    )  # fmt: skip
    patient.guardians.remove(guardian)
    mail.withdraw_unsent(patient.id, f"guardian:{guardian.id}", "guardian removed")
    db.session.commit()


def set_protection(admin: User, patient_id: int, on: bool, reason: str | None) -> None:
    """Set or lift protected identity, with the reason in the audit row."""
    patient = _patient(admin, patient_id)
    reason = " ".join((reason or "").split())
    if not reason:
        raise errors.ProtectionReasonRequired(fields={"reason": [N_("Obligatoriskt.")]})
    if len(reason) > REASON_MAX:
        raise errors.ProtectionReasonRequired(fields={"reason": [N_("För långt.")]})
    if patient.protected_identity == on:
        raise errors.ProtectionUnchanged(state=N_("på") if on else N_("av"))
    patient.protected_identity = on
    # Written now: the patient's row stays locked to the commit, so an order
    # being placed for the patient (`withdrawals.lock_prescriptions`) is
    # either rerouted below or waits and sees the protection.
    db.session.flush()
    if on:  # nothing more to a guardian; open orders go to the clinic
        protection.protected(patient, admin)
    audit.record(
        "protected_identity_set" if on else "protected_identity_lift", "patient",
        patient_id=patient.id, object_id=patient.id, user=admin, detail=reason,
    )  # fmt: skip
    db.session.commit()
