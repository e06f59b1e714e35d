"""A region for the need-to-know tests: whose identity, address and phone is where.

Two clinics. At BDM: Ella (adult, login), Sara (a child with protected identity
and a guardian login), Olle (Sara's brother, not protected, same guardian) and
Stina (an adult whose identity became protected after she had ordered). At OST:
Per (adult, login). Orders in every channel (aids centre, supplier, pharmacy),
one shipped; follow-up costs for last year, so the drill-down lists everyone.

Each patient's identity number, last name, street, door code and phone are
unusual enough that finding one in an answer is never a coincidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.followup.models import PatientYearCost
from sesamlike.orders import services as ordering
from sesamlike.patients.identity import format_personal_id, synthetic_personnummer
from tests.factories import (
    make_article,
    make_clinic,
    make_delivered_line,
    make_depot,
    make_patient,
    make_prescription,
    make_stock_lot,
    make_system,
    make_user,
)

TODAY = region_today()
LAST_YEAR = TODAY.year - 1


@dataclass
class Person:
    key: str
    patient: object
    personal_id: str
    last_name: str
    street: str
    door_code: str
    phone: str
    clinic: str
    protected: bool = False
    orders: list = field(default_factory=list)  # order ids, every channel
    prescriptions: list = field(default_factory=list)

    @property
    def id(self) -> int:
        return self.patient.id

    def strings(self, kind: str) -> list[str]:
        """What of this patient an answer may carry, by kind of data."""
        if kind == "number":
            number = self.personal_id
            return [number, format_personal_id(number), f"{number[2:8]}-{number[8:]}"]
        if kind == "name":
            return [self.last_name]
        if kind == "contact":
            digits = "".join(c for c in self.phone if c.isdigit())
            return [self.street, self.door_code, self.phone, digits]
        raise KeyError(kind)


@dataclass
class PrivacyRegion:
    clinic: object
    other_clinic: object
    users: dict[str, object]
    people: dict[str, Person]
    supplier_export_id: int | None = None

    def person(self, key: str) -> Person:
        return self.people[key]


PEOPLE = {
    # key: (first, last, birth, serial, street, door code, phone, clinic, guardian)
    "ella": ("Ella", "Ekblomsson", date(1990, 1, 2), 981, "Körsbärsgränd 7",
             "8#2#5#1", "070-111 22 33", "BDM"),
    "sara": ("Sara", "Hemligsdotter", date(2016, 3, 1), 982, "Lönnsnårsvägen 3",
             "6#6#0#4", "070-999 88 77", "BDM"),
    "olle": ("Olle", "Björkhage", date(2014, 5, 5), 983, "Björkhagsvägen 19",
             "1#2#3#4", "070-444 55 66", "BDM"),
    "stina": ("Stina", "Bergstrålen", date(1978, 6, 15), 984, "Tallmoravägen 21",
              "3#1#7#9", "072-321 65 98", "BDM"),
    "per": ("Per", "Perssonsdotter", date(1945, 5, 14), 985, "Östergårdsgatan 12",
            "5#5#6#6", "073-555 44 33", "OST"),
}  # fmt: skip


def make_privacy_region() -> PrivacyRegion:
    clinic = make_clinic(
        "BDM", name="Barndiabetesmottagningen", street="Rondvägen 10",
        postal_code="41685", city="Göteborg",
    )  # fmt: skip
    other = make_clinic(
        "OST", name="Östra mottagningen", street="Sjukhusvägen 2",
        postal_code="41345", city="Göteborg",
    )  # fmt: skip
    clinics = {"BDM": clinic, "OST": other}
    system = make_system("MiniMed 780G")
    central = make_article("QS9", name="Quick-set 9 mm", systems=[system])
    supplied = make_article(
        "PODX", name="Omnipod Pod", category="pod", channel="supplier",
        supplier="Insulet AB", systems=[system],
    )  # fmt: skip
    pharmacy = make_article(
        "G7", name="Dexcom G7 sensor", category="cgm_sensor", channel="pharmacy",
        pack_size=1, units_per_day=Decimal("0.1"),
    )  # fmt: skip
    make_stock_lot(central, make_depot("HMC"), on_hand=100)

    people: dict[str, Person] = {}
    for key, spec in PEOPLE.items():
        first, last, born, serial, street, door, phone, code = spec
        number = synthetic_personnummer(born, serial)
        patient = make_patient(
            clinics[code], personal_id=number, first_name=first, last_name=last,
            birth_date=born, phone=phone, email=f"{key}@example.se",
            protected_identity=key == "sara",
        )  # fmt: skip
        home = patient.home_address()
        home.street, home.door_code = street, door
        db.session.commit()
        people[key] = Person(
            key, patient, number, last, street, door, phone, code,
            protected=key in ("sara", "stina"),
        )  # fmt: skip

    prescriber = make_user(
        "prescriber", clinics=[clinic], username="doc", email="doc@example.se"
    )
    users = {
        "prescriber": prescriber,
        "prescriber_other": make_user("prescriber", clinics=[other], username="doc2"),
        "patient": make_user("patient", patients=[people["ella"].patient],
                             username="ella"),
        "patient_other": make_user("patient", patients=[people["per"].patient],
                                   username="per"),
        "guardian": make_user(
            "guardian", patients=[people["sara"].patient, people["olle"].patient],
            username="anna", email="anna@example.se",
        ),
        "depot": make_user("depot", username="lager"),
        "manager": make_user("manager", clinics=[clinic], username="chef"),
        "manager_other": make_user("manager", clinics=[other], username="chef2"),
        "region": make_user("region", username="region"),
        "admin": make_user("admin", username="admin"),
    }  # fmt: skip
    ordering_user = {"BDM": prescriber, "OST": users["prescriber_other"]}

    for person in people.values():
        patient = person.patient
        by = ordering_user[person.clinic]
        for article in (central, supplied, pharmacy):
            rx = make_prescription(patient, article, by, packs_per_withdrawal=2)
            person.prescriptions.append(rx.id)
            placed = ordering.place_order(by, patient.id, [(rx.id, 1)])
            person.orders.append(placed.order.id)
        # Last year's cost, paid by the clinic: a clinic follows up the
        # patients whose costs it paid (`cost_centres.paid_where`).
        make_delivered_line(patient, central, date(LAST_YEAR, 6, 15))
        db.session.add(
            PatientYearCost(
                patient_id=patient.id, year=LAST_YEAR, pump_system="MiniMed 780G",
                prescriber_id=by.id, device_cost_sek=Decimal("7500.00"),
                consumables_cost_sek=Decimal("20000.00"),
                total_cost_sek=Decimal("27500.00"),
            )
        )  # fmt: skip
    db.session.commit()
    return PrivacyRegion(clinic, other, users, people)


def protect_after_ordering(region: PrivacyRegion, key: str = "stina") -> None:
    """The prescriber marks protected identity on a patient with open orders."""
    from sesamlike.patients import services as patients

    person = region.person(key)
    patients.update_contact(
        region.users["prescriber"],
        person.id,
        # The contact form as shown: prefilled with the phone and e-mail.
        {
            "protected_identity": True,
            "phone": person.phone,
            "email": f"{key}@example.se",
        },
    )
