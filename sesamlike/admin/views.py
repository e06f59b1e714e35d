"""Admin pages that span every area: periodic jobs and their runs."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from sesamlike.accounts.forms import EmptyForm
from sesamlike.accounts.models import Role
from sesamlike.common.i18n import _, get_locale
from sesamlike.common.jobruns import FAILED_OUTCOMES
from sesamlike.common.models import JobRun
from sesamlike.common.time import utcnow
from sesamlike.extensions import db
from sesamlike.jobs import (
    JOBS,
    count_label,
    job_named,
    last_heartbeat,
    request_run,
    scheduler_alive,
)

bp = Blueprint("admin", __name__, url_prefix="/admin")
RUNS_SHOWN = 100


@bp.before_request
@login_required
def admins_only():
    if current_user.role != Role.ADMIN:
        abort(403)


@bp.route("/jobs")
def jobs():
    """List periodic jobs, their latest runs and failures."""
    only_failed = request.args.get("failed") == "1"
    query = sa.select(JobRun).order_by(JobRun.id.desc()).limit(RUNS_SHOWN)
    if only_failed:
        query = query.where(JobRun.outcome.in_(FAILED_OUTCOMES))
    runs = db.session.scalars(query).all()
    latest = {
        run.job_name: run
        for run in db.session.scalars(
            sa.select(JobRun).where(
                JobRun.id.in_(
                    sa.select(sa.func.max(JobRun.id)).group_by(JobRun.job_name)
                )
            )
        )
    }
    failures = dict(
        db.session.execute(
            sa.select(JobRun.job_name, sa.func.count())
            .where(JobRun.outcome.in_(FAILED_OUTCOMES))
            .group_by(JobRun.job_name)
        ).all()
    )
    now = utcnow()
    locale = get_locale()
    schedules = {
        job.name: (
            job.schedule_text(locale),
            job.next_run(
                now, latest[job.name].started_at if job.name in latest else None
            ),
        )
        for job in JOBS
    }
    return render_template(
        "admin/jobs.html",
        jobs=JOBS,
        runs=runs,
        latest=latest,
        failures=failures,
        only_failed=only_failed,
        schedules=schedules,
        count_label=count_label,
        heartbeat=last_heartbeat(),
        scheduler_alive=scheduler_alive(now),
    )


@bp.route("/jobs/<name>/run", methods=["POST"])
def run_now(name: str):
    """Ask the scheduler to run a job now."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        job_named(name)
    except KeyError:
        abort(404)
    request_run(name)
    if scheduler_alive(utcnow()):
        flash(_("Körningen är beställd och startar inom en halv minut."), "success")
    else:  # the page says no scheduler runs: promise nothing it cannot keep
        flash(
            _("Körningen är beställd. Den startar när schemaläggaren startas."), "info"
        )
    return redirect(url_for("admin.jobs"))


from sesamlike.admin import (  # noqa: E402,F401  (routes on bp)
    audit_views,
    clinics_views,
    patients_views,
    users_views,
)
