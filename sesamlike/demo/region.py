"""The demo region: 200 fictional patients with two years of delivered history.

Prices in the demo catalogue are illustrative, not contract prices; they are set
so that MiniMed 640G without CGM costs about 30,000 SEK a patient-year, three
quarters of it consumables (TLV's estimate, domain.md). Names, numbers and
addresses are fictional (see people.py). Everything is drawn from fixed seeds,
so the region is the same on every load of the same day; `load_demo_region`
creates what is missing and leaves the rest alone.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from sesamlike.accounts.models import User
from sesamlike.demo import people, setup
from sesamlike.demo.plan import PatientPlan, Planner
from sesamlike.demo.setup import Login
from sesamlike.demo.writer import PatientSpec, RegionWriter, load_articles
from sesamlike.extensions import db
from sesamlike.patients.models import Guardian, Patient

PATIENTS = 200
HISTORY_YEARS = 2
SEED = "sesamlike-demo-2026"
PROTECTED = {5, 47, 111, 150}
COORDINATION = {22, 88, 134}
RESERVE = {10, 65, 176}
TEMPORARY_ADDRESS = {7, 52, 101}
SIBLINGS = {33: 30, 63: 60, 93: 90}  # younger child: older sibling (same home)
ANIMAS = {14, 71}
PATIENT_LOGINS = 5


@dataclass
class DemoPatient:
    index: int
    spec: PatientSpec
    plan: PatientPlan
    guardian: people.Person | None = None  # the guardian with a login


@dataclass(frozen=True)
class PrintedLogin:
    username: str
    role: str
    detail: str


def build_patients(today: date) -> list[DemoPatient]:
    """The 200 demo patients and their plans, the same for the same day."""
    planner = Planner(load_articles(), today, HISTORY_YEARS)
    taken: set[str] = set()
    result: list[DemoPatient] = []
    for i in range(PATIENTS):
        rng = random.Random(f"{SEED}:{i}")
        patient = _patient(rng, i, today, taken, result)
        group = (
            "child"
            if i % 3 == 0
            else ("type1" if patient.spec.diabetes_type == "type1" else "other")
        )
        patient.plan = planner.plan(rng, group, patient.spec.birth_date,
                                    f"D{i:04d}", animas=i in ANIMAS)  # fmt: skip
        result.append(patient)
    return result


def _patient(rng, i: int, today: date, taken, done) -> DemoPatient:
    child = i % 3 == 0
    if child:
        low, high = (1, 17)
    elif i % 9 in (1, 5) and i % 2:
        low, high = (65, 88)
    else:
        low, high = (18, 64)
    birth_date = people.birth_date_for_age(rng, today, low, high)
    sibling = done[SIBLINGS[i]] if i in SIBLINGS else None
    who = people.person(rng, birth_date, sibling.spec.last_name if sibling else None)
    home = sibling.spec.home if sibling else people.home(rng)
    if child or low == 18:
        diabetes = "type1" if child or rng.random() < 0.8 else "type2"
    else:
        diabetes = "type2" if rng.random() < 0.55 else "type1"
    number, kind, lma = _identity(rng, i, birth_date, today, taken)
    spec = PatientSpec(
        personal_id=number, id_kind=kind, first_name=who.first_name,
        last_name=who.last_name, birth_date=birth_date, diabetes_type=diabetes,
        home=home, clinic_code="BARN" if child else ("NORR" if home.north else "SODR"),
        care_since=max(birth_date, today - timedelta(days=rng.randrange(60, 5000))),
        phone=None if child else people.phone(rng), protected_identity=i in PROTECTED,
        lma_number=lma[0], lma_valid_to=lma[1],
    )  # fmt: skip
    adult_age = people.add_years(birth_date, 18)
    if not child and adult_age > today - timedelta(days=3 * 365):
        spec.care_since = adult_age
        spec.earlier_clinic = ("BARN", max(birth_date, adult_age - timedelta(3000)),
                               adult_age)  # fmt: skip
    if i in TEMPORARY_ADDRESS:
        cottage = people.Home(f"Sommarstigen {i % 17 + 1}", "87394", "Bergsvik", None)
        spec.temporary = (cottage, today + timedelta(10), today + timedelta(70))
    guardian = None
    if child:
        guardian = sibling.guardian if sibling else None
        if guardian is None:
            born = people.birth_date_for_age(rng, today, 28, 50)
            guardian = people.person(rng, born, who.last_name, not_named=who.first_name)
        if rng.random() < 0.6:
            other = people.person(rng, guardian.birth_date, who.last_name,
                                  not_named=guardian.first_name)  # fmt: skip
            spec.guardians.append((f"{other.first_name} {other.last_name}",
                                   people.phone(rng)))  # fmt: skip
    return DemoPatient(i, spec, PatientPlan(), guardian)


def _identity(rng, i, birth_date, today, taken):
    if i in RESERVE:
        valid_to = today + timedelta(days=-20 if i == 176 else rng.randrange(60, 330))
        lma = (f"{rng.randrange(10, 99)}-{rng.randrange(100000, 999999)}", valid_to)
        return f"RN{2024 + i % 2}{i:04d}", "reserve", lma
    coordination = i in COORDINATION
    number = people.personal_number(rng, birth_date, taken, coordination=coordination)
    return number, people.id_kind_of(number), (None, None)


def load_demo_region(today: date | None = None) -> list[PrintedLogin]:
    """Create whatever of the demo region is missing; return every demo login."""
    today = today or date.today()
    setup.ensure_catalogue()
    clinics = setup.ensure_clinics()
    hashed = setup.password_hash()
    logins = []
    for login in setup.STAFF:
        setup.ensure_user(login, hashed, clinics)
        logins.append(_printed(login))
    setup.ensure_depots_and_stock(today)
    db.session.flush()
    patients = build_patients(today)
    numbers = [p.spec.personal_id for p in patients]
    existing = dict(db.session.execute(
        sa.select(Patient.personal_id, Patient.id)
        .where(Patient.personal_id.in_(numbers))).all())  # fmt: skip
    new = [p for p in patients if p.spec.personal_id not in existing]
    if new:
        writer = RegionWriter(load_articles())
        ids, _counts = writer.write(random.Random(SEED), [p.spec for p in new],
                                    [p.plan for p in new])  # fmt: skip
        existing.update(zip((p.spec.personal_id for p in new), ids, strict=True))
    logins += _guardian_logins(patients, existing, hashed, clinics)
    logins += _patient_logins(patients, existing, hashed, clinics)
    db.session.commit()
    return logins


def _printed(login: Login) -> PrintedLogin:
    detail = ", ".join(login.clinics)
    if login.note:
        detail = f"{detail} ({login.note})" if detail else login.note
    return PrintedLogin(login.username, login.role, detail)


def _guardian_logins(patients, ids, hashed, clinics) -> list[PrintedLogin]:
    printed, users = [], {}
    for patient in patients:
        if patient.guardian is None:
            continue
        guardian = patient.guardian
        key = id(guardian)
        if key not in users:
            n = len(users) + 1
            login = Login(
                f"vh{n:03d}", "guardian", f"{guardian.first_name} {guardian.last_name}"
            )
            users[key] = (login, setup.ensure_user(login, hashed, clinics), [])
        login, user, children = users[key]
        children.append(patient)
        if user is not None:
            db.session.add(
                Guardian(
                    patient_id=ids[patient.spec.personal_id],
                    name=login.name,
                    user_id=user.id,
                    phone=people.phone(random.Random(login.username)),
                    email=f"{login.username}@demo.sesamlike.example",
                )
            )
    for login, _user, children in users.values():
        names = ", ".join(_who(child.spec) for child in children)
        printed.append(
            PrintedLogin(
                login.username, login.role, f"{login.name}, vårdnadshavare för {names}"
            )
        )
    return printed  # fmt: skip


def _patient_logins(patients, ids, hashed, clinics) -> list[PrintedLogin]:
    """A few adults log in themselves: the common cases and the special ones."""
    wanted = [
        lambda p: p.plan.pump_system == "MiniMed 640G" and not p.plan.cgm_system,
        lambda p: p.plan.pump_system == "Omnipod 5",
        lambda p: p.plan.pump_system is None and p.plan.cgm_system is not None,
        lambda p: p.spec.id_kind == "reserve",
        lambda p: p.spec.protected_identity,
    ]
    adults = [p for p in patients if p.index % 3]
    chosen: list[DemoPatient] = []
    for test in wanted[:PATIENT_LOGINS]:
        match = next((p for p in adults if test(p) and p not in chosen), None)
        if match is not None:
            chosen.append(match)
    printed = []
    for n, patient in enumerate(chosen, start=1):
        login = Login(f"patient{n}", "patient", _who(patient.spec))
        user = setup.ensure_user(login, hashed, clinics)
        row = db.session.get(Patient, ids[patient.spec.personal_id])
        if user is not None and row.user_id is None:
            row.user_id = user.id
        printed.append(PrintedLogin(login.username, login.role, _who(patient.spec)
                                    + _systems(patient.plan)))  # fmt: skip
    return printed


def _who(spec: PatientSpec) -> str:
    shown = spec.personal_id
    if len(shown) == 12 and shown.isdigit():
        shown = f"{shown[:8]}-{shown[8:]}"
    return f"{spec.first_name} {spec.last_name} ({shown})"


def _systems(plan: PatientPlan) -> str:
    systems = [s for s in (plan.pump_system, plan.cgm_system) if s]
    return f": {' + '.join(systems)}" if systems else ""


def has_users() -> bool:
    return db.session.scalar(sa.select(sa.func.count()).select_from(User)) > 0
