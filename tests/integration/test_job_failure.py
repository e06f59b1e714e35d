"""A failed scheduler job leaves earlier results intact and shows on the job page."""

import sqlalchemy as sa

from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.followup import staging
from sesamlike.followup.models import PatientYearCost
from sesamlike.jobs import run_named
from sesamlike.orders.history import import_deliveries_text
from sesamlike.patients.models import Patient
from tests.factories import make_user


def figures() -> list[tuple]:
    return db.session.execute(
        sa.select(
            PatientYearCost.patient_id,
            PatientYearCost.year,
            PatientYearCost.total_cost_sek,
            PatientYearCost.pump_system,
        ).order_by(PatientYearCost.patient_id, PatientYearCost.year)
    ).all()


def test_failed_followup_run_keeps_earlier_results_and_is_reported(
    runner, client, auth, monkeypatch
):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    first = run_named("followup_nightly")
    assert first.outcome == "succeeded", first.message
    before = figures()
    assert before, "the demo region has costs to follow up"

    # New history arrives, then the next run breaks half-way.
    patient = db.session.scalar(sa.select(Patient).order_by(Patient.id).limit(1))
    today = region_today()
    import_deliveries_text(
        "personal_id,article_no,packs,channel,delivered_on,serial_no,returned_on\n"
        f"{patient.personal_id},{_consumable_no()},3,central,{today},,\n"
    )
    db.session.commit()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full while removing stale rows")

    monkeypatch.setattr(staging, "remove_stale", broken)
    failed = run_named("followup_nightly")
    assert failed.outcome == "failed"
    db.session.expire_all()
    assert figures() == before  # nothing half-written

    make_user("admin", username="root")
    auth.login("root")
    page = client.get("/admin/jobs?failed=1").text
    assert "followup_nightly" in page and "disk full while removing stale rows" in page

    monkeypatch.undo()
    again = run_named("followup_nightly")
    assert again.outcome == "succeeded"
    db.session.expire_all()
    after = figures()
    assert after != before  # the new delivery is now counted
    full = runner.invoke(args=["followup", "run", "--year", str(today.year), "--full"])
    assert full.exit_code == 0, full.output
    db.session.expire_all()
    assert figures() == after  # the rerun gave what a full recompute gives


def _consumable_no() -> str:
    from sesamlike.catalog.models import Article

    return db.session.scalar(
        sa.select(Article.article_no)
        .where(Article.category == "infusion_set", Article.valid_to.is_(None))
        .limit(1)
    )
