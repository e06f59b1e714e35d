"""Test data builders. Each returns a committed object; pass overrides as kwargs."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sesamlike.accounts import services as accounts
from sesamlike.accounts.models import Clinic, User
from sesamlike.catalog.models import Article, System
from sesamlike.common.errors import DomainError
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.patients.identity import parse_personal_id
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


def make_role_user(role: str, clinic: Clinic | None = None, **kw) -> User:
    """A user with what the role needs: prescribers and managers work at `clinic`
    (a new one unless given), patients and guardians have a new patient of it."""
    clinic = clinic or make_clinic()
    staff = role in ("prescriber", "manager")
    carer = role in ("patient", "guardian")
    return make_user(
        role,
        clinics=[clinic] if staff else [],
        patients=[make_patient(clinic)] if carer else [],
        **kw,
    )


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
        birth_date=kw.pop("birth_date", _born(personal_id)),
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


def _born(personal_id: str) -> date:
    """The birth date a personnummer holds, so search by birth date finds the same."""
    try:
        return parse_personal_id(personal_id).birth_date
    except DomainError:  # a reserve number, or a number a test made up
        return date(1990, 1, 2)


def patient_registration(**overrides) -> dict:
    """The fields that register Anna Svensson (ADULT_PNR) at clinic OWN."""
    return {
        "personal_id": "19900102-9801",
        "first_name": "Anna",
        "last_name": "Svensson",
        "diabetes_type": "type1",
        "clinic_code": "OWN",
        "street": "Storgatan 1",
        "postal_code": "41101",
        "city": "Göteborg",
    } | overrides


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
    from sesamlike.prescriptions.models import Prescription

    valid_from = kw.pop("valid_from", region_today() - timedelta(days=1))
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
    if kw.get("prescription_id") is None and "cost_clinic_id" not in kw:
        # Paid like imported history: by the patient's clinic when recorded.
        from sesamlike.orders.history import paying_clinics

        clinic = paying_clinics([patient.id]).get(patient.id)
        if clinic is not None:
            kw["cost_clinic_id"], kw["cost_centre"] = clinic
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


def make_pump(article_no: str | None = None, **kw) -> Article:
    """An insulin pump: a serial-tracked device written off over 4 years."""
    defaults = dict(
        category="pump", serial_tracked=True, amortisation_years=4, units_per_day=None
    )
    return make_article(article_no, **(defaults | kw))


def make_device(patient, article, serial_no: str, **kw):
    """A device (serial number) lent to a patient, by default 400 days ago."""
    from sesamlike.stock.models import Device

    lent_on = kw.pop("lent_on", region_today() - timedelta(days=400))
    device = Device(
        article_id=article.id,
        serial_no=serial_no,
        status=kw.pop("status", "on_loan"),
        patient_id=patient.id,
        lent_on=lent_on,
        warranty_end=kw.pop("warranty_end", date(lent_on.year + 4, 1, 31)),
        **kw,
    )
    db.session.add(device)
    db.session.commit()
    return device


@dataclass
class PumpSystem:
    """A pump system as the catalogue sells it: the pump and its consumables."""

    system: System
    pump: Article
    infusion: Article
    reservoir: Article


def make_pump_system(depot=None, on_hand: int = 20, **pump) -> PumpSystem:
    """MiniMed 780G (from the supplier); infusion sets and reservoirs in `depot`."""
    system = make_system("MiniMed 780G")
    pump_defaults = dict(
        name="MiniMed 780G insulinpump",
        channel="supplier",
        systems=[system],
        pack_size=1,
        pack_price_sek=Decimal("30000.00"),
    )
    made = PumpSystem(
        system=system,
        pump=make_pump("MM780", **(pump_defaults | pump)),
        infusion=make_article("QS9", name="Quick-set 9 mm", systems=[system]),
        reservoir=make_article(
            "RES3", name="Reservoar 3 ml", category="reservoir", systems=[system]
        ),
    )
    depot = depot or make_depot("HMC")
    for article in (made.infusion, made.reservoir):
        make_stock_lot(article, depot, on_hand=on_hand)
    return made


@dataclass
class Prescribed:
    """A patient of a clinic with an active prescription by a prescriber there,
    of an article with packs in stock."""

    clinic: Clinic
    prescriber: User
    patient: Patient
    article: Article
    lot: object
    rx: object

    @property
    def depot(self):
        return self.lot.depot


def make_prescribed(
    clinic: Clinic | None = None,
    article: Article | None = None,
    *,
    prescriber: User | None = None,
    patient: Patient | None = None,
    depot=None,
    on_hand: int = 10,
    **prescription,
) -> Prescribed:
    """Builds what is not given; `prescription` are make_prescription's kwargs."""
    clinic = clinic or make_clinic()
    prescriber = prescriber or make_user("prescriber", clinics=[clinic])
    patient = patient or make_patient(clinic)
    article = article or make_article()
    lot = make_stock_lot(article, depot or make_depot(), on_hand=on_hand)
    rx = make_prescription(patient, article, prescriber, **prescription)
    return Prescribed(clinic, prescriber, patient, article, lot, rx)


