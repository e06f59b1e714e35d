"""Patient-year costs keep room on their pages for updates in place (PostgreSQL).

Reviewed by hand (issue 19):
- patient_year_costs gets fillfactor 90: its pages are filled to 90 %, so a
  row a run rewrites gets its new version on the same page. No indexed column
  changes when a run rewrites a row (amounts, systems, prescriber, time; not
  patient, year or id), so PostgreSQL then writes no index entry for it (a
  heap-only update). Before, each rewritten row had a new entry in all three
  of the table's indexes, each a page read and written at a random place.
  An incremental run at 500,000 patients x 5 years rewrites 5,000 rows: its
  upsert took 56-102 ms (mean 83) against 89-145 ms (mean 123) with full
  pages, every update heap-only against 1 in 14 (bench machine, 3 runs of
  each, twice).
- The table grows by a ninth (a year at 500,000 patients: 61 MB). Full
  runs read it once, beside 2.7 GB of order lines.
- ALTER TABLE ... SET (fillfactor) takes a brief lock and rewrites nothing:
  pages filled from now on keep the room (a run fills them when it writes a
  year; VACUUM FULL would repack the rest at once, not needed).
- Not patient_year_payers: a run replaces a patient's payers (DELETE and
  INSERT); updating them in place instead was measured no faster (it must
  find each row three times: to update, to insert what is new, to delete
  what is gone).
- SQLite has no fillfactor: nothing to do there. Downgrade restores 100.

Revision ID: 0029_costs_room_to_update
Revises: 0028_replacements_by_patient
Create Date: 2026-12-05 02:30:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0029_costs_room_to_update"
down_revision = "0028_replacements_by_patient"
branch_labels = None
depends_on = None


def _fillfactor(percent: int) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE patient_year_costs SET (fillfactor = {percent})")


def upgrade():
    _fillfactor(90)


def downgrade():
    _fillfactor(100)
