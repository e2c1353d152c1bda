"""Real-time authorization benchmarks: reserve + commit through the service layer and over
HTTP, each printed beside a floor measured in the same run.

    .venv/bin/python benchmarks/authorize.py [--backend sqlite|postgresql|both] [--duration 10]
        [--runs 3] [--connections 16] [--customers 1000] [--workers 2] [--figures abc] [--quick]

Unit: one *authorization* is a reserve followed by the commit of that reservation (two
transactions, two HTTP requests). Throughputs are authorizations (pairs) per second; latencies
are per HTTP request (a reserve or a commit), as wrk measures them.

  (a) kassa.ledger.authorizations.reserve then .commit, each in its own
      authorizations.open_unit(db) transaction (as the API runs them),
      one thread, round-robin over the prepaid customers.
      Floor: the same statements in the same transactions through the same driver (sqlite3 /
      psycopg 3), no ORM (authorize_sql.py).             Target: >= 50% of the floor.
  (b) HTTP, --connections concurrent connections from wrk, each reserve on a random one of the
      prepaid customers and every granted reservation committed by a later request
      (authorize_wrk.lua), against kassa serve --workers 2 --no-access-log.
      Floors served the same way in the same run: GET /health of the same server, and
      authorize_minimal_app.py (FastAPI + the token lookup and the same statements; it
      remembers a token as long as Kassa does, --floor-token-ttl).
      Targets: >= 50% of the minimal app's authorizations/s; p99 < 5 x p50.
  (c) as (b), every reserve on one hot customer.

Each backend gets a fresh database: an SQLite file in a temporary directory, or the PostgreSQL
database kassa_bench_authorize dropped and re-created. Figures are medians of --runs runs;
a ratio is the median of the per-run ratios (Kassa and its floor measured back to back).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import authorize_load as load  # noqa: E402
import authorize_sql  # noqa: E402
import psycopg  # noqa: E402
from bench_report import Row, print_table  # noqa: E402
from sqlalchemy import select  # noqa: E402

from kassa.auth.actor import SYSTEM, Actor  # noqa: E402
from kassa.auth.service import create_token, create_user  # noqa: E402
from kassa.auth.token_cache import TOKEN_TTL_SECONDS  # noqa: E402
from kassa.bootstrap import bootstrap  # noqa: E402
from kassa.core.settings import Settings  # noqa: E402
from kassa.core.vocabulary import Role  # noqa: E402
from kassa.customers.schemas import CustomerIn  # noqa: E402
from kassa.customers.service import create_customer  # noqa: E402
from kassa.db.engine import Database  # noqa: E402
from kassa.db.models import BusinessModel  # noqa: E402
from kassa.ledger import authorizations  # noqa: E402
from kassa.ledger.schemas import CommitIn, ReserveIn  # noqa: E402

PG_SERVER = os.environ.get("KASSA_BENCH_PG_SERVER", "postgresql+psycopg://postgres@127.0.0.1:5432")
PG_DATABASE = "kassa_bench_authorize"
TOKEN = "kassa_benchmark_network_token"
SERVICE = "voice"
RESERVE, COMMIT = Decimal("1.00"), Decimal("0.42")
THROUGHPUT_TARGET = 0.50
TAIL_TARGET = 5.0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- the database under test ------------------------------------------------------------------


@dataclass
class Fixture:
    url: str
    user_id: int
    customers: list[int]
    hot: int


def fresh_url(backend: str, workdir: Path, name: str = PG_DATABASE) -> str:
    if backend == "sqlite":
        return f"sqlite:///{workdir / (name + '.db')}"
    admin = authorize_sql.pg_conninfo(f"{PG_SERVER}/postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG_SERVER}/{name}"


def prepare(backend: str, workdir: Path, customers: int, name: str = PG_DATABASE) -> Fixture:
    """Bootstrap, a service-role user with a token, the prepaid customers and the hot one (the
    PostgreSQL database ``name``)."""
    url = fresh_url(backend, workdir, name)
    settings = Settings(database_url=url, admin_password="benchmark-password")
    db = Database(url)
    bootstrap(db, settings)
    with db.transaction() as session:
        user = create_user(session, SYSTEM, username="network", role="service", password_hash=None)
        create_token(session, SYSTEM, user, name="benchmark", token=TOKEN)
        model_id = next(
            m.id for m in session.scalars(select(BusinessModel)) if SERVICE in m.services
        )
        user_id = user.id
        ids = []
        for i in range(customers + 1):
            body = CustomerIn(
                name=f"Prepaid {i:05d}",
                balance_control="prepaid",
                currency="USD",
                available_funds=Decimal("100000000.00" if i == 0 else "1000000.00"),
                business_model_id=model_id,
            )
            ids.append(create_customer(session, SYSTEM, body).id)
    db.dispose()
    return Fixture(url, user_id, ids[1:], ids[0])


# --- (a) the service layer against raw SQL, one thread -----------------------------------------


def timed_pairs(pair: Callable[[int], None], customers: list[int], seconds: float) -> float:
    """Authorizations per second of ``pair(customer_id)`` over ``seconds``, after a warm-up."""
    for i in range(50):
        pair(customers[i % len(customers)])
    done = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(20):
            pair(customers[done % len(customers)])
            done += 1
        now = time.perf_counter()
        if now >= deadline:
            return done / (now - start)


def kassa_pairs(fx: Fixture, seconds: float) -> float:
    db = Database(fx.url)
    actor = Actor(user_id=fx.user_id, username="network", role=Role.SERVICE)
    reserve_in = ReserveIn(amount=RESERVE, service=SERVICE, session_id="bench")
    commit_in = CommitIn(amount=COMMIT)

    def pair(customer_id: int) -> None:
        with authorizations.open_unit(db) as connection:
            view = authorizations.reserve(connection, actor, customer_id, reserve_in)
        with authorizations.open_unit(db) as connection:
            authorizations.commit(connection, actor, view.row.id, commit_in)

    try:
        return timed_pairs(pair, fx.customers, seconds)
    finally:
        db.dispose()


def floor_pairs(fx: Fixture, seconds: float) -> float:
    floor = authorize_sql.connect(fx.url)
    amount, used = authorize_sql.to_micros(str(RESERVE)), authorize_sql.to_micros(str(COMMIT))

    def pair(customer_id: int) -> None:
        view = floor.reserve(fx.user_id, customer_id, amount, SERVICE, "bench")
        assert view is not None, "the floor refused a reservation"
        assert floor.commit_authorization(fx.user_id, view["id"], used) is not None

    try:
        return timed_pairs(pair, fx.customers, seconds)
    finally:
        floor.conn.close()


# --- results -----------------------------------------------------------------------------------


@dataclass
class Samples:
    value: list[float] = field(default_factory=list)
    baseline: list[float] = field(default_factory=list)

    def add(self, value: float, baseline: float) -> None:
        self.value.append(value)
        self.baseline.append(baseline)

    def ratio(self) -> float:
        return statistics.median(v / b for v, b in zip(self.value, self.baseline, strict=True))


def throughput_row(backend: str, figure: str, s: Samples, unit: str, baseline: str) -> Row:
    ratio = s.ratio()
    return Row(
        backend,
        figure,
        f"{statistics.median(s.value):,.0f} {unit}",
        f"{statistics.median(s.baseline):,.0f} ({baseline})",
        f"{ratio:.2f}",
        f">= {THROUGHPUT_TARGET:.2f}",
        ratio >= THROUGHPUT_TARGET,
    )


def tail_row(
    backend: str, figure: str, kassa: list[load.WrkResult], floor: list[load.WrkResult]
) -> Row:
    def fmt(results: list[load.WrkResult]) -> str:
        p50 = statistics.median(r.p50_ms for r in results)
        p99 = statistics.median(r.p99_ms for r in results)
        return f"p50 {p50:.1f} / p99 {p99:.1f} ms"

    tail = statistics.median(r.p99_ms / r.p50_ms for r in kassa)
    floor_tail = statistics.median(r.p99_ms / r.p50_ms for r in floor)
    return Row(
        backend,
        figure,
        fmt(kassa),
        f"{fmt(floor)} (floor, p99/p50 {floor_tail:.1f})",
        f"p99/p50 {tail:.1f}",
        f"< {TAIL_TARGET:.0f}",
        tail < TAIL_TARGET,
    )


# --- (b) and (c) over HTTP ---------------------------------------------------------------------


def http_figures(backend: str, fx: Fixture, args: argparse.Namespace) -> list[Row]:
    env = {"KASSA_DATABASE_URL": fx.url, "KASSA_SECRET_KEY": "benchmark-session-secret"}
    wrk = {"duration": args.duration, "connections": args.connections, "threads": args.wrk_threads}
    apps = [
        load.App("kassa.app:create_app", env, kassa_serve=True),
        load.App(
            "authorize_minimal_app:create_app",
            {**env, "BENCH_FLOOR_TOKEN_TTL": str(args.floor_token_ttl)},
            app_dir=HERE,
        ),
    ]
    with load.serve(apps, workers=args.workers) as (kassa, floor):

        def authorize(base: str, customers: list[int], seconds: float) -> load.WrkResult:
            result = load.run_wrk(
                base, mode="authorize", token=TOKEN, customers=customers, service=SERVICE,
                **{**wrk, "duration": seconds},
            )  # fmt: skip
            if result.failures:
                raise RuntimeError(f"{result.failures} requests to {base} failed; see above")
            return result

        if args.warmup > 0:
            for base in (kassa, floor):
                authorize(base, fx.customers, args.warmup)
        results: dict[str, list[load.WrkResult]] = {
            k: [] for k in ("many", "many_floor", "hot", "hot_floor", "health")
        }
        for run in range(args.runs):
            plan = [
                ("many", kassa, fx.customers),
                ("many_floor", floor, fx.customers),
                ("hot", kassa, [fx.hot]),
                ("hot_floor", floor, [fx.hot]),
            ]
            if run % 2:  # alternate who goes first, so drift does not favour either
                plan = [plan[1], plan[0], plan[3], plan[2]]
            for key, base, customers in plan:
                if (key.startswith("many") and "b" in args.figures) or (
                    key.startswith("hot") and "c" in args.figures
                ):
                    results[key].append(authorize(base, customers, args.duration))
                    r = results[key][-1]
                    log(
                        f"  run {run + 1} {key:<10} {r.pairs_per_s:8,.0f} auth/s "
                        f"{r.requests_per_s:8,.0f} req/s  p50 {r.p50_ms:.1f} ms "
                        f"p99 {r.p99_ms:.1f} ms"
                    )
            health = load.run_wrk(kassa + "/health", mode="get", **wrk)
            results["health"].append(health)
            log(f"  run {run + 1} health     {health.requests_per_s:8,.0f} req/s")
    rows: list[Row] = []
    for key, label in (("many", "b"), ("hot", "c")):
        kassa_runs, floor_runs = results[key], results[key + "_floor"]
        if not kassa_runs:
            continue
        where = f"{len(fx.customers):,} customers" if key == "many" else "1 hot customer"
        pairs = Samples()
        requests = Samples()
        for k, f, h in zip(kassa_runs, floor_runs, results["health"], strict=True):
            pairs.add(k.pairs_per_s, f.pairs_per_s)
            requests.add(k.requests_per_s, h.requests_per_s)
        rows.append(
            throughput_row(backend, f"({label}) HTTP auth/s, {where}", pairs, "auth/s", "floor")
        )
        rows.append(tail_row(backend, f"({label}) HTTP latency, {where}", kassa_runs, floor_runs))
        health_runs = results["health"]
        info = throughput_row(
            backend,
            f"({label}) HTTP req/s vs GET /health",
            requests,
            "req/s",
            f"/health, p50 {statistics.median(h.p50_ms for h in health_runs):.1f} ms",
        )
        rows.append(dataclasses.replace(info, target="(info)", passed=None))
    return rows


# --- the run -----------------------------------------------------------------------------------


def bench_backend(backend: str, args: argparse.Namespace) -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="kassa-bench-authorize-") as tmp:
        log(f"[{backend}] preparing a fresh database with {args.customers:,} customers")
        fx = prepare(backend, Path(tmp), args.customers)
        if "a" in args.figures:
            samples = Samples()
            for run in range(args.runs):
                order = [("kassa", kassa_pairs), ("floor", floor_pairs)]
                got: dict[str, float] = {}
                for name, fn in order if run % 2 == 0 else order[::-1]:
                    got[name] = fn(fx, args.duration)
                samples.add(got["kassa"], got["floor"])
                log(
                    f"  run {run + 1} (a) service {got['kassa']:8,.0f} auth/s, "
                    f"raw SQL {got['floor']:8,.0f} auth/s"
                )
            rows.append(
                throughput_row(
                    backend, "(a) service reserve+commit, 1 thread", samples, "auth/s", "raw SQL"
                )
            )
        if {"b", "c"} & set(args.figures):
            if load.wrk_path() is None:
                log(f"wrk is not installed: skipping (b) and (c). Install: {load.WRK_INSTALL}")
                rows.append(Row(backend, "(b)/(c) HTTP", "skipped: no wrk", "", "", "", None))
            else:
                rows.extend(http_figures(backend, fx, args))
    return rows


def print_rows(rows: list[Row], args: argparse.Namespace) -> None:
    print_table(
        rows,
        f"Authorization benchmarks: medians of {args.runs} run(s) of {args.duration:g} s, "
        f"{args.connections} connections, {args.workers} workers, {os.cpu_count()} CPUs. "
        "1 auth = reserve + commit.",
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="server worker processes (kassa serve --workers, and the same for the floor)",
    )
    parser.add_argument("--wrk-threads", type=int, default=1)
    parser.add_argument(
        "--warmup", type=float, default=3.0, help="seconds of HTTP warm-up (0: none)"
    )
    parser.add_argument("--figures", default="abc", help="which figures to measure, e.g. 'a'")
    parser.add_argument(
        "--floor-token-ttl",
        type=float,
        default=TOKEN_TTL_SECONDS,
        help="seconds the HTTP floor remembers a token, as Kassa does (default %(default)s; "
        "0: it looks the token up on every request)",
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 s, 1 run, 20 customers")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.runs, args.customers, args.warmup = 1.0, 1, 20, 0.0
    args.figures = args.figures.lower()
    if not set(args.figures) <= set("abc") or not args.figures:
        parser.error("--figures takes letters from 'abc'")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    rows: list[Row] = []
    for backend in backends:
        rows.extend(bench_backend(backend, args))
    print_rows(rows, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
