"""Rating benchmarks: the rate lookup in a large tariff, and rated authorizations over HTTP
beside money ones, each printed beside a floor measured in the same run.

    .venv/bin/python benchmarks/rating.py [--backend sqlite|postgresql|both] [--duration 10]
        [--runs 3] [--prefixes 100000] [--customers 1000] [--connections 16] [--workers 2]
        [--figures abc] [--quick]

  (a) kassa.rating.lookup.find_rate for random destinations in one tariff of --prefixes
      prefixes (lengths 2 to 9, a catch-all too), one thread, in one read transaction.
      Floor: the same statement (the destination's prefixes in an IN list, longest and latest
      first, LIMIT 1) through the same driver, no SQLAlchemy.   Target: >= 50% of the floor.
  (b) HTTP, --connections concurrent connections from wrk against kassa serve --workers 2:
      rated reserve (3600 s to a random destination on one of the accounts) + commit (187 s),
      beside money reserve + commit on the same customers, the same server, back to back.
      Target: rating costs at most 15% of the money path's throughput (ratio >= 0.85).
  (c) The same pairs through the service functions, one thread, no HTTP: rated reserve (the
      account, the rate among --prefixes, the grant) + commit, beside money reserve + commit
      (benchmarks/authorize.py's figure (a)), in turns. The CPU rating adds, without the
      noise of concurrent writers' fsyncs.                       Target: ratio >= 0.85.

Figures are medians of --runs runs; a ratio is the median of the per-run ratios.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import authorize  # noqa: E402
import authorize_load as load  # noqa: E402
import authorize_sql  # noqa: E402
from bench_report import Row, print_table  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from kassa.auth.actor import Actor  # noqa: E402
from kassa.charging import authorizations as charging  # noqa: E402
from kassa.charging.schemas import RatedReserveIn  # noqa: E402
from kassa.core.clock import utcnow  # noqa: E402
from kassa.core.names import name_key  # noqa: E402
from kassa.core.vocabulary import Role  # noqa: E402
from kassa.db.engine import Database  # noqa: E402
from kassa.db.models import Account, Product, ProductRating, Rate, Tariff  # noqa: E402
from kassa.db.models.rate import ALWAYS_EFFECTIVE  # noqa: E402
from kassa.ledger.authorizations import open_unit  # noqa: E402
from kassa.ledger.schemas import CommitIn  # noqa: E402
from kassa.rating.lookup import MAX_PREFIX_DIGITS, destination_digits, find_rate  # noqa: E402

PG_DATABASE = "kassa_bench_rating"
LOOKUP_TARGET = 0.50
HTTP_TARGET = 0.85
DESTINATIONS = 2000


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclasses.dataclass
class RatedFixture:
    base: authorize.Fixture
    tariff_id: int
    accounts: list[str]
    destinations: list[str]


def make_prefixes(count: int, rng: random.Random) -> list[str]:
    prefixes = {""}
    while len(prefixes) < count:
        prefixes.add("".join(rng.choices("0123456789", k=rng.randint(2, 9))))
    return sorted(prefixes)


def prepare(backend: str, workdir: Path, args: argparse.Namespace) -> RatedFixture:
    """authorize.prepare's customers, a voice tariff of --prefixes rates in a product, an
    account per customer on it, and destinations under random prefixes."""
    base = authorize.prepare(backend, workdir, args.customers, PG_DATABASE)
    rng = random.Random(7)
    prefixes = make_prefixes(args.prefixes, rng)
    now = utcnow()
    db = Database(base.url)
    try:
        with db.transaction() as session:
            product = Product(
                name="Bench", name_key=name_key("Bench"), currency="USD", description="",
                created_at=now, updated_at=now,
            )  # fmt: skip
            tariff = Tariff(
                name="Bench voice", name_key=name_key("Bench voice"), currency="USD",
                service=authorize.SERVICE, unit="second", created_at=now, updated_at=now,
            )  # fmt: skip
            session.add_all([product, tariff])
            session.flush()
            session.add(
                ProductRating(product_id=product.id, service=authorize.SERVICE, tariff_id=tariff.id)
            )
            rows = [
                {
                    "tariff_id": tariff.id, "prefix": prefix,
                    "price_micros": rng.randrange(1_000, 50_000), "per": 60,
                    "first_interval": 60, "next_interval": 6, "connect_fee_micros": 0,
                    "free_units": 0, "effective_from": ALWAYS_EFFECTIVE,
                    "description": f"Zone {prefix}", "created_at": now,
                }
                for prefix in prefixes
            ]  # fmt: skip
            for start in range(0, len(rows), 10_000):
                session.execute(insert(Rate), rows[start : start + 10_000])
            accounts = [f"+1555{n:07d}" for n in range(len(base.customers))]
            session.execute(
                insert(Account),
                [
                    {
                        "customer_id": customer, "identifier": identifier,
                        "product_id": product.id, "status": "active", "max_sessions": None,
                        "password_hash": None, "created_at": now, "updated_at": now,
                    }
                    for customer, identifier in zip(base.customers, accounts, strict=True)
                ],
            )  # fmt: skip
            tariff_id = tariff.id
    finally:
        db.dispose()
    destinations = []
    for _ in range(DESTINATIONS):
        prefix = rng.choice(prefixes)
        rest = "".join(rng.choices("0123456789", k=max(0, 12 - len(prefix))))
        destinations.append("+" + prefix + rest)
    return RatedFixture(base, tariff_id, accounts, destinations)


# --- (a) the lookup against its SQL --------------------------------------------------------------


def timed(call: Any, items: list[str], seconds: float) -> float:
    for item in items[:200]:
        call(item)
    done = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(50):
            call(items[done % len(items)])
            done += 1
        now = time.perf_counter()
        if now >= deadline:
            return done / (now - start)


def kassa_lookups(fx: RatedFixture, seconds: float) -> float:
    db = Database(fx.base.url)
    at = datetime.now(UTC)
    try:
        with db.engine.connect() as conn, conn.begin():

            def call(destination: str) -> None:
                assert find_rate(conn, fx.tariff_id, destination_digits(destination), at)

            return timed(call, fx.destinations, seconds)
    finally:
        db.dispose()


def floor_lookups(fx: RatedFixture, seconds: float) -> float:
    floor = authorize_sql.connect(fx.base.url)
    at = floor.stamp(datetime.now(UTC))
    sql: dict[int, str] = {}

    def statement(arity: int) -> str:
        if arity not in sql:
            sql[arity] = floor.q(
                "SELECT prefix, description, price_micros, per, first_interval, next_interval, "
                "connect_fee_micros, free_units FROM rates WHERE tariff_id = ? AND prefix IN ("
                + ", ".join("?" * arity)
                + ") AND effective_from <= ? "
                "ORDER BY length(prefix) DESC, effective_from DESC LIMIT 1"
            )
        return sql[arity]

    def call(destination: str) -> None:
        digits = destination[1:]
        prefixes = [digits[:i] for i in range(min(len(digits), MAX_PREFIX_DIGITS) + 1)]
        row = floor.conn.execute(statement(len(prefixes)), (fx.tariff_id, *prefixes, at)).fetchone()
        assert row is not None

    floor.begin_read()
    try:
        return timed(call, fx.destinations, seconds)
    finally:
        floor.rollback()
        floor.conn.close()


# --- (b) rated against money authorizations over HTTP ----------------------------------------


def http_rows(backend: str, fx: RatedFixture, args: argparse.Namespace) -> list[Row]:
    env = {"KASSA_DATABASE_URL": fx.base.url, "KASSA_SECRET_KEY": "benchmark-session-secret"}
    wrk = {"duration": args.duration, "connections": args.connections, "threads": 1}
    rated: list[load.WrkResult] = []
    money: list[load.WrkResult] = []
    with load.serve([load.App("kassa.app:create_app", env, kassa_serve=True)], workers=2) as (
        kassa,
    ):

        def run(mode: str, seconds: float) -> load.WrkResult:
            result = load.run_wrk(
                kassa, mode="rated" if mode == "rated" else "authorize",
                token=authorize.TOKEN, customers=fx.base.customers, accounts=fx.accounts,
                destinations=fx.destinations, **{**wrk, "duration": seconds},
            )  # fmt: skip
            if result.failures:
                raise RuntimeError(f"{result.failures} {mode} requests failed; see above")
            return result

        if args.warmup > 0:
            run("money", args.warmup)
            run("rated", args.warmup)
        for index in range(args.runs):
            order = ["rated", "money"] if index % 2 == 0 else ["money", "rated"]
            for mode in order:
                result = run(mode, args.duration)
                (rated if mode == "rated" else money).append(result)
                log(
                    f"  run {index + 1} {mode:<5} {result.pairs_per_s:8,.0f} auth/s  "
                    f"p50 {result.p50_ms:.1f} ms p99 {result.p99_ms:.1f} ms"
                )
    samples = authorize.Samples()
    for r, m in zip(rated, money, strict=True):
        samples.add(r.pairs_per_s, m.pairs_per_s)
    where = f"{len(fx.accounts):,} accounts"
    throughput = authorize.throughput_row(
        backend, f"(b) HTTP rated auth/s, {where}", samples, "auth/s", "money auth/s"
    )

    def latency(results: list[load.WrkResult]) -> str:
        p50 = statistics.median(r.p50_ms for r in results)
        p99 = statistics.median(r.p99_ms for r in results)
        return f"p50 {p50:.1f} / p99 {p99:.1f} ms"

    p50_ratio = statistics.median(m.p50_ms / r.p50_ms for r, m in zip(rated, money, strict=True))
    return [
        dataclasses.replace(throughput, target=f">= {HTTP_TARGET:.2f}",
                            passed=samples.ratio() >= HTTP_TARGET),
        Row(backend, f"(b) HTTP rated latency, {where}", latency(rated),
            f"{latency(money)} (money)", f"{p50_ratio:.2f}", "(info)", None),
    ]  # fmt: skip


# --- (c) the service functions, rated beside money --------------------------------------------


def rated_pairs(fx: RatedFixture, seconds: float) -> float:
    db = Database(fx.base.url)
    actor = Actor(user_id=fx.base.user_id, username="network", role=Role.SERVICE)
    account_of = dict(zip(fx.base.customers, fx.accounts, strict=True))
    commit_in = CommitIn(units=187)
    asked = [
        RatedReserveIn(
            account=account_of[customer], service=authorize.SERVICE,
            destination=fx.destinations[i % len(fx.destinations)], units=3600,
            session_id="bench",
        )
        for i, customer in enumerate(fx.base.customers)
    ]  # fmt: skip
    by_customer = dict(zip(fx.base.customers, asked, strict=True))

    def pair(customer_id: int) -> None:
        with open_unit(db) as connection:
            view = charging.reserve(connection, actor, by_customer[customer_id])
        with open_unit(db) as connection:
            charging.commit(connection, actor, view.row.id, commit_in)

    try:
        return authorize.timed_pairs(pair, fx.base.customers, seconds)
    finally:
        db.dispose()


def service_row(backend: str, fx: RatedFixture, args: argparse.Namespace) -> Row:
    samples = authorize.Samples()
    for run in range(args.runs):
        got = {}
        order = [("rated", rated_pairs), ("money", lambda f, s: authorize.kassa_pairs(f.base, s))]
        for name, fn in order if run % 2 == 0 else order[::-1]:
            got[name] = fn(fx, args.duration)
        samples.add(got["rated"], got["money"])
        log(
            f"  run {run + 1} (c) rated {got['rated']:7,.0f} auth/s, "
            f"money {got['money']:7,.0f} auth/s"
        )
    row = authorize.throughput_row(
        backend, "(c) service rated reserve+commit, 1 thread", samples, "auth/s", "money auth/s"
    )
    return dataclasses.replace(
        row, target=f">= {HTTP_TARGET:.2f}", passed=samples.ratio() >= HTTP_TARGET
    )


# --- the run -------------------------------------------------------------------------------------


def bench_backend(backend: str, args: argparse.Namespace) -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="kassa-bench-rating-") as tmp:
        log(f"[{backend}] preparing: {args.customers:,} customers, {args.prefixes:,} prefixes")
        fx = prepare(backend, Path(tmp), args)
        if "a" in args.figures:
            samples = authorize.Samples()
            for run in range(args.runs):
                got = {}
                order = [("kassa", kassa_lookups), ("floor", floor_lookups)]
                for name, fn in order if run % 2 == 0 else order[::-1]:
                    got[name] = fn(fx, args.duration)
                samples.add(got["kassa"], got["floor"])
                log(
                    f"  run {run + 1} (a) find_rate {got['kassa']:9,.0f} lookups/s, "
                    f"raw SQL {got['floor']:9,.0f} lookups/s"
                )
            row = authorize.throughput_row(
                backend, f"(a) rate lookup, {args.prefixes:,} prefixes", samples,
                "lookups/s", "raw SQL",
            )  # fmt: skip
            rows.append(dataclasses.replace(row, target=f">= {LOOKUP_TARGET:.2f}",
                                            passed=samples.ratio() >= LOOKUP_TARGET))  # fmt: skip
        if "b" in args.figures:
            if load.wrk_path() is None:
                log(f"wrk is not installed: skipping (b). Install: {load.WRK_INSTALL}")
                rows.append(Row(backend, "(b) HTTP", "skipped: no wrk", "", "", "", None))
            else:
                rows.extend(http_rows(backend, fx, args))
        if "c" in args.figures:
            rows.append(service_row(backend, fx, args))
    return rows


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--prefixes", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of HTTP warm-up")
    parser.add_argument("--figures", default="abc", help="which figures to measure, e.g. 'a'")
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 1 s, 1 run, 2,000 prefixes, 20 customers"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.runs, args.prefixes, args.customers, args.warmup = 1.0, 1, 2000, 20, 0
    args.figures = args.figures.lower()
    if not args.figures or not set(args.figures) <= set("abc"):
        parser.error("--figures takes letters from 'abc'")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    rows: list[Row] = []
    for backend in backends:
        rows.extend(bench_backend(backend, args))
    print_table(
        rows,
        f"Rating benchmarks: medians of {args.runs} run(s) of {args.duration:g} s, "
        f"{args.connections} connections, 2 workers, {os.cpu_count()} CPUs. "
        "1 auth = reserve + commit.",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
