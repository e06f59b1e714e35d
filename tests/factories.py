"""Test data builders. Each returns a committed object; pass overrides as kwargs."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from sesamlike.accounts import services as accounts
from sesamlike.accounts.models import Clinic, User
from sesamlike.catalog.models import Article, System
from sesamlike.extensions import db
from sesamlike.patients.links import link_user_to_patients
from sesamlike.patients.models import Address, CareRelationship, Patient

PASSWORD = "correct-horse-1"
_seq = itertools.count(1)

# Checksum-valid numbers made by identity.synthetic_personnummer (serials 98x).
ADULT_PNR = "199001029801"
CHILD_PNR = "201512249812"
ELDERLY_PNR = "194505149825"
COORDINATION_NO = "198503639836"


def make_clinic(code: str | None = None, **kw) -> Clinic:
    n = next(_seq)
    clinic = Clinic(
        code=code or f"C{n}",
        name=kw.pop("name", f"Diabetesmottagning {n}"),
        cost_centre=kw.pop("cost_centre", f"KS{n:04d}"),
        **kw,
    )
    db.session.add(clinic)
    db.session.commit()
    return clinic


def make_user(role: str, *, clinics: list[Clinic] = (), patients=(), **kw) -> User:
    username = kw.pop("username", f"{role}{next(_seq)}")
    user = accounts.create_user(
        username,
        kw.pop("password", PASSWORD),
        role,
        clinic_codes=[c.code for c in clinics],
        commit=False,
        **kw,
    )
    db.session.flush()
    link_user_to_patients(user, [p.id for p in patients])
    db.session.commit()
    return user


def make_patient(clinic: Clinic | None = None, **kw) -> Patient:
    n = next(_seq)
    personal_id = kw.pop("personal_id", f"R{n:07d}")
    patient = Patient(
        personal_id=personal_id,
        id_kind=kw.pop(
            "id_kind", "reserve" if personal_id.startswith("R") else "personnummer"
        ),
        first_name=kw.pop("first_name", "Test"),
        last_name=kw.pop("last_name", f"Patient{n}"),
        birth_date=kw.pop("birth_date", date(1990, 1, 2)),
        diabetes_type=kw.pop("diabetes_type", "type1"),
        **kw,
    )
    patient.addresses.append(
        Address(
            kind="home",
            street=f"Storgatan {n}",
            postal_code="41101",
            city="Göteborg",
            door_code="1234",
        )
    )
    if clinic is not None:
        patient.care_relationships.append(
            CareRelationship(clinic_id=clinic.id, started_on=date(2020, 1, 1))
        )
    db.session.add(patient)
    db.session.commit()
    return patient


def make_system(name: str, kind: str = "pump") -> System:
    system = System(name=name, kind=kind)
    db.session.add(system)
    db.session.commit()
    return system


def make_article(article_no: str | None = None, *, systems=(), **kw) -> Article:
    n = next(_seq)
    defaults = dict(
        name=f"Artikel {n}",
        category="infusion_set",
        supplier="Leverantör AB",
        pack_size=10,
        pack_price_sek=Decimal("900.00"),
        vat_rate=Decimal("0.25"),
        procured=True,
        first_choice_rank=1,
        benefit=True,
        channel="central",
        serial_tracked=False,
        units_per_day=Decimal("0.3333"),
        amortisation_years=None,
        valid_from=date(2020, 1, 1),
        valid_to=None,
    )
    defaults.update(kw)
    article = Article(article_no=article_no or f"A{n:05d}", **defaults)
    article.systems = list(systems)
    db.session.add(article)
    db.session.commit()
    return article


def make_prescription(patient, article, prescriber=None, **kw):
    """An active prescription; defaults: 1 pack x 4 withdrawals of 90 days, lock 60."""
    from datetime import timedelta

    from sesamlike.prescriptions.models import Prescription

    valid_from = kw.pop("valid_from", date.today() - timedelta(days=1))
    clinic = kw.pop("clinic", None) or patient.care_relationships[0].clinic
    prescription = Prescription(
        patient_id=patient.id,
        article_id=article.id,
        prescriber_id=prescriber.id if prescriber else None,
        clinic_id=clinic.id,
        cost_centre=kw.pop("cost_centre", clinic.cost_centre),
        packs_per_withdrawal=kw.pop("packs_per_withdrawal", 1),
        withdrawals=kw.pop("withdrawals", 4),
        period_days=kw.pop("period_days", 90),
        lock_days=kw.pop("lock_days", 60),
        valid_from=valid_from,
        valid_to=kw.pop("valid_to", valid_from + timedelta(days=364)),
        **kw,
    )
    db.session.add(prescription)
    db.session.commit()
    return prescription


# Catalogue CSV text (interfaces.md), for import tests: one dict of column -> value
# per row, defaults from catalogue_row.
CATALOGUE_COLUMNS = (
    "article_no,name,category,systems,gtin,iso9999,supplier,pack_size,pack_price_sek,"
    "vat_rate,procured,first_choice_rank,benefit,channel,serial_tracked,units_per_day,"
    "amortisation_years,valid_from,valid_to"
).split(",")


def catalogue_row(article_no: str, **kw) -> dict[str, str]:
    """An infusion set row; pass category="pump" etc. and the columns that differ."""
    row = dict(
        article_no=article_no,
        name=f"Artikel {article_no}",
        category="infusion_set",
        systems="MiniMed 780G",
        gtin="",
        iso9999="",
        supplier="Leverantör AB",
        pack_size="10",
        pack_price_sek="900.00",
        vat_rate="0.25",
        procured="yes",
        first_choice_rank="",
        benefit="yes",
        channel="central",
        serial_tracked="no",
        units_per_day="0.3333",
        amortisation_years="",
        valid_from="2020-01-01",
        valid_to="",
    )
    if kw.get("category") in ("pump", "cgm_reader"):
        row.update(units_per_day="", amortisation_years="4", serial_tracked="yes")
    row.update({key: str(value) for key, value in kw.items()})
    return row


def catalogue_csv(*rows: dict[str, str]) -> str:
    import csv
    import io

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CATALOGUE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def make_depot(code: str | None = None, **kw):
    from sesamlike.stock.models import Depot

    n = next(_seq)
    depot = Depot(code=code or f"D{n}", name=kw.pop("name", f"Lager {n}"), **kw)
    db.session.add(depot)
    db.session.commit()
    return depot


def make_stock_lot(article, depot=None, on_hand: int = 10, **kw):
    """Packs of an article on hand in a depot (a new depot unless given)."""
    from sesamlike.stock.models import StockLot

    lot = StockLot(
        depot_id=(depot or make_depot()).id,
        article_id=article.id,
        lot=kw.pop("lot", f"L{next(_seq)}"),
        on_hand=on_hand,
        **kw,
    )
    db.session.add(lot)
    db.session.commit()
    return lot


def make_delivered_line(patient, article, delivered_on, **kw):
    """A delivered order line of history (own order) with the article's snapshots."""
    from sesamlike.orders.models import Order, OrderLine

    returned_on = kw.pop("returned_on", None)
    commit = kw.pop("commit", True)  # False: flushed into the open transaction
    order = Order(
        patient_id=patient.id,
        placed_by_role="migration",
        delivery_mode=kw.pop("delivery_mode", "home"),
    )
    line = OrderLine(
        article_id=article.id,
        packs=kw.pop("packs", 1),
        channel=kw.pop("channel", article.channel),
        status=kw.pop("status", "returned" if returned_on else "delivered"),
        pack_price_sek=kw.pop("pack_price_sek", article.pack_price_sek),
        vat_rate=kw.pop("vat_rate", article.vat_rate),
        delivered_on=delivered_on,
        returned_on=returned_on,
        **kw,
    )
    order.lines.append(line)
    db.session.add(order)
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return line


