"""Job runs: locks across processes, recorded outcomes, run-now requests."""

import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from sesamlike import jobs
from sesamlike.common.jobruns import job_lock, run_job
from sesamlike.common.models import JobRun
from sesamlike.extensions import db
from tests.factories import make_clinic

ROOT = Path(__file__).resolve().parents[2]


def test_every_listed_job_resolves_to_a_function():
    assert jobs.JOBS
    for job in jobs.JOBS:
        assert callable(job.function()), job.name
        assert bool(job.cron) != bool(job.every_seconds), job.name


def test_the_nightly_prune_runs_as_a_job_with_its_counts_in_words():
    run = jobs.run_named("prune_data_changes")
    stored = db.session.get(JobRun, run.id)
    assert stored.outcome == "succeeded"
    assert set(stored.counts) == {"patient_changes", "catalogue_changes",
                                  "grouping_changes"}  # fmt: skip
    with_words = [jobs.count_label(key) for key in stored.counts]
    assert with_words == ["rader om ändrade patientdata", "rader om ändrade artiklar",
                          "rader om ändrat födelsedatum eller diabetestyp"]  # fmt: skip


def test_a_successful_run_is_recorded_with_its_counts():
    run = run_job("demo_job", lambda now: {"sent": 3})
    stored = db.session.get(JobRun, run.id)
    assert stored.outcome == "succeeded"
    assert stored.counts == {"sent": 3}
    assert stored.finished_at >= stored.started_at


def test_a_failed_run_keeps_earlier_results_and_records_the_error():
    make_clinic("KEEP")

    def failing(now):
        make_clinic("HALF")  # committed by the factory: a job's own earlier step
        db.session.add(
            make_clinic.__globals__["Clinic"](code="LOST", name="x", cost_centre="1")
        )
        raise RuntimeError("supplier file missing")

    run = run_job("failing_job", failing)
    assert run.outcome == "failed"
    assert "supplier file missing" in run.message
    from sesamlike.accounts.models import Clinic

    codes = set(db.session.scalars(sa.select(Clinic.code)))
    assert {"KEEP", "HALF"} <= codes and "LOST" not in codes


def test_a_second_run_while_the_first_holds_the_lock_is_skipped():
    with job_lock("busy_job") as first:
        assert first
        run = run_job("busy_job", lambda now: {"ran": 1})
    assert run.outcome == "skipped"
    assert run_job("busy_job", lambda now: {"ran": 1}).outcome == "succeeded"


