"""The demo region: 200 fictional patients with two years of delivered history.

The mix follows the seed's 2018 figures (domain.md): every eighth patient a
child, pump use of 65 % among children and 22 % among adults with type 1 and
under 1 % with type 2, the pump systems' shares of `kits`. Some devices are
swapped under warranty, some consumables partly come back to stock, and one
patient moves clinic in June last year.

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

from sesamlike.accounts.models import Clinic, User
from sesamlike.catalog.models import Article, System
from sesamlike.common.time import region_today
from sesamlike.demo import people, queue, setup
from sesamlike.demo.kits import PUMP_USE, SYSTEM_SHARES
from sesamlike.demo.plan import NO_PUMP, PatientPlan, Planner
from sesamlike.demo.setup import Login
from sesamlike.demo.writer import PatientSpec, RegionWriter, load_articles
from sesamlike.extensions import db
from sesamlike.orders.history import MIGRATION_ROLE
from sesamlike.orders.models import DeliveryMode, Order, OrderLine
from sesamlike.patients.models import CareRelationship, Guardian, Patient
from sesamlike.prescriptions.models import Prescription
from sesamlike.stock.models import Device

PATIENTS = 200
HISTORY_YEARS = 2
SEED = "sesamlike-demo-2026"
PROTECTED = {5, 47, 111, 152}
COORDINATION = {22, 88, 134}
RESERVE = {10, 65, 176}
TEMPORARY_ADDRESS = {7, 52, 101}
SIBLINGS = {40: 32, 64: 56, 96: 88}  # younger child: older sibling (same home)
ANIMAS = {14, 71}
PATIENT_LOGINS = 5
# Every eighth patient is a child: with 65 % of children and 22 % of adults with
# type 1 on a pump (2018), children are about a third of the pump users.
CHILD_EVERY = 8
# Moves from the south clinic to the north one on 1 June last year, on a pump:
# its costs until May are the south clinic's, from June the north's.
MOVER = 2
MOVER_PUMP = "MiniMed 640G"


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


def build_patients(today: date, taken: set[str] | None = None) -> list[DemoPatient]:
    """The 200 demo patients and their plans, the same for the same day.

    `taken`: personal ids already in use, which the demo's numbers avoid.
    """
    planner = Planner(load_articles(), today, HISTORY_YEARS)
    taken = set(taken or ())
    result: list[DemoPatient] = []
    pumps = PumpQuota()
    for i in range(PATIENTS):
        rng = random.Random(f"{SEED}:{i}")
        patient = _patient(rng, i, today, taken, result)
        moves_on = _move(patient.spec, today) if i == MOVER else None
        if i in ANIMAS:
            patient.spec.diabetes_type = "type1"
        group = (
            "child"
            if is_child(i)
            else ("type1" if patient.spec.diabetes_type == "type1" else "other")
        )
        forced = "t:slim X2" if i in ANIMAS else (MOVER_PUMP if moves_on else None)
        patient.plan = planner.plan(
            rng, group, patient.spec.birth_date, f"D{i:04d}", animas=i in ANIMAS,
            pump=pumps.next(group, forced), moves_on=moves_on,
        )  # fmt: skip
        result.append(patient)
    return result


class PumpQuota:
    """Pump or not, and which system, so that 200 patients show the 2018 mix
    rather than a random draw's noise: the k-th patient of a group is on a pump
    when k × its pump use passes a whole number, and a pump user gets the system
    furthest below its share so far."""

    def __init__(self):
        self.seen: dict[str, int] = {}
        self.systems: dict[str, int] = {name: 0 for name, _ in SYSTEM_SHARES}

    def next(self, group: str, forced: str | None = None) -> str:
        k = self.seen.get(group, 0)
        self.seen[group] = k + 1
        share = PUMP_USE[group]
        if forced is None and int((k + 1) * share) == int(k * share):
            return NO_PUMP
        users = sum(self.systems.values()) + 1
        system = (
            forced
            or max(
                SYSTEM_SHARES, key=lambda item: item[1] * users - self.systems[item[0]]
            )[0]
        )
        self.systems[system] += 1
        return system


def is_child(i: int) -> bool:
    return i % CHILD_EVERY == 0


def _move(spec: PatientSpec, today: date) -> date:
    """The mover: type 1, at the south clinic until 1 June last year, then north."""
    moves_on = date(today.year - 1, 6, 1)
    spec.diabetes_type = "type1"
    spec.earlier_clinic = ("SODR", min(spec.care_since, moves_on - timedelta(900)),
                           moves_on)  # fmt: skip
    spec.clinic_code, spec.care_since = "NORR", moves_on
    spec.home = people.Home("Kyrkogatan 12", "87142", "Norrstad", spec.home.door_code)
    return moves_on


def _patient(rng, i: int, today: date, taken, done) -> DemoPatient:
    child = is_child(i)
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
    roll = rng.random()
    if child:
        diabetes = "type1"
    elif low == 18:
        diabetes = "type1" if roll < 0.85 else ("other" if roll < 0.88 else "type2")
    else:
        diabetes = "type2" if roll < 0.55 else "type1"
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
    """Create whatever of the demo region is missing; return every demo login.

    The patients are created once, with their guardian and patient logins, the
    first time the demo clinics have none; a later load (any day) leaves them be.
    """
    today = today or region_today()
    setup.ensure_catalogue()
    clinics = setup.ensure_clinics()
    hashed = setup.password_hash()
    for login in setup.STAFF:
        setup.ensure_user(login, hashed, clinics)
    setup.ensure_depots_and_stock(today)
    setup.ensure_own_depots()
    if not _patients_loaded():
        taken = set(db.session.scalars(sa.select(Patient.personal_id)))
        patients = build_patients(today, taken)
        writer = RegionWriter(load_articles())
        ids, _counts = writer.write(random.Random(SEED), [p.spec for p in patients],
                                    [p.plan for p in patients])  # fmt: skip
        _guardian_logins(patients, ids, hashed)
        _patient_logins(patients, ids, hashed)
        _collected_at_clinic(today)
        db.session.commit()
        queue.make_queue(SEED, today)
    db.session.commit()
    return [_printed(login) for login in setup.STAFF] + _patient_side_logins()


# A demo patient collects a delivery to the clinic within a few days; one
# delivered in the last fortnight may still wait (the work list shows some).
COLLECTED_WITHIN_DAYS = 2
STILL_WAITING_DAYS = 14


def _collected_at_clinic(today: date) -> None:
    """Clinic deliveries of the history that were obviously collected get
    their day: those holding a device (the patient uses or returned it) and
    every one older than a fortnight."""
    rows = db.session.execute(
        sa.select(
            Order.id,
            sa.func.max(OrderLine.delivered_on),
            sa.func.count(OrderLine.serial_no),
        )
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(
            Order.delivery_mode == DeliveryMode.CLINIC,
            Order.placed_by_role == MIGRATION_ROLE,
            Order.collected_on.is_(None),
            OrderLine.delivered_on.is_not(None),
        )
        .group_by(Order.id)
    ).all()
    collected = [
        {
            "order_id": order_id,
            "day": min(delivered_on + timedelta(COLLECTED_WITHIN_DAYS), today),
        }
        for order_id, delivered_on, devices in rows
        if devices or delivered_on < today - timedelta(STILL_WAITING_DAYS)
    ]
    if collected:
        table = Order.__table__
        db.session.execute(
            table.update()
            .where(table.c.id == sa.bindparam("order_id"))
            .values(collected_on=sa.bindparam("day")),
            collected,
        )


def _patients_loaded() -> bool:
    codes = [clinic[0] for clinic in setup.CLINICS]
    query = (
        sa.select(CareRelationship.id)
        .join(Clinic, Clinic.id == CareRelationship.clinic_id)
        .where(Clinic.code.in_(codes))
        .limit(1)
    )
    return db.session.scalar(query) is not None


def _printed(login: Login) -> PrintedLogin:
    detail = ", ".join(login.clinics)
    if login.note:
        detail = f"{detail} ({login.note})" if detail else login.note
    return PrintedLogin(login.username, login.role, detail)


def _guardian_logins(patients: list[DemoPatient], ids: list[int], hashed) -> None:
    """One login per guardian; siblings share theirs."""
    users: dict[int, User] = {}
    for patient, patient_id in zip(patients, ids, strict=True):
        guardian = patient.guardian
        if guardian is None:
            continue
        if id(guardian) not in users:
            name = f"{guardian.first_name} {guardian.last_name}"
            login = Login(f"vh{len(users) + 1:03d}", "guardian", name)
            users[id(guardian)] = setup.ensure_user(login, hashed, {})
        user = users[id(guardian)]
        db.session.add(Guardian(
            patient_id=patient_id, name=user.display_name, user_id=user.id,
            phone=people.phone(random.Random(user.username)), email=user.email,
        ))  # fmt: skip


def _patient_logins(patients: list[DemoPatient], ids: list[int], hashed) -> None:
    """A few adults log in themselves: the common cases and the special ones."""
    wanted = [
        lambda p: p.plan.pump_system == "MiniMed 640G" and not p.plan.cgm_system,
        lambda p: p.plan.pump_system == "Omnipod 5",
        lambda p: p.plan.pump_system is None and p.plan.cgm_system is not None,
        lambda p: p.spec.id_kind == "reserve",
        lambda p: p.spec.protected_identity,
    ]
    adults = [
        (p, pid) for p, pid in zip(patients, ids, strict=True) if not is_child(p.index)
    ]
    chosen: list[tuple[DemoPatient, int]] = []
    for test in wanted[:PATIENT_LOGINS]:
        match = next((a for a in adults if test(a[0]) and a not in chosen), None)
        if match is not None:
            chosen.append(match)
    for n, (patient, patient_id) in enumerate(chosen, start=1):
        name = f"{patient.spec.first_name} {patient.spec.last_name}"
        user = setup.ensure_user(Login(f"patient{n}", "patient", name), hashed, {})
        db.session.get(Patient, patient_id).user_id = user.id


def _patient_side_logins() -> list[PrintedLogin]:
    """The demo's guardian and patient logins as they are in the database."""
    users = db.session.scalars(
        sa.select(User)
        .where(User.role.in_(("guardian", "patient")),
               User.email.endswith(setup.DEMO_EMAIL_DOMAIN))
        .order_by(User.role, User.username)
    ).all()  # fmt: skip
    ids = [u.id for u in users]
    children: dict[int, list[Patient]] = {}
    query = sa.select(Guardian.user_id, Patient).join(Guardian.patient)
    for user_id, patient in db.session.execute(
        query.where(Guardian.user_id.in_(ids)).order_by(Patient.id)
    ):
        children.setdefault(user_id, []).append(patient)
    own = {p.user_id: p for p in db.session.scalars(
        sa.select(Patient).where(Patient.user_id.in_(ids)))}  # fmt: skip
    printed = []
    for user in users:
        if user.role == "guardian":
            names = ", ".join(_who(child) for child in children.get(user.id, []))
            detail = f"{user.display_name}, vårdnadshavare för {names}"
        else:
            patient = own.get(user.id)
            detail = _who(patient) + _systems(patient.id) if patient else ""
        printed.append(PrintedLogin(user.username, user.role, detail))
    return printed


def _who(patient: Patient) -> str:
    return f"{patient.full_name} ({patient.display_id})"


def _systems(patient_id: int) -> str:
    """The pump lent and the CGM sensors prescribed, e.g. ': Omnipod 5 + Dexcom G7'."""
    query = (
        sa.select(System.name, Article.category)
        .join(Article.systems)
        .outerjoin(Device, sa.and_(Device.article_id == Article.id,
                                   Device.patient_id == patient_id,
                                   Device.status == "on_loan"))
        .outerjoin(Prescription, sa.and_(Prescription.article_id == Article.id,
                                         Prescription.patient_id == patient_id,
                                         Prescription.status == "active"))
        .where(sa.or_(
            sa.and_(Article.category == "pump", Device.id.is_not(None)),
            sa.and_(Article.category == "cgm_sensor", Prescription.id.is_not(None)),
        ))
        .distinct()
    )  # fmt: skip
    rows = sorted(db.session.execute(query), key=lambda row: row.category != "pump")
    names = list(dict.fromkeys(row.name for row in rows))
    return f": {' + '.join(names)}" if names else ""


def has_users() -> bool:
    return db.session.scalar(sa.select(sa.func.count()).select_from(User)) > 0
