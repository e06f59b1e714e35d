"""The drill-down's pages, each read on its own (the page's patients found
from their costs first, then their names: a clinic's 25,000 patients are no
longer joined for a page of 100), follow each other as the whole list does,
in every order (each both ways round) and under every filter, with the same
count and the same count of patients left out."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from sesamlike.extensions import db
from sesamlike.followup import drilldown
from sesamlike.followup.models import PatientYearCost
from sesamlike.followup.runs import run_year
from sesamlike.followup.scope import resolve
from sesamlike.patients.identity import AgeGroup
from sesamlike.patients.models import CareRelationship
from tests import factories as f
from tests.integration import test_followup_report_figures as report_figures

YEAR = 2025
PER_PAGE = 4
FILTERS = [
    {},
    *({"age_group": group.value} for group in AgeGroup),
    {"pump_system": ""},
    {"pump_system": "MiniMed 640G"},
    {"cgm_system": "Dexcom G6"},
    {"min_total": Decimal("1000")},
    {"overuse": True},
    {"prescriber": ""},
]


world = report_figures.world  # the fixture


@pytest.fixture
def twins(world):
    """The report's world (three clinics, 30 patients, one who moved from
    NORR to SODR in June 2025), and at NORR three patients whose 2025 costs
    are the same to the öre: the order between them is the patients' ids on
    every page."""
    north = world["clinics"][0]
    sets = f.make_article(category="infusion_set", pack_price_sek=Decimal("777.77"),
                          channel="central")  # fmt: skip
    for _ in range(3):
        twin = f.make_patient(north, birth_date=date(1990, 1, 1))
        prescription = f.make_prescription(twin, sets, valid_from=date(2025, 1, 1))
        f.make_delivery(twin, prescription, date(2025, 2, 2), packs=1)
    run_year(YEAR, full=True)
    return world


def test_a_managers_pages_follow_each_other_as_the_whole_list(twins):
    north = twins["clinics"][0]
    manager = f.make_user("manager", clinics=[north])
    scope = resolve(manager, north.code)
    same_cost = db.session.scalar(
        sa.select(sa.func.count()).where(
            PatientYearCost.year == YEAR,
            PatientYearCost.total_cost_sek == Decimal("777.77"),
        )
    )
    assert same_cost == 3
    pages_follow_the_whole_list(scope, drilldown.SORTS)
    # The mover left NORR's care: in its figures, not in its list.
    paid = report_figures.payers_by_rules(YEAR)[north.id]
    in_care = set(
        db.session.scalars(
            sa.select(CareRelationship.patient_id).where(
                CareRelationship.clinic_id == north.id,
                CareRelationship.ended_on.is_(None),
            )
        )
    )
    assert twins["mover"].id in paid - in_care
    assert drilldown.counts(scope, YEAR, drilldown.Filters()) == (
        len(paid & in_care),
        len(paid - in_care),
    )
    # Under each filter: those of the region's list under it that NORR paid
    # for and no longer cares for (the overuse flag is the scope's own).
    region = resolve(f.make_user("region"), None)
    for given in FILTERS:
        if given.get("overuse"):
            continue
        filters = drilldown.Filters(**given)
        everyone, _total = drilldown.patients(region, YEAR, filters, per_page=None)
        left_out = {row.id for row in everyone} & (paid - in_care)
        assert drilldown.counts(scope, YEAR, filters)[1] == len(left_out), given


def test_the_regions_pages_follow_each_other_as_the_whole_list(twins):
    scope = resolve(f.make_user("region"), None)
    orders = [sort for sort in drilldown.SORTS if sort != "name"]
    pages_follow_the_whole_list(scope, orders)
    assert drilldown.counts(scope, YEAR, drilldown.Filters())[1] == 0


def pages_follow_the_whole_list(scope, orders) -> None:
    checked = 0
    for sort in orders:
        for given in FILTERS:
            natural, _total = drilldown.patients(
                scope, YEAR, drilldown.Filters(sort=sort, **given), per_page=None
            )
            reversed_ = drilldown.Filters(sort=sort, reverse=True, **given)
            backwards, _total = drilldown.patients(
                scope, YEAR, reversed_, per_page=None
            )
            the_other_way_round(sort, natural, backwards)
            checked += pages_follow(scope, drilldown.Filters(sort=sort, **given))
            checked += pages_follow(scope, reversed_)
    assert checked >= len(orders) * 6  # lists of more than one page


def the_other_way_round(sort: str, natural, backwards) -> None:
    """The reversed list runs through the sorted column's values the other
    way (no system still last); patients with the same value keep their
    order (the costliest first within a system, else by id)."""
    column = {"total": "total_cost_sek", "devices": "device_cost_sek",
              "consumables": "consumables_cost_sek", "pump_system": "pump_system",
              "cgm_system": "cgm_system"}  # fmt: skip

    def key(row):
        return (
            (row.last_name, row.first_name)
            if sort == "name"
            else row._mapping[column[sort]]
        )

    def runs(rows):
        found: dict = {}
        for row in rows:
            found.setdefault(key(row), []).append(row.id)
        return found

    assert sorted(row.id for row in natural) == sorted(row.id for row in backwards)
    there, back = runs(natural), runs(backwards)
    values = list(there)
    if None in values:  # no system: last both ways
        values.remove(None)
        assert list(back) == [*reversed(values), None], sort
    else:
        assert list(back) == list(reversed(values)), sort
    assert back == there, sort  # the same patients, in the same order, per value


def pages_follow(scope, filters) -> int:
    """The pages one by one are the whole list; 1 when it is longer than a page."""
    whole, total = drilldown.patients(scope, YEAR, filters, per_page=None)
    assert whole, filters  # every filter lists someone here
    assert drilldown.counts(scope, YEAR, filters)[0] == len(whole)
    paged = []
    pages = drilldown.page_count(len(whole), PER_PAGE)
    for page in range(1, pages + 1):
        rows, total = drilldown.patients(scope, YEAR, filters, page, per_page=PER_PAGE)
        assert total == len(whole), filters
        assert len(rows) == min(PER_PAGE, len(whole) - (page - 1) * PER_PAGE)
        paged.extend(rows)
    assert [tuple(row) for row in paged] == [tuple(row) for row in whole], filters
    # A page past the last shows the last.
    late, _total = drilldown.patients(
        scope, YEAR, filters, pages + 3, per_page=PER_PAGE
    )
    assert [tuple(r) for r in late] == [tuple(r) for r in paged[-len(late) :]]
    return int(len(whole) > PER_PAGE)
