"""Job runs that finished with failed items are "partial", not "succeeded".

Reviewed by hand:
- No schema change: `job_runs.outcome` (String(12)) gets a new value,
  "partial", which the application writes from now on for a run whose counts
  name failed items (sesamlike/common/jobruns.py: `failed`, `gave_up`,
  `warm_failed`), such as a send_mail run that reached no SMTP server. The
  jobs page counts and filters such runs with the failed ones.
- This revision gives the runs recorded before it the same outcome, so the
  page's history says the same as its new runs: one UPDATE of the succeeded
  runs whose counts name a failed item (a scan of job_runs; the counts are the
  jobs' own integers). The downgrade calls them succeeded again.

Revision ID: 0033_job_runs_partial
Revises: 0032_usernames_by_lower_case
Create Date: 2026-12-05 10:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0033_job_runs_partial"
down_revision = "0032_usernames_by_lower_case"
branch_labels = None
depends_on = None

ITEM_FAILURE_COUNTS = ("failed", "gave_up", "warm_failed")
job_runs = sa.table(
    "job_runs", sa.column("outcome", sa.String(12)), sa.column("counts", sa.JSON)
)


def upgrade():
    items_failed = sa.or_(
        *(job_runs.c.counts[key].as_integer() > 0 for key in ITEM_FAILURE_COUNTS)
    )
    op.execute(
        job_runs.update()
        .where(job_runs.c.outcome == "succeeded", items_failed)
        .values(outcome="partial")
    )


def downgrade():
    op.execute(
        job_runs.update()
        .where(job_runs.c.outcome == "partial")
        .values(outcome="succeeded")
    )
