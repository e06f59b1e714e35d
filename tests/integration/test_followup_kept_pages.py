"""The follow-up pages that read the year's lines (channels and places,
articles and over-use) are kept until the next run of the year, as the lines
were when the nightly warming computed them right after the run; a system's
page reads only that system's rows. Either way they show what computing
afresh shows."""

from datetime import date

import pytest
import sqlalchemy as sa

from sesamlike.common.formatting import format_amount
from sesamlike.extensions import db
from sesamlike.followup import breakdowns, charts, jobs, report
from sesamlike.followup.models import ReportFigures
from sesamlike.followup.runs import run_year
from sesamlike.followup.scope import resolve
from sesamlike.followup.stats import summarise
from sesamlike.prescriptions.models import Prescription
from tests import factories as f
from tests.calls import count_calls
from tests.conftest import is_postgres
from tests.integration import test_followup_report_figures as report_figures
from tests.integration.test_followup_report_figures import THRESHOLD, YEARS
from tests.integration.test_followup_warming import NIGHT, postgres_only

world = report_figures.world  # the fixture: three clinics, run for both years


@pytest.fixture
def computed(monkeypatch):
    """Counts the pages' computations over the year's lines."""
    return count_calls(
        monkeypatch, (breakdowns, "_place_sums"), (report, "_articles_and_overuse")
    )


def codes(world) -> list[str | None]:
    return [None] + [clinic.code for clinic in world["clinics"]]


def pages(region, world) -> dict:
    """Each scope's channels and articles of both years, as the pages read them."""
    found = {}
    for year in YEARS:
        for code in codes(world):
            scope = resolve(region, code)
            found[year, code] = (
                breakdowns.channels_and_places(scope, year),
                report.articles_and_overuse(scope, year),
            )
    return found


def afresh(region, world) -> dict:
    db.session.execute(sa.delete(ReportFigures))
    db.session.commit()
    return pages(region, world)


@postgres_only
def test_after_the_nightly_job_the_pages_read_kept_figures_as_computed_afresh(
    world, computed, client, auth
):
    jobs.run(NIGHT)
    assert computed == {"_place_sums": 8, "_articles_and_overuse": 8}  # warmed
    computed.update(_place_sums=0, _articles_and_overuse=0)
    region = f.make_user("region")
    auth.login(region.username)
    for year in YEARS:
        for code in codes(world):
            clinic = f"&clinic={code}" if code else ""
            for page in ("channels", "articles", "articles.csv"):
                path = f"/followup/{page}?year={year}{clinic}"
                assert client.get(path).status_code == 200, path
            # The over-use count is the run's; the list it links to is now's.
            articles = client.get(f"/followup/articles?year={year}{clinic}").text
            assert "Sidans siffror räknades när årets kostnader" in articles
    kept = pages(region, world)
    assert computed == {"_place_sums": 0, "_articles_and_overuse": 0}

    fresh = afresh(region, world)
    assert computed == {"_place_sums": 8, "_articles_and_overuse": 8}
    assert kept == fresh
    channels, places = kept[2025, None][0].channels, kept[2025, None][0].places
    assert {c.channel for c in channels} == {"central", "supplier", "pharmacy"}
    assert sum(places.values()) > 0 and kept[2025, None][1][0]


@postgres_only
def test_a_delivery_after_the_run_shows_once_the_next_run_has_counted_it(world):
    region = f.make_user("region")
    scope = resolve(region, None)
    shown = breakdowns.channels_and_places(scope, 2025)  # kept now
    articles, _overuse = report.articles_and_overuse(scope, 2025)
    prescription = db.session.scalars(
        sa.select(Prescription).order_by(Prescription.id).limit(1)
    ).one()
    f.make_delivery(prescription.patient, prescription, date(2025, 5, 20), packs=2)

    # As the run counted the lines: the heading's day, the report's figures.
    assert breakdowns.channels_and_places(scope, 2025) == shown
    assert report.articles_and_overuse(scope, 2025)[0] == articles
    run_year(2025)
    after = breakdowns.channels_and_places(scope, 2025)
    assert after.channel_total.lines == shown.channel_total.lines + 1
    number = prescription.article.article_no
    lines = {row.article_no: row.lines for row in articles}
    after_lines = {row.article_no: row.lines
                   for row in report.articles_and_overuse(scope, 2025)[0]}  # fmt: skip
    assert after_lines[number] == lines[number] + 1
    assert after == afresh(region, world)[2025, None][0]


def test_a_systems_page_has_the_statistics_and_histogram_of_its_patients(world):
    """Each system's page, and that of the patients without one, for every
    scope: the statistics and histogram of the costs of those patients' rows."""
    region = f.make_user("region")
    names_seen = set()
    for year in YEARS:
        for code in codes(world):
            scope = resolve(region, code)
            rows = report.cost_rows(scope, year)
            for kind, column in (("pump", "pump_system"), ("cgm", "cgm_system")):
                names = {getattr(row, column) or "" for row in rows}
                names_seen |= names
                for name in names | {"Ingen sådan"}:
                    costs = [row.total_cost_sek for row in rows
                             if (getattr(row, column) or "") == name]  # fmt: skip
                    found = report.system_costs(scope, year, kind, name, THRESHOLD)
                    assert found.summary == summarise(costs), (year, code, name)
                    assert charts.histogram_of(
                        found.maximum, found.counts, "t", "d", "kr"
                    ) == charts.histogram(costs, "t", "d", "kr"), (year, code, name)
    assert {"MiniMed 640G", "t:slim X2", "Dexcom G6", ""} <= names_seen


def test_a_systems_histogram_counts_a_cost_just_below_a_boundary_in_its_interval():
    """The interval is the whole part of cost / maximum x 20, as charts.histogram
    counts it: 109,999.99 kr of a 200,000 kr axis is in the 11th, not the 12th,
    and 9,999.99 kr in the first."""
    from decimal import Decimal

    from sesamlike.followup.models import PatientYearCost

    costs = [Decimal("109999.99"), Decimal("110000.00"), Decimal("199999.99"),
             Decimal("200000.00"), Decimal("9999.99"), Decimal("0.00")]  # fmt: skip
    for cost in costs:
        patient = f.make_patient()
        db.session.add(PatientYearCost(
            patient_id=patient.id, year=2025, pump_system="X", cgm_system=None,
            device_cost_sek=Decimal("0.00"), consumables_cost_sek=cost,
            total_cost_sek=cost))  # fmt: skip
    db.session.commit()
    region = resolve(f.make_user("region"), None)

    found = report.system_costs(region, 2025, "pump", "X", THRESHOLD)

    assert found.maximum == 200000.0  # intervals of 10,000 kr
    expected = [0] * 20
    for interval in (10, 11, 19, 19, 0, 0):
        expected[interval] += 1
    assert found.counts == expected
    assert charts.histogram_of(found.maximum, found.counts, "t", "d", "kr") == (
        charts.histogram(costs, "t", "d", "kr")
    )


def test_a_systems_page_shows_its_patients_statistics(world, client, auth):
    region = f.make_user("region")
    auth.login(region.username)
    articles = client.get("/followup/articles?year=2025").text
    kept = "Sidans siffror räknades när årets kostnader"
    assert (kept in articles) == is_postgres()  # SQLite counts the lines now
    costs = [row.total_cost_sek for row in report.cost_rows(resolve(region, None), 2025)
             if row.pump_system == "MiniMed 640G"]  # fmt: skip
    page = client.get("/followup/system/pump?year=2025&name=MiniMed+640G").text
    assert "<svg" in page
    assert f"{len(costs)} patienter</a>" in page
    assert format_amount(summarise(costs).median) in page
