"""The demo region's fixed parts: catalogue, clinics, depots, staff logins, stock.

Everything is created when missing and left alone when present, so loading the
demo twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

from sesamlike.accounts.models import Clinic, User, hash_password
from sesamlike.catalog.models import Article
from sesamlike.catalog.services import import_catalogue_text
from sesamlike.extensions import db
from sesamlike.stock.models import (
    Depot,
    DepotStaff,
    Device,
    MovementKind,
    StockLot,
    StockMovement,
)

CATALOGUE = Path(__file__).with_name("catalogue.csv")
DEMO_PASSWORD = "demo-sesam-2026"
DEMO_EMAIL_DOMAIN = "@demo.sesamlike.example"  # marks the demo's logins

CLINICS = (
    # code, name, cost centre, paediatric, street, postal code, city, phone
    # (phones from PTS's series for fiction: they reach nobody)
    ("NORR", "Diabetesmottagningen Norrstads sjukhus", "71010", False,
     "Sjukhusvägen 1", "87140", "Norrstad", "031-390 06 10"),
    ("SODR", "Diabetesmottagningen Söderby vårdcentral", "71020", False,
     "Vårdcentralsgatan 4", "88130", "Söderby", "031-390 06 20"),
    ("BARN", "Barn- och ungdomsdiabetes Norrstad", "72030", True,
     "Sjukhusvägen 1, hus 7", "87140", "Norrstad", "031-390 06 30"),
)  # fmt: skip
DEPOTS = (
    ("HMC", "Hjälpmedelscentralen Norrstad"),
    ("HMCS", "Hjälpmedelscentralen Söderby, utlämning"),
)


@dataclass(frozen=True)
class Login:
    username: str
    role: str
    name: str
    clinics: tuple[str, ...] = ()
    first_time_prescriber: bool = False
    note: str = ""
    depot: str = ""  # an aids-centre login's own depot


STAFF = (
    Login("admin", "admin", "Agneta Admin", note="systemförvaltare"),
    Login("analytiker", "region", "Rasmus Regionsson", note="regional uppföljning"),
    Login("lager", "depot", "Lisa Lagerström", note="HMC", depot="HMC"),
    Login("lager.soder", "depot", "Leif Lagerqvist", note="HMCS", depot="HMCS"),
    Login("chef.norr", "manager", "Maria Chefsdotter", ("NORR",)),
    Login("chef.soder", "manager", "Magnus Ledare", ("SODR",)),
    Login("chef.barn", "manager", "Margit Barnlund", ("BARN",)),
    Login("lakare.norr", "prescriber", "Dr Karin Holm", ("NORR",), True,
          "läkare, nyförskrivning"),
    Login("ssk.norr", "prescriber", "Sara Ek", ("NORR",), True,
          "diabetessjuksköterska, nyförskrivning"),
    Login("ssk2.norr", "prescriber", "Nils Strand", ("NORR",), False,
          "sjuksköterska, ej första pump eller CGM"),
    Login("lakare.soder", "prescriber", "Dr Omar Hassan", ("SODR",), True,
          "läkare, nyförskrivning"),
    Login("ssk.soder", "prescriber", "Eva Lindqvist", ("SODR",), False,
          "sjuksköterska, ej första pump eller CGM"),
    Login("lakare.barn", "prescriber", "Dr Ingrid Berg", ("BARN",), True,
          "barnläkare, nyförskrivning"),
    Login("ssk.barn", "prescriber", "Jonas Wallin", ("BARN",), True,
          "diabetessjuksköterska, nyförskrivning"),
    Login("ssk2.barn", "prescriber", "Hanna Björk", ("BARN",), False,
          "sjuksköterska, ej första pump eller CGM"),
)  # fmt: skip

# article_no, packs per lot, lot, days to expiry (None: no expiry), quarantined
STOCK = {
    "HMC": (
        ("100101", 240, "QS2509A", 420, False), ("100102", 80, "SH2507C", 380, False),
        ("100103", 12, "MI2411B", -20, False), ("100201", 300, "RV2510A", 600, False),
        ("900001", 150, "AA2506", 900, False), ("200101", 120, "TC2508B", 500, False),
        ("200201", 140, "AS2509D", 450, False), ("300101", 200, "PD2510A", 300, False),
        ("400002", 40, "G6T2507", 240, False), ("100401", 60, "G4S2508", 200, False),
        ("100301", 25, "", None, False), ("100202", 30, "ER2506Q", 500, True),
    ),
    "HMCS": (
        ("100101", 60, "QS2509A", 420, False), ("100201", 80, "RV2510A", 600, False),
        ("300101", 50, "PD2510B", 310, False), ("900001", 40, "AA2506", 900, False),
    ),
}  # fmt: skip
DEVICES_IN_STOCK = (
    ("100001", "NGLAGER", 3), ("100002", "NHLAGER", 2),
    ("500002", "LBLAGER", 4), ("400003", "DRLAGER", 2),
)  # fmt: skip


def password_hash() -> str:
    """One hash for every demo login: hashing is slow by design, demo data not."""
    return hash_password(DEMO_PASSWORD)


def ensure_catalogue() -> None:
    """Import the demo catalogue (an upsert: a second import changes nothing)."""
    import_catalogue_text(CATALOGUE.read_text(encoding="utf-8"))


def catalogue_present() -> bool:
    kits = ("100001", "100101", "500001", "300201")
    query = sa.select(sa.func.count()).where(Article.article_no.in_(kits))
    return db.session.scalar(query) == len(kits)


def ensure_clinics() -> dict[str, Clinic]:
    existing = {c.code: c for c in db.session.scalars(sa.select(Clinic))}
    for code, name, centre, paediatric, street, postal_code, city, phone in CLINICS:
        if code not in existing:
            existing[code] = Clinic(code=code, name=name, cost_centre=centre,
                                    paediatric=paediatric, street=street,
                                    postal_code=postal_code, city=city,
                                    phone=phone)  # fmt: skip
            db.session.add(existing[code])
    db.session.flush()
    return existing


def ensure_user(login: Login, hashed: str, clinics: dict[str, Clinic]) -> User:
    """The login, created when missing."""
    query = sa.select(User).where(User.username == login.username)
    if (existing := db.session.scalar(query)) is not None:
        return existing
    user = User(
        username=login.username, password_hash=hashed, role=login.role,
        display_name=login.name, first_time_prescriber=login.first_time_prescriber,
        email=f"{login.username}{DEMO_EMAIL_DOMAIN}",
        clinics=[clinics[code] for code in login.clinics],
    )  # fmt: skip
    db.session.add(user)
    db.session.flush()
    return user


def ensure_depots_and_stock(today: date) -> None:
    depots = {d.code: d for d in db.session.scalars(sa.select(Depot))}
    for code, name in DEPOTS:
        if code not in depots:
            depots[code] = Depot(code=code, name=name)
            db.session.add(depots[code])
    db.session.flush()
    articles = dict(db.session.execute(sa.select(Article.article_no, Article.id)).all())
    for code, lots in STOCK.items():
        for article_no, packs, lot, days, quarantined in lots:
            expiry = today + timedelta(days=days) if days is not None else None
            _lot(depots[code], articles[article_no], lot, packs, expiry, quarantined)
    for article_no, prefix, count in DEVICES_IN_STOCK:
        serials = [f"{prefix}{n:03d}" for n in range(1, count + 1)]
        known = set(
            db.session.scalars(
                sa.select(Device.serial_no).where(
                    Device.article_id == articles[article_no],
                    Device.serial_no.in_(serials),
                )
            )
        )
        new = [s for s in serials if s not in known]
        if not new:
            continue
        _lot(depots["HMC"], articles[article_no], "", len(new), None, False, add=True)
        db.session.add_all(
            Device(article_id=articles[article_no], serial_no=serial,
                   status="in_stock", depot_id=depots["HMC"].id)
            for serial in new
        )  # fmt: skip


def ensure_own_depots() -> None:
    """Each demo aids-centre login works at its own depot, unless it has one."""
    depots = {d.code: d for d in db.session.scalars(sa.select(Depot))}
    for login in STAFF:
        if not login.depot:
            continue
        user = db.session.scalar(sa.select(User).where(User.username == login.username))
        if db.session.get(DepotStaff, user.id) is None:
            db.session.add(DepotStaff(user_id=user.id, depot_id=depots[login.depot].id))
    db.session.flush()


def _lot(depot, article_id, lot, packs, expiry, quarantined, add=False) -> None:
    """A lot with its receipt in the ledger; an existing lot is left alone."""
    row = db.session.scalar(sa.select(StockLot).where(
        StockLot.depot_id == depot.id, StockLot.article_id == article_id,
        StockLot.lot == lot))  # fmt: skip
    if row is not None and not add:
        return
    if row is None:
        row = StockLot(
            depot_id=depot.id,
            article_id=article_id,
            lot=lot,
            expiry=expiry,
            on_hand=0,
            quarantined=quarantined,
        )
        db.session.add(row)
        db.session.flush()  # fmt: skip
    row.on_hand += packs
    db.session.add(StockMovement(
        kind=MovementKind.RECEIPT, depot_id=depot.id, article_id=article_id,
        lot_id=row.id, packs=packs, reference="demo:receipt",
    ))  # fmt: skip
