"""Time the follow-up report page on a database that has its costs computed.

    .venv/bin/python bench/followup_report.py --database-url URL [--year Y]
        [--repeat 10] [--profile]

For the largest clinic (its manager) and for the whole region (a region user):
the wall and CPU time of the first request after a run that kept no figures,
the median wall time and the median CPU time of this process (the app's own
work: Python, the driver; the database server's is in the wall time only) over
`--repeat` later requests through the Flask test client, and the queries per
request. Then the warming step the nightly job and `followup run` take after
the run (`followup.warming`: the default figures of the year for the region
and each clinic), its wall and CPU time, and the first request of each page
after it. With --profile, the functions the region's request spent most time
in.
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
    queries, clients = [0], []
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
        # The first report after a run that warmed nothing computes the
        # figures and keeps them (stored_figures, PostgreSQL); the later ones
        # read them.
        _forget_kept_figures(engine)
        wall, cpu = time.perf_counter(), time.process_time()
        assert client.get(path).status_code == 200
        first = time.perf_counter() - wall, time.process_time() - cpu
        clients.append((what, path, client))
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
              f"{queries[0] / args.repeat:.0f} queries; the first after a run "
              f"without warming {1000 * first[0]:.0f} ms (CPU "
              f"{1000 * first[1]:.0f} ms)")  # fmt: skip
        if args.profile:
            profile = cProfile.Profile()
            profile.enable()
            client.get(path)
            profile.disable()
            pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
    _warm_and_first(app, engine, args.year, clients)


def _warm_and_first(app, engine, year: int, clients: list) -> None:
    """As after the nightly run: no figures kept, then the warming step
    (timed: wall and this process's CPU), then the first request of each page."""
    from sesamlike.followup import warming

    _forget_kept_figures(engine)
    with app.app_context():
        wall, cpu = time.perf_counter(), time.process_time()
        warmed = warming.warm([year])
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    state = "FAILED, " if warmed.failed else ""
    print(f"warming after a run ({state}{warmed.scopes} scopes: the region and each "
          f"clinic, year {year}): wall {wall:.2f} s, CPU {cpu:.2f} s")  # fmt: skip
    for what, path, client in clients:
        wall, cpu = time.perf_counter(), time.process_time()
        assert client.get(path).status_code == 200
        print(f"report page, {what}: the first after a warmed run: wall "
              f"{1000 * (time.perf_counter() - wall):.0f} ms, CPU "
              f"{1000 * (time.process_time() - cpu):.0f} ms")  # fmt: skip


def _forget_kept_figures(engine) -> None:
    """As after a run: no figures kept (the table is new in revision 0020)."""
    with engine.begin() as connection:
        if sa.inspect(connection).has_table("followup_report_figures"):
            connection.execute(sa.text("DELETE FROM followup_report_figures"))


if __name__ == "__main__":
    main()