@dataclass
class DepotWorld:
    """An aids centre (depot HMC) with its clerk, and a prescriber at a clinic."""

    clinic: Clinic
    prescriber: User
    clerk: User
    depot: object
    article: Article | None = None  # the one a module's tests are about


def make_depot_world(*, clerk: str | None = None, **depot) -> DepotWorld:
    """`clerk` names the depot user; `depot` are make_depot's kwargs."""
    clinic = make_clinic()
    return DepotWorld(
        clinic=clinic,
        prescriber=make_user("prescriber", clinics=[clinic]),
        clerk=make_user("depot", **({"username": clerk} if clerk else {})),
        depot=make_depot("HMC", **depot),
    )


def place_order_for(
    prescriber: User, article: Article, packs: int = 1, *, patient=None, mode="home",
    **prescription,
):  # fmt: skip
    """An order of `packs` of `article`, placed by `prescriber` on a new prescription
    (of `packs` per withdrawal) for `patient`, by default a new one of his clinic."""
    from sesamlike.orders import services as ordering

    patient = patient or make_patient(prescriber.clinics[0])
    rx = make_prescription(patient, article, packs_per_withdrawal=packs, **prescription)
    return ordering.place_order(prescriber, patient.id, [(rx.id, packs)], mode).order


def make_order(
    patient,
    lines: list[tuple[object, int, str, date | None]],
    *,
    delivery_mode: str = "home",
    tracking_ref: str | None = None,
    placed_by_role: str = "patient",
):
    """An order whose lines are (prescription, packs, status, delivered_on), with
    the articles' prices as snapshots."""
    from sesamlike.orders.models import Order, OrderLine

    order = Order(
        patient_id=patient.id,
        placed_by_role=placed_by_role,
        delivery_mode=delivery_mode,
        tracking_ref=tracking_ref,
    )
    for prescription, packs, status, delivered_on in lines:
        article = prescription.article
        order.lines.append(
            OrderLine(
                prescription_id=prescription.id,
                article_id=article.id,
                packs=packs,
                channel=article.channel,
                status=status,
                pack_price_sek=article.pack_price_sek,
                vat_rate=article.vat_rate,
                delivered_on=delivered_on,
            )
        )
    db.session.add(order)
    db.session.commit()
    return order


def make_delivery(patient, prescription, delivered_on: date, packs: int = 1):
    """A delivered order on a prescription (history: nothing withdrawn again)."""
    return make_order(
        patient,
        [(prescription, packs, "delivered", delivered_on)],
        placed_by_role="migration",
        tracking_ref="PN123456789SE",
    )


def make_lent_device(patient, article, serial_no: str | None = None, **kw):
    """A serial-numbered device (pump, CGM reader) on loan to the patient."""
    from datetime import timedelta

    from sesamlike.stock.devices import warranty_end
    from sesamlike.stock.models import Device

    lent_on = kw.pop("lent_on", region_today() - timedelta(days=400))
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
