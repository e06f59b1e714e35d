"""Server time of the staff's pages on a region of any size: every role's daily
pages and searches, the follow-up's pages and exports.

    .venv/bin/python bench/staff_pages.py [--patients 500000] [--years 5]
        [--database-url postgresql://postgres@127.0.0.1:5432/postgres]
    .venv/bin/python bench/staff_pages.py --existing postgresql://.../sl_big

Builds its own database (a temporary SQLite file, or a new PostgreSQL database
next to the one --database-url names, dropped at the end): `flask db upgrade`,
`flask demo generate --patients N --years Y` (into the empty region), `flask
demo load` (the demo's logins), then `flask followup run --full` for last year
and this year (which keep the report's figures, as the nightly job does), and
on PostgreSQL `VACUUM ANALYZE` (as autovacuum would in time). With --existing,
a database made so already (left as it is but for the bench logins it adds).

Then, in this process with Flask's test client (no network), as a prescriber
and a manager of the largest clinic, a region user, an administrator and the
aids centre's `lager` (the demo's), each page --repeat times: the first
request's time and the median (milliseconds), the answer's status and size.
Searches use the name of a patient of that clinic (full and surname alone;
the prescriber's by surname lists the first 100 of many, in Swedish order),
an order number and a serial number; the manager's drill-down is read as it
opens and sorted by name both ways, the region's as it opens and by pump
system; the work list is read as it opens, and its lists of prescriptions
running out and warranties ending (90 days) as a page and as a whole CSV.

Ends with one machine-readable line:
    SUMMARY staff_pages db=<sqlite|postgresql> patients=<N> pages=<n>
    slowest_ms=<median> slowest=<page> over_1s=<n pages with a median over 1 s>
Exits 1 if a page answered with a server error. No assertions: figures only.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.databases import create_database, flask  # noqa: E402

PASSWORD = "bench-password-1"


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.existing:
        return _measure(args, args.existing)
    with tempfile.TemporaryDirectory() as workdir:
        url, drop = create_database(args.database_url, Path(workdir), "sl_pages")
        try:
            env = {**os.environ, "DATABASE_URL": url}
            began = time.perf_counter()
            flask(env, "db", "upgrade")
            # Generated first, into an empty region (PostgreSQL then makes the
            # indexes after the load, `demo generate`), then the demo's logins.
            flask(env, "demo", "generate", "--patients", str(args.patients),
                  "--years", str(args.years))  # fmt: skip
            flask(env, "demo", "load")
            year = _today().year
            for each in (year - 1, year):
                flask(env, "followup", "run", "--year", str(each), "--full")
            _vacuum(url)
            print(f"database: {args.patients} patients x {args.years} years, "
                  f"costs run, in {time.perf_counter() - began:.0f} s")  # fmt: skip
            return _measure(args, url)
        finally:
            drop()


def _vacuum(url: str) -> None:
    """On PostgreSQL, what autovacuum does to a region's tables in time (this
    server may run with it off): after a bulk load no page is marked all
    visible, and the planner then reads a table where an index alone would do
    (the returns search's serials: 0.5 s a statement instead of 0.1 s)."""
    if not url.startswith("postgres"):
        return
    from sesamlike.config import normalise_database_url

    engine = sa.create_engine(normalise_database_url(url),
                              isolation_level="AUTOCOMMIT")  # fmt: skip
    with engine.connect() as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()


def _parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=500_000)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", help="a PostgreSQL server's URL")
    parser.add_argument("--existing", help="a database made already (URL)")
    return parser.parse_args(argv)


def _today():
    from sesamlike.common.time import region_today

    return region_today()


def _measure(args, url: str) -> int:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECRET_KEY", "bench-staff-pages")
    from sesamlike import create_app

    app = create_app()
    app.config.update(WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False)
    with app.app_context():
        found = _bench_world()
    print(f"clinic {found['code']} with {found['size']} patients in care; "
          f"{found['patients']} patients in the region")  # fmt: skip
    timed = []
    for login, pages in _pages(found):
        client = app.test_client()
        password = "demo-sesam-2026" if login == "lager" else PASSWORD
        answer = client.post("/login", data={"username": login, "password": password})
        if answer.status_code not in (302, 303):
            raise SystemExit(f"{login} could not log in ({answer.status_code})")
        for label, path, form in pages:
            timed.append((label, *_time(client, path, form, args.repeat)))
    print(f"\n{'page':58} {'status':>6} {'first ms':>9} {'median ms':>10} {'kB':>7}")
    for label, status, first, median, size in timed:
        print(f"{label:58} {status:>6} {first:9.0f} {median:10.0f} {size / 1024:7.0f}")
    slowest = max(timed, key=lambda row: row[3])
    errors = [row for row in timed if row[1] >= 500]
    db = "postgresql" if url.startswith("postgres") else "sqlite"
    print(f"SUMMARY staff_pages db={db} patients={found['patients']} "
          f"pages={len(timed)} slowest_ms={slowest[3]:.0f} "
          f"slowest={slowest[0].replace(' ', '_')} "
          f"over_1s={sum(1 for row in timed if row[3] > 1000)}")  # fmt: skip
    for label, status, *_rest in errors:
        print(f"server error: {label} answered {status}")
    return 1 if errors else 0


