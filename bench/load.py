"""Load test: the patient portal under gunicorn and PostgreSQL, 50 users at once.

    .venv/bin/python bench/load.py [--users 50] [--requests 2000] [--reorders 500]
        [--think-ms 2000] [--drivers 2] [--worker-class sync] [--workers 5]
        [--threads 4] [--database-url postgresql://postgres@127.0.0.1:5432/postgres]
    .venv/bin/python bench/load.py --quick          # a smoke run with tiny numbers

What it does, and stops by itself:

1. Creates a fresh PostgreSQL database next to the one --database-url names
   (dropped at the end, also on failure), `flask db upgrade`, `flask demo load`,
   then adds --patients bench patients: adults with a patient login (password
   below), two prescriptions on central-channel consumables with 100,000
   withdrawals and lock_days 0, a home address, an e-mail address and some
   delivered history; the articles get a lot of 1,000,000 packs in depot HMC. So
   every reorder is a real order with stock reserved and its order-received mail
   queued (never sent), never a refusal or a backorder.
2. Starts gunicorn (`app:app`) with gunicorn.conf.py, the configuration the
   README recommends for production (--worker-class, --workers, --threads
   override it), on 127.0.0.1 with a free port, DATABASE_URL at the bench
   database, a fixed SECRET_KEY and RATELIMIT_ENABLED=false (every user logs in
   from 127.0.0.1; the login limit per address would otherwise refuse most).
3. Drives it from --drivers separate processes (bench/load_driver.py, default
   one per core), the --users shared among them as asyncio tasks, each user
   with its own connection (kept alive while the server keeps it) and its own
   patient login (logins are not measured). Three phases, each a bounded number
   of operations shared by all the users, after an unmeasured warm-up of one
   operation per user; a phase lasts from its start to its last answer (not to
   the end of the last user's pause). By default a closed loop (each user
   sends its next request at once: latency = users / throughput); --think-ms
   gives each user a random pause after every page (exponential, that mean),
   reorder steps included, as a person reading each page would:
   - /healthz: the trivial endpoint of the same app (no database, no session):
     the ceiling;
   - "my aids": GET /portal/;
   - reorder: GET /portal/order, POST review (the summary), POST send (302 to
     the new order). Each step is measured as a request; the three together are
     one reorder, shown on its own line.
4. Prints requests, errors, req/s, p50/p95/p99 (ms) per phase and step, each
   phase's request throughput as a share of /healthz's, and the targets with
   PASS/FAIL: "my aids" p95 < 100 ms and every reorder request's p95 < 100 ms
   (issue 19: every step, also with 500 users and 2 s think time),
   both with no errors (the whole three-request reorder is shown for
   information); then, per phase, the rate offered (users / think time) and
   achieved, the driver processes' own CPU and the connections they opened,
   to show the driver is not what limits; and the CPU one request takes in
   all, the workers', PostgreSQL's (its backends for the bench database and
   its background processes, from /proc) and the driver's, with the rate the
   machine's cores could give at most at that cost. Then stops gunicorn and
   drops the database.
5. Ends with one machine-readable line (issue 19):
   SUMMARY load users=<N> think_ms=<T> myaids_cpu_ms=<x> reorder_cpu_ms=<x>
   myaids_share_of_healthz_pct=<x> myaids_p95_ms=<x> reorder_step_p95_ms=<x>
   errors=<N>
   (CPU: gunicorn workers' per "my aids" request and per whole reorder; errors
   of all three phases).

Only 127.0.0.1 is ever contacted. No assertions: figures only.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.databases import flask  # noqa: E402

PASSWORD = "bench-patient-1"
SECRET_KEY = "bench-load-secret-key-not-for-production"
USER_PREFIX = "bench.patient"
TARGETS = {"my_aids": 100.0, "reorder": 100.0}  # p95 in ms
HOST = "127.0.0.1"


# Orchestration ---------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    workdir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    name = f"sesamlike_bench_{int(time.time())}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    server_url = args.database_url
    url = _database_url(server_url, name)
    _admin(server_url, f'CREATE DATABASE "{name}"')
    gunicorn = None
    try:
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "SECRET_KEY": SECRET_KEY,
            "SESAMLIKE_INSTANCE": str(workdir),
            "RATELIMIT_ENABLED": "false",
            "PYTHONUNBUFFERED": "1",
        }
        started = time.perf_counter()
        flask(env, "db", "upgrade")
        flask(env, "demo", "load")
        counts = _seed(env, args)
        print(
            f"database {name}: demo region + {counts} "
            f"in {time.perf_counter() - started:.0f} s"
        )
        port = _free_port()
        gunicorn = _start_gunicorn(env, port, args, workdir)
        args.server = server_config(args)
        print(
            f"gunicorn: {args.server} on {HOST}:{port} "
            f"({os.cpu_count()} cores); load: {args.users} users in "
            f"{args.drivers} driver processes, "
            f"{args.requests} x /healthz, {args.requests} x my aids, "
            f"{args.reorders} reorders"
        )
        result = _drive_in_subprocess(port, gunicorn.pid, name, args)
        _print_table(result, args)
    finally:
        if gunicorn is not None:
            _stop(gunicorn)
        # The instance folder and gunicorn's log (shown above if it failed).
        shutil.rmtree(workdir, ignore_errors=True)
        if args.keep:
            print(f"kept: DATABASE_URL={url}")
        else:
            _admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(summary_line(result, args))
    return 0


def summary_line(results: dict, args) -> str:
    """The run's last line, for machines (issue 19's format)."""
    healthz, aids, reorders = (results[n] for n in ("healthz", "my_aids", "reorder"))

    def rate(phase) -> float:
        requests = sum(len(phase["samples"].get(s, [])) for s in phase["steps"])
        return requests / phase["elapsed"] if phase["elapsed"] else 0.0

    aids_requests = len(aids["samples"].get("GET", []))
    whole = len(reorders["samples"].get("whole", []))
    fields = {
        "users": args.users,
        "think_ms": f"{args.think_ms:.0f}",
        "myaids_cpu_ms": f"{1000 * aids['cpu'] / max(aids_requests, 1):.1f}",
        "reorder_cpu_ms": f"{1000 * reorders['cpu'] / max(whole, 1):.1f}",
        "myaids_share_of_healthz_pct": (
            f"{100 * rate(aids) / rate(healthz):.1f}" if rate(healthz) else "nan"
        ),
        "myaids_p95_ms": f"{percentile(aids['samples'].get('GET', []), 95):.1f}",
        "reorder_step_p95_ms": "{:.1f}".format(
            max(
                percentile(reorders["samples"].get(s, []), 95)
                for s in reorders["steps"]
            )  # fmt: skip
        ),
        "errors": sum(sum(p["errors"].values()) for p in results.values()),
    }
    return "SUMMARY load " + " ".join(f"{k}={v}" for k, v in fields.items())


def _parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cores = os.cpu_count() or 1
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--requests", type=int, default=2000,
                        help="requests of /healthz and of my aids")  # fmt: skip
    parser.add_argument("--reorders", type=int, default=500)
    parser.add_argument(
        "--think-ms",
        type=float,
        default=0,
        help="mean pause of each user between operations (exponential); 0 = "
        "closed loop, every user sends its next request at once",
    )
    parser.add_argument(
        "--worker-class", help="gunicorn's (default: gunicorn.conf.py's)"
    )
    parser.add_argument("--workers", type=int, help="default: gunicorn.conf.py's")
    parser.add_argument("--threads", type=int, help="default: gunicorn.conf.py's")
    parser.add_argument(
        "--drivers", type=int, default=cores,
        help="load generator processes, the users shared among them",
    )  # fmt: skip
    parser.add_argument("--patients", type=int, help="bench patients (default users)")
    parser.add_argument("--history", type=int, default=6,
                        help="delivered orders per bench patient")  # fmt: skip
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        help="a PostgreSQL server on this machine; a new database is made beside it",
    )
    parser.add_argument("--max-seconds", type=float, default=300,
                        help="time limit of each phase")  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="a tiny smoke run")
    parser.add_argument("--keep", action="store_true",
                        help="keep the database and print its URL")  # fmt: skip
    args = parser.parse_args(argv)
    if args.quick:
        args.users, args.requests, args.reorders = 4, 40, 8
        args.history, args.max_seconds = 1, 30
    args.patients = max(args.patients or args.users, args.users)
    if not args.database_url.startswith("postgres"):
        parser.error("--database-url must name a PostgreSQL server")
    return args


def _database_url(server_url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    url = make_url(server_url).set(drivername="postgresql+psycopg", database=name)
    host = url.host or HOST
    if host not in (HOST, "localhost", "::1"):
        raise SystemExit("bench/load.py only uses a PostgreSQL server on this machine")
    return url.render_as_string(hide_password=False)


def _admin(server_url: str, statement: str) -> None:
    import sqlalchemy as sa

    from sesamlike.config import normalise_database_url

    engine = sa.create_engine(
        normalise_database_url(server_url), isolation_level="AUTOCOMMIT"
    )
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(statement))
    finally:
        engine.dispose()


def _seed(env: dict, args) -> str:
    """Bench patients in a child process (the app reads its config at import)."""
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "_seed",
         str(args.patients), str(args.history)],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return out.stdout.strip().splitlines()[-1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _start_gunicorn(env: dict, port: int, args, workdir: Path) -> subprocess.Popen:
    log = open(workdir / "gunicorn.log", "wb")  # noqa: SIM115 (kept for the process)
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", *gunicorn_options(args),
         "--bind", f"{HOST}:{port}", "--log-level", "warning", "app:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(
                "gunicorn exited:\n" + (workdir / "gunicorn.log").read_text()[-3000:]
            )
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return process
        except OSError:
            pass
        time.sleep(0.2)
    _stop(process)
    raise SystemExit("gunicorn did not answer /healthz within 60 s")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)  # the arbiter stops its workers
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def gunicorn_options(args) -> list[str]:
    """gunicorn.conf.py, the configuration the README recommends for production,
    unless the command line asks for another worker class, workers or threads."""
    options = ["--config", str(ROOT / "gunicorn.conf.py")]
    if args.worker_class:
        options += ["--worker-class", args.worker_class]
    if args.workers:
        options += ["--workers", str(args.workers)]
    if args.threads or args.worker_class == "sync":
        # gunicorn turns a sync worker with threads into a gthread one.
        options += [
            "--threads",
            str(1 if args.worker_class == "sync" else args.threads),
        ]
    return options


def server_config(args) -> str:
    """The gunicorn configuration the bench runs, in words."""
    import runpy

    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    kind = args.worker_class or conf.get("worker_class", "sync")
    workers = args.workers or conf.get("workers", 1)
    threads = args.threads or conf.get("threads", 1)
    if kind == "sync":
        return f"{workers} sync workers"
    return (f"{workers} {kind} workers x {threads} threads, "
            f"keep-alive {conf.get('keepalive', 2)} s")  # fmt: skip


def _drive_in_subprocess(port: int, arbiter: int, database: str, args) -> dict:
    """The load generator in its own processes (bench/load_driver.py), so it
    shares no GIL with this one."""
    settings = dict(
        drivers=args.drivers,
        port=port,
        arbiter=arbiter,
        database=database,
        users=args.users,
        patients=args.patients,
        requests=args.requests,
        reorders=args.reorders,
        max_seconds=args.max_seconds,
        think_ms=args.think_ms,
    )
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "_drive", json.dumps(settings)],
        cwd=ROOT, check=True, capture_output=True, text=True,
        # Three phases, each with a warm-up of up to 60 s; a login per user.
        timeout=3 * (args.max_seconds + 60) + 120 + args.users,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


# Data ------------------------------------------------------------------------


def seed(patients: int, history: int) -> str:
    """Bench patients with logins, prescriptions, history and plenty of stock."""
    from datetime import date, timedelta

    import sqlalchemy as sa
    from werkzeug.security import generate_password_hash

    from sesamlike import create_app
    from sesamlike.accounts.models import Clinic, User
    from sesamlike.catalog.models import DEVICE_CATEGORIES, Article
    from sesamlike.extensions import db
    from sesamlike.orders.models import Order, OrderLine
    from sesamlike.patients.models import Address, CareRelationship, Patient
    from sesamlike.prescriptions.models import Prescription
    from sesamlike.stock.models import Depot, StockLot

    app = create_app()
    today = date.today()
    with app.app_context():
        clinic = db.session.scalar(sa.select(Clinic).where(Clinic.code == "NORR"))
        depot = db.session.scalar(sa.select(Depot).where(Depot.code == "HMC"))
        articles = db.session.scalars(
            sa.select(Article)
            .where(
                Article.channel == "central",
                Article.category.not_in(DEVICE_CATEGORIES),
                Article.amortisation_years.is_(None),
                Article.units_per_day.is_not(None),
                sa.or_(Article.valid_to.is_(None), Article.valid_to >= today),
            )
            .order_by(Article.article_no)
            .limit(6)
        ).all()
        for article in articles:
            db.session.add(
                StockLot(
                    depot_id=depot.id,
                    article_id=article.id,
                    lot="BENCH",
                    on_hand=1_000_000,
                    expiry=today + timedelta(days=700),
                )  # fmt: skip
            )
        hashed = generate_password_hash(PASSWORD)
        for n in range(1, patients + 1):
            user = User(
                username=f"{USER_PREFIX}{n}", password_hash=hashed, role="patient",
                display_name=f"Bench Patient {n}",
            )  # fmt: skip
            db.session.add(user)
            db.session.flush()
            patient = Patient(
                personal_id=f"RB{n:07d}", id_kind="reserve", first_name="Bench",
                last_name=f"Patient{n}", birth_date=date(1980, 1, 1) + timedelta(n),
                diabetes_type="type1", phone="070-000 00 00", user_id=user.id,
                # As a patient who orders online has: each order queues its
                # order-received mail (never sent: the bench runs no sender).
                email=f"{USER_PREFIX}{n}@example.invalid",
            )  # fmt: skip
            patient.addresses.append(
                Address(
                    kind="home",
                    street=f"Bänkgatan {n}",
                    postal_code="90101",
                    city="Norrstad",
                    door_code=None,
                )  # fmt: skip
            )
            patient.care_relationships.append(
                CareRelationship(clinic_id=clinic.id, started_on=date(2020, 1, 1))
            )
            db.session.add(patient)
            db.session.flush()
            mine = [articles[n % len(articles)], articles[(n + 1) % len(articles)]]
            for article in mine:
                rx = Prescription(
                    patient_id=patient.id, article_id=article.id,
                    clinic_id=clinic.id, cost_centre=clinic.cost_centre,
                    packs_per_withdrawal=2, withdrawals=100_000, period_days=30,
                    lock_days=0, valid_from=today - timedelta(days=300),
                    valid_to=today + timedelta(days=365),
                )  # fmt: skip
                db.session.add(rx)
                db.session.flush()
                for k in range(history):
                    day = today - timedelta(days=30 * (k + 1))
                    order = Order(patient_id=patient.id, placed_by_role="migration",
                                  delivery_mode="home")  # fmt: skip
                    order.lines.append(
                        OrderLine(
                            prescription_id=rx.id,
                            article_id=article.id,
                            packs=2,
                            channel="central",
                            status="delivered",
                            pack_price_sek=article.pack_price_sek,
                            vat_rate=article.vat_rate,
                            delivered_on=day,
                        )  # fmt: skip
                    )
                    db.session.add(order)
            if n % 50 == 0:
                db.session.commit()
        db.session.commit()
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
    return (
        f"{patients} bench patients ({2 * patients} prescriptions on "
        f"{len(articles)} central articles, {history} delivered orders each)"
    )


# Forms, as a browser posts them (the driver, bench/load_driver.py, and
# bench/portal_cpu.py) ---------------------------------------------------------

_INPUT = re.compile(r"<input\b([^>]*)>", re.IGNORECASE)
_ATTR = re.compile(r'([\w-]+)(?:="([^"]*)")?')


def form_fields(html: str) -> list[tuple[str, str]]:
    """The values a browser would post: inputs with names, ticked boxes only."""
    import html as html_lib

    fields = []
    for match in _INPUT.finditer(html):
        found = _ATTR.findall(match.group(1))
        attrs = {k.lower(): html_lib.unescape(v or "") for k, v in found}
        name, kind = attrs.get("name"), attrs.get("type", "text").lower()
        if not name or kind in ("submit", "button"):
            continue
        if kind in ("checkbox", "radio") and "checked" not in attrs:
            continue
        fields.append((name, attrs.get("value", "y" if kind == "checkbox" else "")))
    return fields


def reorder_choice(page: str) -> list[tuple[str, str]]:
    """The reorder form as posted by a user who ticks every orderable line
    (the form ticks only what runs out soon): a two-line reorder each time."""
    form = _order_form(page)
    fields = [(k, v) for k, v in form_fields(form) if k != "action"]
    ticked = {k for k, _v in fields}
    boxes = re.findall(r'name="(lines-\d+-selected)"', form)
    return fields + [(box, "y") for box in boxes if box not in ticked]


def _order_form(page: str) -> str:
    """The reorder form of the page (not the logout or language forms)."""
    found = re.search(r'class="portal-form[ "]', page)  # more classes may follow
    start = found.start() if found else -1
    return page[start : page.find("</form>", start)] if start >= 0 else ""


# Report ----------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile; nan for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.4999)))
    return ordered[rank - 1]


def _print_capacity(results: dict, args) -> None:
    """Each phase's CPU per request on this machine, gunicorn's, PostgreSQL's and
    the driver's, and the rate the cores could give at most if nothing else
    ran and nothing waited: all of it over the CPU time one request takes."""
    cores = os.cpu_count() or 1
    print(f"CPU per request, all of it (the machine's {cores} cores serve the "
          "workers, PostgreSQL and the driver alike)")  # fmt: skip
    for name, phase in results.items():
        requests = sum(len(phase["samples"].get(s, [])) for s in phase["steps"])
        if not requests:
            continue
        worker, driver = (1000 * phase[key] / requests for key in ("cpu", "driver_cpu"))
        seen = phase["db_cpu"] is not None
        database = 1000 * phase["db_cpu"] / requests if seen else 0.0
        total = worker + database + driver
        achieved = requests / phase["elapsed"] if phase["elapsed"] else 0
        offered = (
            f", offered {args.users * 1000 / args.think_ms:.0f}"
            if args.think_ms
            else ""
        )
        database_text = f"{database:5.2f}" if seen else "  n/a"
        print(f"  {name:<8} workers {worker:5.2f} + PostgreSQL {database_text} + "
              f"driver {driver:4.2f} = {total:5.2f} ms: at most "
              f"{cores * 1000 / total if total else 0:7.1f} req/s on {cores} cores; "
              f"achieved {achieved:.1f}{offered}")  # fmt: skip
    print(
        "  (PostgreSQL: its backends for the bench database, their autovacuum and\n"
        "  parallel workers, and the server's checkpointer and writers, which work\n"
        "  for every database of the server; read from /proc, n/a when the server\n"
        "  runs elsewhere; a connection closed during a phase is not counted)"
    )


def _print_table(results: dict, args) -> None:
    rows = []  # label, requests, errors, req/s, samples, share-of phase
    ceiling = None
    for name, label in (("healthz", "/healthz"), ("my_aids", "my aids GET /portal/"),
                        ("reorder", "reorder")):  # fmt: skip
        phase = results[name]
        elapsed = phase["elapsed"]
        errors = sum(phase["errors"].values())
        requests = sum(len(phase["samples"].get(s, [])) for s in phase["steps"])
        rate = requests / elapsed if elapsed else 0.0
        if name == "healthz":
            ceiling = rate
        if len(phase["steps"]) == 1:
            rows.append((label, requests, errors, rate, phase["samples"].get("GET", []),
                         rate / ceiling if ceiling else 0,
                         phase["cpu"] / max(requests, 1)))  # fmt: skip
            continue
        whole = phase["samples"].get("whole", [])
        every = [ms for s in phase["steps"] for ms in phase["samples"].get(s, [])]
        rows.append((f"{label}: all {len(phase['steps'])} requests", requests, errors,
                     rate, every, rate / ceiling if ceiling else 0,
                     phase["cpu"] / max(requests, 1)))  # fmt: skip
        for step, text in (("form", "GET form"), ("review", "POST review"),
                           ("send", "POST send")):  # fmt: skip
            samples = phase["samples"].get(step, [])
            rows.append((f"  {text}", len(samples), phase["errors"].get(step, 0),
                         len(samples) / elapsed, samples, None, None))  # fmt: skip
        rows.append(("  one reorder (3 requests)", len(whole), errors,
                     len(whole) / elapsed, whole, None,
                     phase["cpu"] / max(len(whole), 1)))  # fmt: skip
    header = (f"{'phase':<32} {'requests':>8} {'errors':>6} {'req/s':>8} "
              f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'of /healthz':>11} "
              f"{'CPU ms/req':>10}")  # fmt: skip
    print()
    pace = (
        f"mean think time {args.think_ms:.0f} ms after every page"
        if args.think_ms
        else "closed loop, no think time"
    )
    print(f"{args.users} concurrent users, {pace}; "
          f"gunicorn {args.server}; PostgreSQL")  # fmt: skip
    print(header)
    print("-" * len(header))
    for label, requests, errors, rate, samples, share, cpu in rows:
        share_text = f"{100 * share:10.1f}%" if share is not None else ""
        cpu_text = f"{1000 * cpu:10.1f}" if cpu is not None else ""
        p50, p95, p99 = (percentile(samples, q) for q in (50, 95, 99))
        print(f"{label:<32} {requests:>8} {errors:>6} {rate:>8.1f} {p50:>8.1f} "
              f"{p95:>8.1f} {p99:>8.1f} {share_text:>11} {cpu_text:>10}")  # fmt: skip
    loads = ", ".join(
        f"{name} {phase['load'][0]:.1f}->{phase['load'][1]:.1f}"
        for name, phase in results.items()
    )
    print(f"CPU ms/req: gunicorn workers' CPU time per request (PostgreSQL's "
          f"below). Load average (1 min) over the phases: {loads} "
          f"on {os.cpu_count()} cores; above the core count the machine was "
          f"shared and latencies are inflated.")  # fmt: skip
    print()
    print("the driver (is it the bottleneck?)")
    for name, phase in results.items():
        requests = sum(len(phase["samples"].get(s, [])) for s in phase["steps"])
        busy = phase["driver_cpu"] / phase["elapsed"] if phase["elapsed"] else 0
        offered = (
            f"offered {args.users * 1000 / args.think_ms:7.1f} req/s, "
            if args.think_ms
            else ""
        )
        print(f"  {name:<8} {offered}achieved "
              f"{requests / phase['elapsed'] if phase['elapsed'] else 0:7.1f} req/s "
              f"over {phase['elapsed']:5.1f} s; {phase['drivers']} driver processes "
              f"busy {100 * busy:5.1f} % of one core in all "
              f"({1000 * phase['driver_cpu'] / max(requests, 1):.2f} ms CPU/request); "
              f"{phase['connects']} connections opened")  # fmt: skip
    print(
        "  (offered: users / mean think time, had every answer taken no time; "
        "a driver process near 100 % of a core would limit the rate)"
    )
    print()
    _print_capacity(results, args)
    print()
    aids = results["my_aids"]
    aids_p95 = percentile(aids["samples"].get("GET", []), 95)
    aids_errors = sum(aids["errors"].values())
    re_phase = results["reorder"]
    step_p95 = max(percentile(re_phase["samples"].get(s, []), 95)
                   for s in re_phase["steps"])  # fmt: skip
    re_errors = sum(re_phase["errors"].values())
    verdicts = [
        ("my aids p95 < 100 ms, no errors", aids_p95, aids_errors,
         aids_p95 < TARGETS["my_aids"] and not aids_errors),
        (f"reorder p95 < {TARGETS['reorder']:.0f} ms per request, no errors",
         step_p95, re_errors,
         step_p95 < TARGETS["reorder"] and not re_errors),
    ]  # fmt: skip
    print("targets")
    for text, value, errors, ok in verdicts:
        print(f"  {text:<46} p95 {value:7.1f} ms, {errors} errors: "
              f"{'PASS' if ok else 'FAIL'}")  # fmt: skip
    for name, phase in results.items():
        for example in phase["examples"]:
            print(f"  error in {name}: {example}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_seed":
        sys.path.insert(0, str(ROOT))
        print(seed(int(sys.argv[2]), int(sys.argv[3])))
    elif len(sys.argv) > 1 and sys.argv[1] == "_drive":
        from bench.load_driver import drive

        print(json.dumps(drive(json.loads(sys.argv[2]))))
    else:
        sys.path.insert(0, str(ROOT))
        sys.exit(main())