def make_lent_device(patient, article, serial_no: str | None = None, **kw):
    """A serial-numbered device (pump, CGM reader) on loan to the patient."""
    from datetime import timedelta

    from sesamlike.stock.devices import warranty_end
    from sesamlike.stock.models import Device

    lent_on = kw.pop("lent_on", date.today() - timedelta(days=400))
    device = Device(
        article_id=article.id,
        serial_no=serial_no or f"SN{next(_seq):06d}",
        status=kw.pop("status", "on_loan"),
        patient_id=patient.id,
        lent_on=lent_on,
        warranty_end=kw.pop(
            "warranty_end", warranty_end(lent_on, article.amortisation_years or 4)
        ),
        **kw,
    )
    db.session.add(device)
    db.session.commit()
    return device


def make_pump(*, systems=(), **kw) -> Article:
    """A lent insulin pump article: serial-tracked, amortised over 4 years."""
    defaults = dict(
        category="pump",
        name=kw.pop("name", f"Insulinpump {next(_seq)}"),
        pack_size=1,
        pack_price_sek=Decimal("30000.00"),
        units_per_day=None,
        amortisation_years=4,
        serial_tracked=True,
        benefit=False,
    )
    article_no = kw.pop("article_no", None)
    defaults.update(kw)
    return make_article(article_no, systems=systems, **defaults)


def make_pump_user(patient, *, systems=()):
    """Give the patient a pump in use (lent), so pump consumables fit."""
    return make_lent_device(patient, make_pump(systems=systems))


def load_demo_catalogue() -> None:
    """The demo region's catalogue (sesamlike/demo/catalogue.csv): real systems."""
    from pathlib import Path

    from sesamlike.catalog.services import import_catalogue_text

    path = Path(__file__).resolve().parents[1] / "sesamlike/demo/catalogue.csv"
    import_catalogue_text(path.read_text(encoding="utf-8"))


def make_order_line(patient, article, status: str, **kw):
    """An order with one line in `status`, placed `placed_at` (default now)."""
    from sesamlike.orders.models import Order, OrderLine

    order = Order(
        patient_id=patient.id,
        placed_by_role=kw.pop("placed_by_role", "prescriber"),
        delivery_mode=kw.pop("delivery_mode", "home"),
        tracking_ref=kw.pop("tracking_ref", None),
        collected_on=kw.pop("collected_on", None),
    )
    if "placed_at" in kw:
        order.placed_at = kw.pop("placed_at")
    order.lines.append(
        OrderLine(
            prescription_id=kw.pop("prescription_id", None),
            article_id=article.id,
            packs=kw.pop("packs", 1),
            channel=kw.pop("channel", article.channel),
            status=status,
            pack_price_sek=article.pack_price_sek,
            vat_rate=article.vat_rate,
            **kw,
        )
    )
    db.session.add(order)
    db.session.commit()
    return order