def _bench_world() -> dict:
    """The largest clinic, one of its patients (with a serial if any), and a
    prescriber, a manager, a region user and an administrator for the bench."""
    from sesamlike.accounts import services as accounts
    from sesamlike.extensions import db

    row = db.session.execute(sa.text(
        "SELECT c.code, c.id, count(*) AS n FROM care_relationships r "
        "JOIN clinics c ON c.id = r.clinic_id WHERE r.ended_on IS NULL "
        "GROUP BY c.code, c.id ORDER BY n DESC, c.code LIMIT 1")).one()  # fmt: skip
    patient = db.session.execute(sa.text(
        "SELECT p.id, p.first_name, p.last_name FROM care_relationships r "
        "JOIN patients p ON p.id = r.patient_id WHERE r.clinic_id = :clinic "
        "AND r.ended_on IS NULL AND NOT p.protected_identity "
        "ORDER BY p.id DESC LIMIT 1"), {"clinic": row.id}).one()  # fmt: skip
    order_id = db.session.scalar(
        sa.text("SELECT max(id) FROM orders WHERE patient_id = :p"), {"p": patient.id}
    )
    serial = db.session.scalar(sa.text(
        "SELECT serial_no FROM devices WHERE patient_id IS NOT NULL "
        "ORDER BY id DESC LIMIT 1"))  # fmt: skip
    suffix = uuid.uuid4().hex[:6]
    logins = {}
    for role in ("prescriber", "manager", "region", "admin"):
        logins[role] = f"bench-{role}-{suffix}"
        clinics = [row.code] if role in ("prescriber", "manager") else []
        accounts.create_user(logins[role], PASSWORD, role, clinic_codes=clinics,
                             commit=True)  # fmt: skip
    patients = db.session.scalar(sa.text("SELECT count(*) FROM patients"))
    return dict(code=row.code, size=row.n, patient=patient.id,
                name=f"{patient.first_name} {patient.last_name}",
                surname=patient.last_name, order=order_id or 0,
                serial=serial or "SN-NONE", logins=logins,
                patients=patients)  # fmt: skip


def _pages(found: dict) -> list[tuple[str, list[tuple[str, str, dict | None]]]]:
    year = _today().year - 1
    pid, code, logins = found["patient"], found["code"], found["logins"]
    clinic = f"year={year}&clinic={code}"
    return [
        (logins["prescriber"], [
            ("prescriber: work list", "/orders", None),
            ("prescriber: work list, running out in 90 days",
             "/orders?list=running_out&days=90", None),
            ("prescriber: work list, warranty ends in 90 days",
             "/orders?list=warranty&days=90", None),
            ("prescriber: work list CSV, running out in 90 days",
             "/orders/worklist.csv?list=running_out&days=90", None),
            ("prescriber: patient search by full name", "/patients",
             {"q": found["name"]}),
            ("prescriber: patient search by surname", "/patients",
             {"q": found["surname"]}),
            ("prescriber: patient overview", f"/patients/{pid}/overview", None),
            ("prescriber: prescriptions", f"/patients/{pid}/prescriptions", None),
            ("prescriber: orders of the patient", f"/patients/{pid}/orders", None),
            ("prescriber: new order", f"/patients/{pid}/orders/new", None),
        ]),
        (logins["manager"], [
            ("manager: follow-up report", f"/followup/?{clinic}", None),
            ("manager: drill-down (patients)", f"/followup/patients?{clinic}", None),
            ("manager: drill-down by name", f"/followup/patients?{clinic}&sort=name",
             None),
            ("manager: drill-down by name, Ö to A",
             f"/followup/patients?{clinic}&sort=name&reverse=1", None),
            ("manager: channels and places", f"/followup/channels?{clinic}", None),
            ("manager: articles", f"/followup/articles?{clinic}", None),
            ("manager: pump system (none)", f"/followup/system/pump?{clinic}", None),
            ("manager: systems over three years",
             f"/followup/system-years?{clinic}", None),
            ("manager: patients.csv", f"/followup/patients.csv?{clinic}", None),
        ]),
        (logins["region"], [
            ("region: follow-up report", f"/followup/?year={year}", None),
            ("region: drill-down (patients)", f"/followup/patients?year={year}",
             None),
            ("region: drill-down by pump system",
             f"/followup/patients?year={year}&sort=pump_system", None),
            ("region: clinics side by side", f"/followup/clinics?year={year}", None),
            ("region: channels and places", f"/followup/channels?year={year}", None),
            ("region: articles", f"/followup/articles?year={year}", None),
            ("region: pump system (none)", f"/followup/system/pump?year={year}",
             None),
        ]),
        (logins["admin"], [
            ("admin: users", "/admin/users", None),
            ("admin: scheduled jobs", "/admin/jobs", None),
            ("admin: audit log", "/admin/audit", None),
            ("admin: patient", f"/admin/patients/{pid}", None),
        ]),
        ("lager", [
            ("aids centre: stock", "/stock", None),
            ("aids centre: picking", "/stock/picking", None),
            ("aids centre: packing", "/stock/packing", None),
            ("aids centre: deliveries to confirm", "/stock/deliveries", None),
            ("aids centre: returns, full name", "/stock/returns",
             {"q": found["name"]}),
            ("aids centre: returns, surname", "/stock/returns",
             {"q": found["surname"]}),
            ("aids centre: returns, order number", "/stock/returns",
             {"q": str(found["order"])}),
            ("aids centre: returns, serial", "/stock/returns",
             {"q": found["serial"]}),
            ("aids centre: devices on loan, full name", "/stock/devices",
             {"q": found["name"], "search": "1"}),
            ("aids centre: supplier channel", "/channels/suppliers", None),
        ]),
    ]  # fmt: skip


def _time(client, path: str, form: dict | None, repeat: int):
    """(status, first ms, median ms, bytes) of `repeat` requests."""
    times, status, size = [], 0, 0
    for _ in range(max(1, repeat)):
        began = time.perf_counter()
        answer = client.post(path, data=form) if form else client.get(path)
        times.append(1000 * (time.perf_counter() - began))
        status, size = answer.status_code, len(answer.data)
    return status, times[0], statistics.median(times), size


if __name__ == "__main__":
    sys.exit(main())
