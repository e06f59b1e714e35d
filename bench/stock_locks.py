"""What an order's stock reservation costs with a national stock history.

    .venv/bin/python bench/stock_locks.py [--lots 11000] [--stocked 100]
        [--reservations 300000] [--rounds 300]
        [--database-url postgresql://postgres@127.0.0.1:5432/postgres]
        [--keep | --existing URL]

Builds its own database (a temporary SQLite file, or a new PostgreSQL database
next to the one --database-url names, dropped at the end unless --keep):
`flask db upgrade`, `flask demo load`, then a stock history for the demo's
central consumables: --lots lots of each, spread over the depots, of which
--stocked hold packs and the rest are empty (used up long ago: lots are never
deleted), and --reservations reservations of them, 1 % still active, the
rest shipped. --existing measures again on a database kept before (the
history is not added twice), so two versions of the code can be compared on
the same data.

Then, --rounds times for a different pair of those articles each round (in
turn), one order's stock step as `orders.services` takes it
(`reservations.plan_many` for one pack of each: the articles' locks, their
free stock, the plan), rolled back; also the lock alone
(`reservations.lock_articles`) and the free stock alone
(`reservations.available_by_article`). Prints the median and the 95th
percentile of each, in ms of wall time. No assertions: figures only.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.databases import create_database, dialect, flask  # noqa: E402

BATCH = 20_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lots", type=int, default=11_000,
                        help="Lots per central consumable, all told.")  # fmt: skip
    parser.add_argument("--stocked", type=int, default=100,
                        help="Of those, how many hold packs.")  # fmt: skip
    parser.add_argument("--reservations", type=int, default=300_000)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", help="PostgreSQL server (default SQLite)")
    parser.add_argument("--keep", action="store_true", help="Keep the database.")
    parser.add_argument("--existing", help="Measure again on a database kept before.")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-stock-locks-"))
    if args.existing:
        url, drop = args.existing, lambda: None
    else:
        url, drop = create_database(args.database_url, workdir, "bench_stock_locks")
        if args.keep:
            drop = lambda: None  # noqa: E731
    print(f"database: {url}")
    env = {**os.environ, "DATABASE_URL": url, "SESAMLIKE_INSTANCE": str(workdir)}
    try:
        if not args.existing:
            flask(env, "db", "upgrade")
            flask(env, "demo", "load")
        os.environ.update(env)
        from sesamlike import create_app
        from sesamlike.config import Config

        app = create_app(Config())
        with app.app_context():
            if not args.existing:
                started = time.perf_counter()
                _add_history(args)
                print(f"history added in {time.perf_counter() - started:.0f} s")
            _measure(args)
    finally:
        drop()
        if not args.keep:  # the SQLite file lives here
            shutil.rmtree(workdir, ignore_errors=True)


def _central_articles() -> list[int]:
    from sesamlike.catalog.models import Article
    from sesamlike.extensions import db

    return list(db.session.scalars(
        sa.select(Article.id)
        .where(Article.channel == "central", Article.category != "pump",
               Article.amortisation_years.is_(None))
        .order_by(Article.id)
    ))  # fmt: skip


def _add_history(args) -> None:
    """Empty and stocked lots, and reservations, in batches of plain inserts."""
    from sesamlike.extensions import db
    from sesamlike.stock.models import Depot, Reservation, StockLot

    rng = random.Random(args.seed)
    articles = _central_articles()
    depots = list(db.session.scalars(sa.select(Depot.id).order_by(Depot.id)))
    lots = []
    for article_id in articles:
        stocked = set(rng.sample(range(args.lots), min(args.stocked, args.lots)))
        for n in range(args.lots):
            lots.append({
                "depot_id": depots[n % len(depots)], "article_id": article_id,
                "lot": f"H{n:06d}",
                "expiry": date(2030, 1, 1) if n in stocked else date(2020, 1, 1),
                "bin": None, "on_hand": 1_000 if n in stocked else 0,
                "quarantined": False,
            })  # fmt: skip
    _insert(StockLot.__table__, lots)
    long_ago = datetime.now(UTC) - timedelta(days=365)
    rows = [
        {"reference": f"bench-line:{n}", "depot_id": depots[n % len(depots)],
         "article_id": articles[n % len(articles)], "packs": 1,
         "status": "active" if n % 100 == 0 else "shipped", "created_at": long_ago}
        for n in range(args.reservations)
    ]  # fmt: skip
    _insert(Reservation.__table__, rows)
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql("VACUUM ANALYZE stock_lots")
            c.exec_driver_sql("VACUUM ANALYZE reservations")
    else:
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
    print(f"history: {len(lots)} lots of {len(articles)} articles in {len(depots)} "
          f"depots ({args.stocked} of each with packs), {len(rows)} reservations "
          f"({len(rows) // 100} active)")  # fmt: skip


def _insert(table: sa.Table, rows: list[dict]) -> None:
    from sesamlike.extensions import db

    for start in range(0, len(rows), BATCH):
        db.session.execute(table.insert(), rows[start : start + BATCH])
    db.session.commit()


def _measure(args) -> None:
    from sesamlike.extensions import db
    from sesamlike.stock import reservations

    articles = _central_articles()
    lots = db.session.scalar(sa.text("SELECT count(*) FROM stock_lots"))
    stocked = db.session.scalar(
        sa.text("SELECT count(*) FROM stock_lots WHERE on_hand > 0")
    )
    print(f"{dialect(str(db.engine.url))}: {lots} lots ({stocked} with packs) of "
          f"{len(articles)} central consumables; {args.rounds} rounds")  # fmt: skip
    pairs = [(a, b) for a in articles for b in articles if a < b]
    today = date.today()
    steps = {
        "an order's stock step (plan_many, 2 articles)": lambda pair:
            reservations.plan_many([(pair[0], 1), (pair[1], 1)], today=today),
        "  the lock alone": lambda pair: reservations.lock_articles(list(pair)),
        "  the free stock alone": lambda pair:
            reservations.available_by_article(pair, today=today),
    }  # fmt: skip
    for name, step in steps.items():
        times = []
        for n in range(args.rounds + 10):
            pair = pairs[n % len(pairs)]
            started = time.perf_counter()
            step(pair)
            elapsed = time.perf_counter() - started
            db.session.rollback()
            if n >= 10:  # the first rounds warm the caches
                times.append(1000 * elapsed)
        times.sort()
        p95 = times[int(0.95 * (len(times) - 1))]
        print(f"{name:48} median {statistics.median(times):7.2f} ms, "
              f"p95 {p95:7.2f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
