"""CPU per request of the patient portal, in one process with Flask's test client.

    .venv/bin/python bench/portal_cpu.py [--iterations 200] [--history 6]
        [--patients 40]
        [--database-url postgresql://postgres@127.0.0.1:5432/postgres] [--profile]

Builds its own database (a temporary SQLite file, or a new PostgreSQL database
next to the one --database-url names, dropped at the end): `flask db upgrade`,
`flask demo load` and --patients bench patients from bench/load.py (two central
prescriptions without time lock, --history delivered orders each, plenty of
stock, an e-mail address: each send queues its order-received mail). Then,
in this process, the production configuration (CSRF on, scrypt only at the
logins) with the test client: logs the patients in (one client each) and
measures, after a warm-up, --iterations times

- "my aids": GET /portal/, the same page again and again (kept whole for the
  session since 2026-12-04, its body before: portal.kept), and again with
  nothing kept (the first view after a change);
- a whole two-line reorder: GET /portal/order, POST review, POST send (302 to
  the new order), each step also on its own; the patients take turns, so each
  has a few orders on their way, as a patient who reorders every few weeks
  has (one patient sending them all had hundreds by the end, and each form
  then read them all: 17.6 ms for the first 40 reorders, 25-26 ms from the
  620th to the 940th, on one database);

as this process's CPU time (time.process_time: the app and the test client,
no network), printing the median and the statements each request sent.
--profile adds cProfile's top entries of the measured loops (process CPU
time), --statements the SQL of one "my aids" and one reorder.

Ends with one machine-readable line:
    SUMMARY portal_cpu db=<SQLite|PostgreSQL> myaids_cpu_ms=<median>
    reorder_cpu_ms=<median> myaids_queries=<n> form_queries=<n> review_queries=<n>
    send_queries=<n> myaids_afresh_cpu_ms=<median>
No assertions: figures only.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import itertools
import os
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.databases import create_database, dialect, flask  # noqa: E402
from bench.load import (  # noqa: E402
    PASSWORD,
    USER_PREFIX,
    _order_form,
    form_fields,
    reorder_choice,
)

SECRET_KEY = "bench-portal-cpu-secret-key-not-for-production"


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    workdir = Path(tempfile.mkdtemp(prefix="bench-portal-cpu-"))
    url, drop = create_database(args.database_url, workdir, "sesamlike_portal_cpu")
    try:
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "SECRET_KEY": SECRET_KEY,
            "SESAMLIKE_INSTANCE": str(workdir),
            "RATELIMIT_ENABLED": "false",
        }
        started = time.perf_counter()
        flask(env, "db", "upgrade")
        flask(env, "demo", "load")
        subprocess.run(
            [sys.executable, str(ROOT / "bench" / "load.py"), "_seed",
             str(args.patients), str(args.history)],
            cwd=ROOT, env=env, check=True, capture_output=True,
        )  # fmt: skip
        print(
            f"{dialect(url)}: demo region + {args.patients} bench patients "
            f"in {time.perf_counter() - started:.0f} s"
        )
        os.environ.update(env)  # the app reads its configuration when made
        _measure(args, dialect(url))
    finally:
        drop()
        shutil.rmtree(workdir, ignore_errors=True)  # the instance folder
    return 0


def _parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--history", type=int, default=6,
                        help="delivered orders per prescription")  # fmt: skip
    parser.add_argument("--patients", type=int, default=40,
                        help="bench patients, reordering in turn")  # fmt: skip
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL"),
        help="a PostgreSQL server (a new database is made beside the one named); "
        "default: a temporary SQLite file",
    )
    parser.add_argument(
        "--profile", action="store_true", help="cProfile's top of the measured loops"
    )
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument(
        "--statements", action="store_true", help="the SQL of one of each"
    )
    return parser.parse_args(argv)


class Counted:
    """Statements sent to the database, counted per request."""

    def __init__(self, engine, show: bool = False):
        import sqlalchemy as sa

        self.n = 0
        self.show = show
        sa.event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, _conn, _cursor, statement, *_args, **_kwargs):
        self.n += 1
        if self.show:
            width = int(os.environ.get("BENCH_SQL_WIDTH", 150))
            print(f"    {self.n:>2}. {' '.join(statement.split())[:width]}")

    def take(self) -> int:
        n, self.n = self.n, 0
        return n


def _measure(args, db_name: str) -> None:
    from werkzeug.datastructures import MultiDict

    from sesamlike import create_app
    from sesamlike.extensions import db

    app = create_app()
    with app.app_context():
        counted = Counted(db.engine)
    clients = [app.test_client() for _ in range(args.patients)]
    for number, patient_client in enumerate(clients, 1):
        _login(patient_client, number)
    client = clients[0]  # "my aids": the first patient's page
    turns = itertools.cycle(clients)

    def my_aids():
        response = client.get("/portal/")
        if response.status_code != 200:
            raise SystemExit(f"GET /portal/ answered {response.status_code}")

    def reorder(step_cpu: dict, step_queries: dict):
        client = next(turns)

        def step(name, call):
            counted.take()
            began = time.process_time()
            response = call()
            step_cpu.setdefault(name, []).append(time.process_time() - began)
            step_queries[name] = counted.take()
            return response

        response = step("form", lambda: client.get("/portal/order"))
        page = response.get_data(as_text=True)
        review = MultiDict([*reorder_choice(page), ("action", "review")])
        response = step("review", lambda: client.post("/portal/order", data=review))
        page = response.get_data(as_text=True)
        if response.status_code != 200 or "Skicka" not in page:
            raise SystemExit(f"review answered {response.status_code}")
        fields = [(k, v) for k, v in form_fields(_order_form(page)) if k != "action"]
        send = MultiDict([*fields, ("action", "send")])
        response = step("send", lambda: client.post("/portal/order", data=send))
        location = response.headers.get("Location", "")
        if response.status_code != 302 or not re.search(r"/orders/\d+$", location):
            raise SystemExit(f"send answered {response.status_code} {location}")

    for _ in range(args.warmup):
        my_aids()
        reorder({}, {})
    if args.statements:
        counted.show = True
        print("  my aids:")
        counted.take()
        my_aids()
        print("  a reorder (form, review, send):")
        counted.take()
        reorder({}, {})
        counted.show = False
    profiler = cProfile.Profile(time.process_time) if args.profile else None

    aids_cpu = []
    my_aids()  # the warm-up's reorders changed the patient's data: built again
    counted.take()
    my_aids()
    aids_queries = counted.take()
    for _ in range(args.iterations):
        began = time.process_time()
        if profiler:
            profiler.enable()
        my_aids()
        if profiler:
            profiler.disable()
        aids_cpu.append(time.process_time() - began)
    _print_profile(profiler, '"my aids"', args.top)

    # The same page with nothing kept (portal.kept): what the first view after
    # a change of the patient's data costs.
    def forget():
        kept = app.extensions.get("sesamlike_kept_pages")
        if kept is not None:
            kept.clear()

    afresh_cpu = []
    forget()
    counted.take()
    my_aids()
    afresh_queries = counted.take()
    for _ in range(args.iterations):
        forget()
        began = time.process_time()
        my_aids()
        afresh_cpu.append(time.process_time() - began)

    profiler = cProfile.Profile(time.process_time) if args.profile else None
    whole, steps, queries = [], {}, {}
    for _ in range(args.iterations):
        began = time.process_time()
        if profiler:
            profiler.enable()
        reorder(steps, queries)
        if profiler:
            profiler.disable()
        whole.append(time.process_time() - began)
    _print_profile(profiler, "a whole reorder", args.top)

    def ms(values) -> str:
        return f"{1000 * statistics.median(values):.1f}"

    def low(values) -> str:
        """The tenth percentile: what a quiet machine gives, near enough (on a
        shared one the median moves with the neighbours' load, CPU time too)."""
        return f"{1000 * statistics.quantiles(values, n=10)[0]:.1f}"

    print(f"{db_name}, {args.iterations} iterations, CPU ms per request: median "
          f"(10th percentile) [statements sent]:")  # fmt: skip
    print(f"  my aids GET /portal/     {ms(aids_cpu):>6} ({low(aids_cpu)}) "
          f"[{aids_queries}]")  # fmt: skip
    print(f"  my aids, built afresh    {ms(afresh_cpu):>6} ({low(afresh_cpu)}) "
          f"[{afresh_queries}]")  # fmt: skip
    for name, text in (("form", "GET form"), ("review", "POST review"),
                       ("send", "POST send")):  # fmt: skip
        print(f"  reorder {text:<16} {ms(steps[name]):>6} ({low(steps[name])}) "
              f"[{queries[name]}]")  # fmt: skip
    total = sum(queries.values())
    print(f"  a whole reorder          {ms(whole):>6} ({low(whole)}) [{total}]")
    print(
        f"SUMMARY portal_cpu db={db_name} myaids_cpu_ms={ms(aids_cpu)} "
        f"reorder_cpu_ms={ms(whole)} myaids_queries={aids_queries} "
        f"form_queries={queries['form']} review_queries={queries['review']} "
        f"send_queries={queries['send']} myaids_afresh_cpu_ms={ms(afresh_cpu)}"
    )


def _login(client, number: int) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = dict(form_fields(page))["csrf_token"]
    response = client.post(
        "/login",
        data={"csrf_token": token, "username": f"{USER_PREFIX}{number}",
              "password": PASSWORD},
    )  # fmt: skip
    if response.status_code != 302 or "/login" in response.headers["Location"]:
        raise SystemExit(f"login failed: {response.status_code}")


def _print_profile(profiler, title: str, top: int) -> None:
    if profiler is None:
        return
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(top)
        print(f"--- profile of {title}, by {order} ---")
        print(out.getvalue().split("\n", 6)[-1] if order else out.getvalue())


if __name__ == "__main__":
    sys.exit(main())