def test_two_scheduler_processes_started_together_run_a_job_once(
    database_url, tmp_path
):
    marker = tmp_path / "ran.txt"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [
        sys.executable,
        "-m",
        "tests.jobs_worker",
        database_url,
        "twice",
        "2",
        str(marker),
    ]
    procs = [
        subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outcomes = sorted(p.communicate(timeout=60)[0].strip() for p in procs)
    assert outcomes == ["skipped", "succeeded"], [p.stderr for p in procs]
    assert marker.read_text().count("ran") == 1
    rows = db.session.scalars(
        sa.select(JobRun.outcome).where(JobRun.job_name == "twice")
    )
    assert sorted(rows) == ["skipped", "succeeded"]


def test_many_threads_at_once_run_a_job_once(app):
    barrier = threading.Barrier(5)
    ran = []
    outcomes = []

    def job(now):
        ran.append(1)
        import time

        time.sleep(0.5)
        return {}

    def worker():
        with app.app_context():
            barrier.wait()
            outcomes.append(run_job("threads", job).outcome)
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(ran) == 1
    assert sorted(outcomes) == ["skipped"] * 4 + ["succeeded"]


def test_a_requested_run_is_picked_up_once(monkeypatch):
    calls = []
    monkeypatch.setattr(
        jobs,
        "JOBS",
        (
            jobs.Job(
                "probe", "tests.integration.test_jobs:probe", "x", every_seconds=60
            ),
        ),
    )
    monkeypatch.setattr(sys.modules[__name__], "CALLS", calls, raising=False)
    jobs.request_run("probe")
    assert jobs.run_requested() == 1
    assert jobs.run_requested() == 0
    run = db.session.scalar(sa.select(JobRun))
    assert run.outcome == "succeeded" and run.counts == {"probed": 1}


def probe(now):
    return {"probed": 1}


def test_rerunning_a_job_is_safe(runner):
    first = runner.invoke(args=["jobs", "run", "send_mail"])
    second = runner.invoke(args=["jobs", "run", "send_mail"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output
    assert "succeeded" in first.output and "succeeded" in second.output


def test_unknown_job_name_is_refused(runner):
    result = runner.invoke(args=["jobs", "run", "nope"])
    assert result.exit_code == 1
    assert "Unknown job" in result.output


@pytest.mark.parametrize("role", ["prescriber", "depot", "manager", "region"])
def test_only_admins_see_the_job_page(client, auth, role):
    from tests.factories import make_user

    clinic = make_clinic()
    make_user(
        role,
        clinics=[clinic] if role in ("prescriber", "manager") else [],
        username="x",
    )
    auth.login("x")
    assert client.get("/admin/jobs").status_code == 403
    assert client.post("/admin/jobs/send_mail/run").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(JobRun.id))) == 0


def test_admin_sees_failures_and_can_request_a_run(client, auth):
    from tests.factories import make_user

    make_user("admin", username="root")
    run_job("send_mail", lambda now: (_ for _ in ()).throw(ValueError("smtp down")))
    auth.login("root")
    page = client.get("/admin/jobs?failed=1").text
    assert "smtp down" in page and "misslyckad" in page
    response = client.post("/admin/jobs/send_mail/run")
    assert response.status_code == 302
    requested = db.session.scalar(
        sa.select(JobRun).where(JobRun.outcome == "requested")
    )
    assert requested.job_name == "send_mail"
    assert client.post("/admin/jobs/unknown/run").status_code == 404


def test_jobs_page_says_when_each_job_runs_next_in_swedish(client, auth):
    from tests.factories import make_user

    make_user("admin", username="root")
    auth.login("root")
    page = client.get("/admin/jobs").text
    assert "hour=" not in page and "minute=" not in page
    assert "Vid 06:00" in page  # the reminders, every day at six
    assert "Varje minut" in page  # the mail sender
    assert "Nästa körning" in page


def test_jobs_page_warns_when_no_scheduler_has_reported(client, auth):
    from datetime import timedelta

    from sesamlike.common.models import SchedulerHeartbeat
    from sesamlike.common.time import utcnow
    from tests.factories import make_user

    make_user("admin", username="root")
    auth.login("root")
    assert "Ingen schemaläggare är igång." in client.get("/admin/jobs").text
    stale = utcnow() - timedelta(minutes=10)
    db.session.add(SchedulerHeartbeat(holder="h:1", started_at=stale, seen_at=stale))
    db.session.commit()
    assert "Ingen schemaläggare är igång." in client.get("/admin/jobs").text
    jobs.beat("h:1", stale)
    page = client.get("/admin/jobs").text
    assert "Ingen schemaläggare är igång." not in page
    assert "Schemaläggaren är igång" in page


def test_a_run_requested_with_no_scheduler_does_not_promise_half_a_minute(client, auth):
    """ "Kör nu" said "startar inom en halv minut" above the page's own warning
    that no scheduler runs, so nothing would start."""
    from sesamlike.common.time import utcnow
    from tests.factories import make_user

    make_user("admin", username="root")
    auth.login("root")
    page = client.post("/admin/jobs/send_mail/run", follow_redirects=True).text
    assert "startar inom en halv minut" not in page
    assert "Körningen är beställd. Den startar när schemaläggaren startas." in page
    jobs.beat("h:1", utcnow())
    page = client.post("/admin/jobs/send_mail/run", follow_redirects=True).text
    assert "Körningen är beställd och startar inom en halv minut." in page


def test_next_run_of_a_daily_job_is_the_next_six_oclock_swedish_time():
    from datetime import UTC, datetime

    reminders = jobs.job_named("reminders")
    # 05:30 UTC on 1 December is 06:30 in Stockholm: the next run is tomorrow 06:00.
    next_run = reminders.next_run(datetime(2026, 12, 1, 5, 30, tzinfo=UTC), None)
    assert (next_run.day, next_run.hour, next_run.minute) == (2, 6, 0)
    assert next_run.utcoffset().total_seconds() == 3600


def test_the_weekly_job_names_its_day_in_the_pages_language(client, auth):
    from tests.factories import make_user

    weekly = jobs.job_named("followup_weekly_full")
    assert weekly.schedule_text("sv") == "Vid 03:00, bara på söndag"
    assert weekly.schedule_text("en") == "At 03:00, only on Sunday"
    make_user("admin", username="root")
    auth.login("root")
    page = client.get("/admin/jobs").text
    assert "söndag" in page and "Sunday" not in page


def test_run_counts_and_descriptions_are_words_in_the_pages_language(client, auth):
    from tests.factories import make_user

    make_user("admin", username="root")
    counts = {"runout_reminder": 8, "no_address": 17, "patients_2026": 4}
    run_job("reminders", lambda now: counts)
    auth.login("root")
    page = client.get("/admin/jobs").text
    assert "påminnelser om slutdatum: 8" in page and "utan adress: 17" in page
    assert "patienter 2026: 4" in page
    assert "runout_reminder" not in page and "no_address" not in page

    with client.session_transaction() as session:
        session["locale"] = "en"
    page = client.get("/admin/jobs").text
    assert "run-out reminders: 8" in page and "without an address: 17" in page
    assert "requested FHIR exports and removes expired export files" in page


def _failures_cell(page: str, job_name: str) -> str:
    row = re.search(rf"<strong>{job_name}</strong>.*?</tr>", page, re.DOTALL).group(0)
    return re.search(r'<td class="num">(\d+)</td>', row).group(1)


def test_a_mail_run_that_reached_no_server_counts_as_failed(
    app, client, auth, monkeypatch
):
    """The send_mail run showed "klar" with "misslyckade: 5", the Misslyckade
    column said 0, and "Visa bara misslyckade" said "Inga körningar ännu."."""
    from sesamlike.common.mail import queue_mail
    from tests.factories import make_user
    from tests.smtp import free_port, point_mail_at

    make_user("admin", username="root")
    auth.login("root")
    empty = client.get("/admin/jobs?failed=1").text
    assert "Inga misslyckade körningar." in empty
    assert "Inga körningar ännu." not in empty

    point_mail_at(app, monkeypatch, free_port())  # nothing listens there
    for n in range(5):
        queue_mail(f"anna{n}@example.se", "Ämne", "Text", "password_link", f"k{n}")
    db.session.commit()
    run = jobs.run_named("send_mail")
    assert run.outcome == "partial" and run.counts["failed"] == 5
    run_job("send_mail", lambda now: {"sent": 0, "failed": 0, "gave_up": 0})

    page = client.get("/admin/jobs").text
    assert _failures_cell(page, "send_mail") == "1"
    assert "delvis misslyckad" in page
    failed = client.get("/admin/jobs?failed=1").text
    assert "misslyckade: 5" in failed and "misslyckade: 0" not in failed
    assert "Inga misslyckade körningar." not in failed


def test_a_run_with_failed_items_is_partial_and_one_without_succeeded():
    for counts, outcome in (
        ({"sent": 3, "failed": 0, "gave_up": 0}, "succeeded"),
        ({"sent": 3, "failed": 0, "gave_up": 1}, "partial"),
        ({"exports": 1, "failed": 2, "expired": 0}, "partial"),
        ({"patients": 9, "warm_failed": 1}, "partial"),
        ({"sent": 2}, "succeeded"),
    ):
        assert run_job("some_job", lambda now, c=counts: c).outcome == outcome, counts


def test_a_run_requested_while_its_job_runs_waits_and_runs_after(monkeypatch):
    """ "Kör nu" while the job's periodic run is under way: the request waits
    for the scheduler's next poll and runs then. Before, it was recorded as
    skipped and never ran (make run's test saw it now and then)."""
    monkeypatch.setattr(
        jobs,
        "JOBS",
        (
            jobs.Job(
                "probe", "tests.integration.test_jobs:probe", "x", every_seconds=60
            ),
        ),
    )
    requested = jobs.request_run("probe")
    with job_lock("probe") as locked:  # the periodic run, under way
        assert locked
        assert jobs.run_requested() == 0
        db.session.expire_all()
        assert db.session.get(JobRun, requested.id).outcome == "requested"
    assert jobs.run_requested() == 1
    db.session.expire_all()
    run = db.session.get(JobRun, requested.id)
    assert run.outcome == "succeeded" and run.counts == {"probed": 1}
    assert db.session.scalar(sa.select(sa.func.count(JobRun.id))) == 1
