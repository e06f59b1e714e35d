"""Benchmark the region's FHIR bulk export ($export): time and size.

    .venv/bin/python bench/fhir_export.py --demo
    .venv/bin/python bench/fhir_export.py --patients 100000 --years 2 \
        [--database-url postgresql://postgres@127.0.0.1:5432/postgres]
    .venv/bin/python bench/fhir_export.py --existing sqlite:////tmp/region.db

Builds its own database (a temporary SQLite file, or a new PostgreSQL database
next to the one the URL names, dropped at the end) and fills it with
`flask --app app db upgrade` and `flask --app app demo load` (the demo region)
or `flask --app app demo generate` (N synthetic patients, Y years of history);
`--existing` measures a database filled before. Then, as the region role:
kick-off of an export of every type, the scheduler job's run of it (the time the
export takes), and per NDJSON file the resources (lines) and bytes; every line
is scanned for anything shaped like a personal identity number. Peak memory
(max RSS) of this process is printed last.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.databases import create_database, dialect, flask  # noqa: E402

REGION_USER = "bench.fhir.region"
# Personnummer or samordningsnummer: 10 or 12 digits, with or without separator.
IDENTITY_NUMBER = re.compile(
    r"(?<![0-9A-Za-z])(?:19|20)?\d{6}[-+]?\d{4}(?![0-9A-Za-z])"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--demo", action="store_true", help="The demo region.")
    source.add_argument("--patients", type=int, help="Synthetic patients.")
    source.add_argument("--existing", help="Measure a database filled before.")
    parser.add_argument("--years", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", help="PostgreSQL server (default SQLite)")
    parser.add_argument("--keep", action="store_true", help="Keep the database.")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-fhir-export-"))
    drop = lambda: None  # noqa: E731
    try:
        if args.existing:
            url = args.existing
        else:
            url, drop = create_database(args.database_url, workdir, "bench_fhir")
        env = {**os.environ, "DATABASE_URL": url, "SESAMLIKE_INSTANCE": str(workdir),
               "FHIR_PSEUDONYM_KEY": os.environ.get("FHIR_PSEUDONYM_KEY",
                                                    "bench-pseudonym-key")}  # fmt: skip
        print(f"database: {dialect(url)}")
        if not args.existing:
            flask(env, "db", "upgrade")
            started = time.perf_counter()
            if args.demo:
                flask(env, "demo", "load")
                what = "demo region"
            else:
                size = ["--patients", str(args.patients), "--years", str(args.years)]
                flask(env, "demo", "generate", *size, "--seed", str(args.seed))
                what = f"{args.patients} patients x {args.years} years"
            print(f"data: {what} in {time.perf_counter() - started:.0f} s")
        username = f"{REGION_USER}-{uuid.uuid4().hex[:6]}"
        flask(env, "users", "create", "--username", username,
               "--password", uuid.uuid4().hex, "--role", "region")  # fmt: skip
        os.environ.update(env)
        _measure()
    finally:
        if not args.keep:
            drop()
        shutil.rmtree(workdir, ignore_errors=True)


def _measure() -> None:
    from sesamlike import create_app
    from sesamlike.accounts.models import Role, User
    from sesamlike.api.fhir import export
    from sesamlike.api.fhir.models import BulkExport, ExportStatus
    from sesamlike.common.time import utcnow
    from sesamlike.extensions import db
    from sesamlike.patients.models import Patient

    app = create_app()
    with app.app_context():
        patients = db.session.scalar(sa.select(sa.func.count()).select_from(Patient))
        user = db.session.scalar(
            sa.select(User).where(User.role == Role.REGION).order_by(User.id.desc())
        )
        print(f"patients: {patients}")
        started = time.perf_counter()
        queued = export.kick_off(user, [], None, "bench")
        kick_off = time.perf_counter() - started
        started, cpu = time.perf_counter(), time.process_time()
        result = export.run_pending(utcnow())
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        done = db.session.get(BulkExport, queued.id)
        assert done.status == ExportStatus.COMPLETED, (result, done.message)
        folder = export.export_root() / done.key
        print(f"kick-off: {kick_off * 1000:.0f} ms; job: {elapsed:.1f} s "
              f"({cpu:.1f} s CPU in this process)")  # fmt: skip
        total_lines = total_bytes = suspicious = 0
        print(f"{'file':<24}{'lines':>12}{'bytes':>16}")
        for item in done.output:
            lines = 0
            with (folder / item["file"]).open(encoding="utf-8") as ndjson:
                for line in ndjson:
                    lines += 1
                    suspicious += bool(IDENTITY_NUMBER.search(line))
            assert lines == item["count"], item
            total_lines += lines
            total_bytes += item["bytes"]
            print(f"{item['file']:<24}{lines:>12,}{item['bytes']:>16,}")
        print(f"{'total: ' + str(len(done.output)) + ' files':<24}"
              f"{total_lines:>12,}{total_bytes:>16,}")  # fmt: skip
        print(f"rate: {total_lines / elapsed:,.0f} resources/s, "
              f"{total_bytes / elapsed / 1e6:.1f} MB/s")  # fmt: skip
        print(f"lines shaped like a personal identity number: {suspicious}")
        export.delete(user, done.key)
        db.engine.dispose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS of this process): {peak:.0f} MB")


if __name__ == "__main__":
    main()
