"""Time the follow-up report page on a database that has its costs computed.

    .venv/bin/python bench/followup_report.py --database-url URL [--year Y]
        [--repeat 10] [--profile]

For the largest clinic (its manager) and for the whole region (a region user):
the median wall time and the median CPU time of this process (the app's own
work: Python, the driver; the database server's is in the wall time only) over
`--repeat` requests through the Flask test client, and the queries per request.
With --profile, the functions the region's request spent most time in.
Prints figures only; asserts nothing about them.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.databases import report_users  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--year", type=int, default=date.today().year - 1)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("SESAMLIKE_INSTANCE", tempfile.mkdtemp(prefix="bench-"))
    from sesamlike import create_app
    from sesamlike.config import Config
    from sesamlike.extensions import db

    app = create_app(Config())
    app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context():
        row, suffix = report_users(db)
        engine = db.engine
    queries = [0]
    sa.event.listen(engine, "before_cursor_execute",
                    lambda *a, **k: queries.__setitem__(0, queries[0] + 1))  # fmt: skip
    for who, path, what in (
        ("chef", f"/followup/?year={args.year}&clinic={row.code}",
         f"clinic {row.code} ({row.n} patients)"),
        ("region", f"/followup/?year={args.year}", "whole region"),
    ):  # fmt: skip
        client = app.test_client()
        client.post("/login", data={"username": f"bench-{who}-{suffix}",
                                    "password": "bench-password-1"})  # fmt: skip
        assert client.get(path).status_code == 200
        walls, cpus = [], []
        queries[0] = 0
        for _ in range(args.repeat):
            wall, cpu = time.perf_counter(), time.process_time()
            response = client.get(path)
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
            assert response.status_code == 200
        print(f"report page, {what}: wall median {1000 * statistics.median(walls):.0f}"
              f" ms (min {1000 * min(walls):.0f}), CPU median "
              f"{1000 * statistics.median(cpus):.0f} ms, "
              f"{queries[0] / args.repeat:.0f} queries")  # fmt: skip
        if args.profile:
            profile = cProfile.Profile()
            profile.enable()
            client.get(path)
            profile.disable()
            pstats.Stats(profile).sort_stats("cumulative").print_stats(30)


if __name__ == "__main__":
    main()
