"""Lists sorted by name are in Swedish order on both databases: A to Z, then Å,
Ä, Ö; "de Vries" under D, "Édouard" under E. Before, they were in code point
order: Ä before Å, lower case and accented capitals after Ö."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from sesamlike.catalog import assortment
from sesamlike.catalog import services as catalog_services
from sesamlike.common.collation import swedish, swedish_key
from sesamlike.extensions import db
from sesamlike.followup import drilldown
from sesamlike.followup.runs import run_year
from sesamlike.followup.scope import resolve
from sesamlike.patients import services as patient_services
from sesamlike.portal import services as portal_services
from tests import factories as f

# In Swedish order.
SURNAMES = ["Andersson", "Dahl", "de Vries", "Édouard", "Ekström", "Yngve",
            "Zetterlund", "Åberg", "Ärlig", "Öberg"]  # fmt: skip
FIRST_NAMES = ["Ebba", "Élise", "Vera", "Zara", "Åsa", "Ärla", "Örjan"]
YEAR = 2025
# Names that differ only in case or accents, or have letters of their own:
# ICU's sv-SE order (PostgreSQL's collation) as the sort key has it.
TRICKY = [
    "Áa", "Ab", "Aberg", "Ali", "ALI", "Ða", "Db", "Đc", "de Vries", "De Vries",
    "Devries", "Edouard", "édouard", "Édouard", "Lind Åberg", "Lind-Åberg",
    "Lindåberg", "Lukas", "Łukasz", "Muller", "Myller", "Müller", "ng", "Ng",
    "Nono", "Ñoño", "O'Brien", "Oberg", "Obrien", "ss", "ß", "Thor", "Þór",
    "van der Berg", "Van Der Berg", "Yngve", "Üwe", "Żak", "Zoe", "Zoë", "åberg",
    "Åberg", "Ęa", "Æble", "ärlig", "Ärlig", "Őb", "Öberg", "Ôc", "Œd", "Ölund",
    "Ølund", "Øster",
]  # fmt: skip


def shuffled(names: list[str]) -> list[str]:
    mixed = list(names)
    random.Random(7).shuffle(mixed)
    return mixed


def test_the_sort_key_gives_swedish_order():
    assert sorted(shuffled(SURNAMES), key=swedish_key) == SURNAMES
    assert sorted(["Üwe", "Yngve", "Ubbe"], key=swedish_key) == ["Ubbe", "Yngve", "Üwe"]


def test_the_sort_key_reads_names_as_postgresqls_swedish_collation():
    assert sorted(shuffled(TRICKY), key=swedish_key) == TRICKY


def test_both_databases_sort_names_as_the_sort_key():
    """PostgreSQL's ICU collation and SQLite's registered one give the tricky
    names the same order as `swedish_key` (the one Python sorts by)."""
    names = sa.union_all(
        *(sa.select(sa.literal(name, sa.String).label("name"))
          for name in shuffled(TRICKY))
    ).subquery()  # fmt: skip
    query = sa.select(names.c.name).order_by(swedish(names.c.name))
    assert db.session.scalars(query).all() == TRICKY


def delivered(clinic, article, **patient) -> None:
    """An adult patient of `clinic` with `article` prescribed and delivered."""
    patient = f.make_patient(clinic, birth_date=date(1990, 1, 1), **patient)
    prescription = f.make_prescription(patient, article, valid_from=date(2025, 1, 1))
    f.make_delivery(patient, prescription, date(2025, 3, 3))


def after_the_run(manager, clinic):
    """The manager's scope of `clinic`, once the year's costs are computed."""
    run_year(YEAR, full=True)
    return resolve(manager, clinic.code)


def drilldown_column(scope, sort: str, column: str, **given) -> list[str]:
    """A column of the drill-down's whole list in the sort's order."""
    filters = drilldown.Filters(sort=sort, **given)
    rows, _total = drilldown.patients(scope, YEAR, filters, per_page=None)
    return [getattr(row, column) for row in rows]


def test_a_prescribers_search_lists_patients_in_swedish_order():
    clinic = f.make_clinic("OWN")
    prescriber = f.make_user("prescriber", clinics=[clinic])
    for last_name in shuffled(SURNAMES):
        f.make_patient(clinic, first_name="Nora", last_name=last_name)
    found = patient_services.search_patients(prescriber, "Nora")
    assert [p.last_name for p in found.patients] == SURNAMES


def test_a_guardians_children_come_in_swedish_order():
    children = [f.make_patient(first_name=name, last_name="Berg",
                               birth_date=date(2016, 5, 1))
                for name in shuffled(FIRST_NAMES)]  # fmt: skip
    guardian = f.make_user("guardian", patients=children)
    assert [c.name.split()[0] for c in portal_services.children(guardian)] == (
        FIRST_NAMES
    )


def test_a_managers_patients_by_name_in_swedish_order_both_ways():
    clinic = f.make_clinic("OWN")
    manager = f.make_user("manager", clinics=[clinic])
    sets = f.make_article(category="infusion_set", pack_price_sek=Decimal("500.00"),
                          channel="central")  # fmt: skip
    for last_name in shuffled(SURNAMES):
        delivered(clinic, sets, first_name="Nora", last_name=last_name)
    scope = after_the_run(manager, clinic)
    assert drilldown_column(scope, "name", "last_name") == SURNAMES
    backwards = drilldown_column(scope, "name", "last_name", reverse=True)
    assert backwards == SURNAMES[::-1]


@pytest.mark.parametrize("role", ["region", "manager"])
def test_the_follow_up_lists_clinics_in_swedish_order(role):
    names = ["Diabetesmottagningen Eksjö", "Diabetesmottagningen Älmhult",
             "Diabetesmottagningen Åre", "Diabetesmottagningen Östersund"]  # fmt: skip
    clinics = [f.make_clinic(name=name) for name in shuffled(names)]
    user = f.make_user(role, clinics=clinics if role == "manager" else [])
    listed = [c.name for c in resolve(user, None).clinics if c.name in names]
    assert listed == [names[0], names[2], names[1], names[3]]


def test_a_managers_patients_by_pump_system_in_swedish_order_both_ways():
    """In code point order "t:slim X2" came after Ypsopump; it is under T."""
    systems = ["Accu-Chek Insight", "t:slim X2", "Ypsopump"]
    clinic = f.make_clinic("OWN")
    manager = f.make_user("manager", clinics=[clinic])
    for name in shuffled(systems):
        pump = f.make_article(category="pump", systems=[f.make_system(name)],
                              pack_price_sek=Decimal("30000.00"), units_per_day=None,
                              amortisation_years=4, pack_size=1, benefit=False,
                              serial_tracked=True)  # fmt: skip
        delivered(clinic, pump)
    scope = after_the_run(manager, clinic)
    assert drilldown_column(scope, "pump_system", "pump_system") == systems
    backwards = drilldown_column(scope, "pump_system", "pump_system", reverse=True)
    assert backwards == systems[::-1]


def test_the_catalogue_and_the_kits_list_systems_in_swedish_order():
    """Pump systems first, each kind A to Ö: "t:slim X2" under T (in code point
    order it came after Ypsopump)."""
    pumps = ["Omnipod 5", "t:slim X2", "Ypsopump"]
    cgms = ["Dexcom G7", "eversense E3", "FreeStyle Libre 3"]
    for name in shuffled(pumps):
        f.make_article(systems=[f.make_system(name)])
    for name in shuffled(cgms):
        f.make_article(category="cgm_sensor", systems=[f.make_system(name, "cgm")])
    assert [s.name for s in catalog_services.list_systems()] == pumps + cgms
    assert [s.name for s in assortment.systems_for_kits()] == pumps + cgms
