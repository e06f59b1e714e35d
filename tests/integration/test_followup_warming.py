"""The report's default figures are kept right after the follow-up run
(`warming`), so the first report after the night computes nothing: for the
region and for each clinic, the same figures as the per-patient rows."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from sesamlike.extensions import db
from sesamlike.followup import (
    clinic_comparison,
    jobs,
    report,
    summaries,
    system_parts,
    warming,
)
from sesamlike.followup.models import FollowupRun, ReportFigures
from sesamlike.followup.scope import resolve
from tests import factories as f
from tests.calls import count_calls
from tests.conftest import is_postgres
from tests.integration import test_followup_report_figures as report_figures
from tests.integration.test_followup_report_figures import (
    THRESHOLD,
    YEARS,
    expected_report,
    expected_trend,
    rows_in,
    shown_report,
)

world = report_figures.world  # the fixture: three clinics, run for both years
two_clinics = report_figures.two_clinics
NIGHT = datetime(2025, 6, 1, 2, 0, tzinfo=UTC)  # the job computes 2024 and 2025
postgres_only = pytest.mark.skipif(
    not is_postgres(), reason="figures are kept on PostgreSQL only"
)


@pytest.fixture
def computed(monkeypatch, app):
    """Counts what the report computes over every patient-year (the figures,
    the cost centre sums, the trend) instead of reading kept figures."""
    monkeypatch.setitem(app.config, "HIGH_COST_THRESHOLD_SEK", int(THRESHOLD))
    return count_calls(
        monkeypatch,
        (summaries, "figures"),
        (system_parts, "cost_centre_sums"),
        (report, "trend"),
        (system_parts, "_without_cgm"),
    )


@postgres_only
def test_after_the_job_the_region_and_each_clinic_read_kept_figures(
    world, computed, client, auth
):
    counts = jobs.run(NIGHT)

    clinics = world["clinics"]
    assert counts["warmed_scopes"] == 1 + len(clinics)
    assert counts["warm_failed"] == 0 and counts["warm_ms"] >= 0
    assert computed["figures"] > 0  # by the warming
    # figures, cost centres, pump systems without CGM, channels and articles
    # per scope and year, trend per scope
    kept = db.session.scalar(sa.select(sa.func.count(ReportFigures.id)))
    assert kept == (1 + len(clinics)) * (5 * len(YEARS) + 1)
    for name in computed:
        computed[name] = 0

    region = f.make_user("region")
    auth.login(region.username)
    for year in YEARS:
        for code in [None] + [c.code for c in clinics]:
            clinic = f"&clinic={code}" if code else ""
            assert client.get(f"/followup/?year={year}{clinic}").status_code == 200
    # The page's own figures: the default high-cost line, from kept figures.
    for year in YEARS:
        for clinic in [None, *clinics]:
            scope = resolve(region, clinic.code if clinic else None)
            ids = [clinic.id] if clinic else None
            built = report.build(scope, year, warming.default_threshold())
            assert shown_report(built) == expected_report(rows_in(year, ids), year)
            assert [(t.year, t.patients, t.total, t.mean) for t in built.trend] == (
                expected_trend(ids)
            )
            system_parts.cost_centres(scope, year)
            system_parts.pump_systems_without_cgm(scope, year)
    assert computed == {
        "figures": 0,
        "cost_centre_sums": 0,
        "trend": 0,
        "_without_cgm": 0,
    }


@postgres_only
def test_after_the_job_the_reports_other_pages_read_kept_figures(
    world, computed, client, auth
):
    """The pages that read a scope's figures without a high-cost line of
    their own (the clinics side by side, articles, channels, a system's)
    read those the warming kept, with the report's default line. Before,
    they asked without one, found none kept and computed them again on the
    first view after each night: the region's clinics page 7-9 s and its
    articles page 2.8 s at 500,000 patients."""
    jobs.run(NIGHT)
    for name in computed:
        computed[name] = 0
    region = f.make_user("region")
    auth.login(region.username)
    for year in YEARS:
        page = client.get(f"/followup/clinics?year={year}")
        assert page.status_code == 200
        for clinic in world["clinics"]:
            assert clinic.name in page.text
        for code in [None] + [c.code for c in world["clinics"]]:
            clinic = f"&clinic={code}" if code else ""
            for path in ("articles", "channels", "system/pump"):
                answer = client.get(f"/followup/{path}?year={year}{clinic}")
                assert answer.status_code == 200, path
    assert computed["figures"] == 0


@postgres_only
def test_the_clinics_side_by_side_read_every_clinics_kept_figures_at_once(
    world, computed, client, auth
):
    """The region's clinics page reads the kept figures of all its clinics
    in one statement (four statements a clinic before: 172 at 43 clinics),
    shows each clinic's own report's figures, and computes (and keeps again)
    only a clinic whose figures are not kept."""
    jobs.run(NIGHT)
    clinics = world["clinics"]
    region = f.make_user("region")
    auth.login(region.username)

    def figure_reads() -> tuple[int, int]:
        statements = []

        def keep(_conn, _cursor, statement, *_args):
            statements.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", keep)
        try:
            page = client.get("/followup/clinics?year=2025")
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", keep)
        assert page.status_code == 200
        shown = {c.name: page.text.index(c.name) for c in clinics}
        assert sorted(shown, key=shown.get) == sorted(c.name for c in clinics)
        reads = [s for s in statements if "FROM followup_report_figures" in s]
        return len(reads), len(statements)

    for name in computed:
        computed[name] = 0
    reads, all_of_them = figure_reads()
    assert reads == 1
    assert computed["figures"] == 0
    assert all_of_them < 4 * len(clinics)
    assert clinics_shown(region) == clinics_expected(clinics)

    # One clinic's kept figures gone (a new key, say): that clinic alone is
    # computed, and kept again for the next view.
    gone = stored_key(resolve(region, clinics[1].code), 2025)
    db.session.execute(sa.delete(ReportFigures).where(ReportFigures.key == gone))
    db.session.commit()
    figure_reads()
    assert computed["figures"] == 1
    assert (
        db.session.scalar(sa.select(sa.func.count()).where(ReportFigures.key == gone))
        == 1
    )
    assert clinics_shown(region) == clinics_expected(clinics)
    figure_reads()
    assert computed["figures"] == 1
    assert clinics_shown(region) == clinics_expected(clinics)


def clinics_shown(region) -> dict:
    """Each clinic's row of the clinics page: its summary of the year."""
    rows = clinic_comparison.clinic_rows(resolve(region, None), 2025)
    return {row.clinic.code: row.summary for row in rows}


def clinics_expected(clinics) -> dict:
    """Each clinic's summary by `stats` over its patients' stored rows."""
    return {
        clinic.code: expected_report(rows_in(2025, [clinic.id]), 2025)["overall"]
        for clinic in clinics
    }


def stored_key(scope, year) -> str:
    from sesamlike.followup import stored_figures

    return stored_figures.scope_key("figures", scope, year, warming.default_threshold())


def test_on_sqlite_nothing_is_warmed(world, computed):
    if is_postgres():
        pytest.skip("SQLite keeps nothing")
    counts = jobs.run(NIGHT)
    assert (counts["warmed_scopes"], counts["warm_failed"]) == (0, 0)
    assert computed["figures"] == 0


@postgres_only
def test_a_failure_while_warming_fails_neither_the_job_nor_its_run(
    world, computed, monkeypatch, client, auth
):
    runs_before = db.session.scalar(sa.select(sa.func.count(FollowupRun.id)))

    def fails(*args, **kwargs):
        raise RuntimeError("the database went away")

    with monkeypatch.context() as patched:
        patched.setattr(summaries, "figures", fails)
        counts = jobs.run(NIGHT)

    assert (counts["warmed_scopes"], counts["warm_failed"]) == (0, 1)
    assert counts["patients"] >= 0
    runs_after = db.session.scalar(sa.select(sa.func.count(FollowupRun.id)))
    assert runs_after == runs_before + len(YEARS)
    # The report computes as before.
    region = f.make_user("region")
    auth.login(region.username)
    assert client.get("/followup/?year=2025").status_code == 200
    built = report.build(resolve(region, None), 2025, THRESHOLD)
    assert shown_report(built) == expected_report(rows_in(2025, None), 2025)


@postgres_only
def test_followup_run_warms_unless_told_not_to(world, computed, runner):
    result = runner.invoke(args=["followup", "run", "--year", "2025", "--no-warm"])
    assert result.exit_code == 0, result.output
    assert "Report figures" not in result.output
    assert db.session.scalar(sa.select(sa.func.count(ReportFigures.id))) == 0

    result = runner.invoke(args=["followup", "run", "--year", "2025"])
    assert result.exit_code == 0, result.output
    assert "Report figures of 4 scopes (the region and each clinic) kept in" in (
        result.output
    )
    for name in computed:
        computed[name] = 0
    region = f.make_user("region")
    for clinic in (None, "NORR"):
        report.build(resolve(region, clinic), 2025, THRESHOLD)
    assert computed["figures"] == 0


def test_only_a_changed_birth_date_or_diabetes_type_changes_the_data_token(
    two_clinics,
):
    """The kept figures' check reads what the report groups patients by (age
    group, diabetes type: migration 0043): a new patient (no cost before a
    run) and a changed phone number keep it; a changed diabetes type moves it.
    (It read the patients' last change of any kind before.)"""
    from sesamlike.followup import stored_figures
    from sesamlike.followup.runs import run_year

    north, _south, _sets, patient = two_clinics
    run_year(2025)
    before = stored_figures.data_token(2025)
    assert before is not None and stored_figures.data_token(2025) == before
    f.make_patient(north)
    patient.phone = "070-111 22 33"
    db.session.commit()
    assert stored_figures.data_token(2025) == before
    patient.diabetes_type = "type2" if patient.diabetes_type != "type2" else "type1"
    db.session.commit()
    assert stored_figures.data_token(2025) != before


def a_patient_with_costs():
    from sesamlike.followup.models import PatientYearCost
    from sesamlike.patients.models import Patient

    found = sa.select(PatientYearCost.patient_id).where(PatientYearCost.year == 2025)
    return db.session.get(Patient, db.session.scalars(found.limit(1)).one())


def other_type(patient) -> str:
    return "type2" if patient.diabetes_type != "type2" else "type1"


def fresh_reports(region, clinics) -> dict:
    """Every scope's report of both years as the data says now, computed
    (nothing kept read)."""
    db.session.execute(sa.delete(ReportFigures))
    db.session.commit()
    return reports(region, clinics)


def reports(region, clinics) -> dict:
    """Every scope's report of both years at the default high-cost line."""
    return {
        (year, clinic.code if clinic else None): report.build(
            resolve(region, clinic.code if clinic else None),
            year,
            warming.default_threshold(),
        )
        for year in YEARS
        for clinic in [None, *clinics]
    }


@postgres_only
def test_the_rewarm_job_keeps_the_figures_again_once_a_diabetes_type_changed(
    world, computed
):
    """Every ten minutes: nothing while the nightly warming's figures are still
    kept (a phone number changed keeps them); after a diabetes type changed,
    the region and each clinic are warmed again, with the change, so no
    report computes. A region report made in between (its scope kept again)
    does not stop the clinics from being warmed."""
    jobs.run(NIGHT)
    patient = a_patient_with_costs()
    patient.phone = "070-222 33 44"
    db.session.commit()
    assert jobs.rewarm(NIGHT) == {"stale_years": 0}

    patient.diabetes_type = other_type(patient)
    db.session.commit()
    region = f.make_user("region")
    report.build(resolve(region, None), 2025, warming.default_threshold())
    counts = jobs.rewarm(NIGHT)

    clinics = world["clinics"]
    assert counts["stale_years"] == len(YEARS)
    assert (counts["warmed_scopes"], counts["warm_failed"]) == (1 + len(clinics), 0)
    for name in computed:
        computed[name] = 0
    kept = reports(region, clinics)
    assert computed["figures"] == 0
    assert jobs.rewarm(NIGHT) == {"stale_years": 0}
    assert kept == fresh_reports(region, clinics)


@postgres_only
def test_the_rewarm_job_waits_for_a_run_under_way_and_after_a_failure(
    world, computed, monkeypatch
):
    from sesamlike.common.models import JobRun

    jobs.run(NIGHT)
    patient = a_patient_with_costs()
    patient.diabetes_type = other_type(patient)
    db.session.commit()
    running = JobRun(job_name="followup_nightly", outcome="running", started_at=NIGHT)
    db.session.add(running)
    db.session.commit()
    assert jobs.rewarm(NIGHT) == {"skipped_during_run": 1}
    # A run left "running" by a stopped scheduler holds nothing back for long.
    cut_off = NIGHT + jobs.RUN_AT_MOST + timedelta(minutes=1)
    assert jobs.rewarm(cut_off)["stale_years"] == len(YEARS)

    patient.diabetes_type = other_type(patient)
    db.session.commit()
    db.session.add(JobRun(job_name="followup_rewarm", outcome="partial",
                          started_at=cut_off))  # fmt: skip
    db.session.commit()
    later = cut_off + jobs.RETRY_AFTER / 2
    assert jobs.rewarm(later) == {"skipped_after_failure": 1}
    assert jobs.rewarm(later + jobs.RETRY_AFTER)["stale_years"] == len(YEARS)


def test_on_sqlite_the_rewarm_job_does_nothing(world, computed):
    if is_postgres():
        pytest.skip("SQLite keeps nothing")
    jobs.run(NIGHT)
    patient = a_patient_with_costs()
    patient.diabetes_type = other_type(patient)
    db.session.commit()
    assert jobs.rewarm(NIGHT) == {"stale_years": 0}
    assert computed["figures"] == 0
