"""Account lookups on a large table: by identifier (what the network asks) beside by id, over
HTTP, with their floors measured in the same run.

    .venv/bin/python benchmarks/accounts.py [--backend sqlite|postgresql|both]
        [--accounts 1000000] [--duration 5] [--runs 5] [--quick] [--refill]

Figures (p50 / p95 latency, one client, random keys; the median of --runs runs each):
  1. GET /api/v1/accounts?identifier=X and GET /api/v1/accounts/{id}, each beside GET /health
     of the same server (what any request costs);
  2. the same identifier lookup as raw SQL through the driver Kassa uses, beside the
     primary-key lookup alike; and the HTTP lookup beside that raw SQL floor.
The filled database is cached under benchmarks/.cache (SQLite) or as kassa_bench_accounts
(PostgreSQL); --refill builds it again.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import accounts_fill as fill  # noqa: E402
import customers_harness as harness  # noqa: E402
from bench_report import Row, print_table  # noqa: E402
from customers_databases import CACHE, TOKEN, log, server_env  # noqa: E402
from customers_report import ms, percentile  # noqa: E402
from customers_sql import connect, is_sqlite  # noqa: E402

KASSA_APP = "kassa.app:create_app"
SAMPLE_KEYS = 5_000
# What GET /accounts/{id} and ?identifier= read: the account's row through one index.
SELECT = (
    "SELECT id, customer_id, identifier, product_id, status, max_sessions, "
    "password_hash IS NOT NULL, created_at, updated_at FROM accounts WHERE {key} = {mark}"
)
Latencies = list[tuple[float, float]]


def _pair(value: Latencies) -> tuple[float, float]:
    return statistics.median(v[0] for v in value), statistics.median(v[1] for v in value)


def _shown(p50: float, p95: float) -> str:
    """Microseconds below a millisecond: the raw SQL floor is a few of them."""
    if p95 < 0.001:
        return f"{p50 * 1e6:.1f} / {p95 * 1e6:.1f} µs"
    return f"{p50 * 1000:.2f} / {p95 * 1000:.2f} ms"


def latency_row(backend: str, figure: str, value: Latencies, floor: Latencies) -> Row:
    """p50 / p95 of Kassa beside its floor, the medians over the runs; ratio of the p50s."""
    v50, v95 = _pair(value)
    b50, b95 = _pair(floor)
    return Row(
        backend, figure, _shown(v50, v95), _shown(b50, b95), f"{v50 / b50:,.1f}x p50", "-", None
    )


def sample_keys(url: str, count: int) -> list[tuple[int, str]]:
    """(id, identifier) of random accounts, read from the table itself."""
    picker = random.Random(20261206)
    conn = connect(url)
    mark = "?" if is_sqlite(url) else "%s"
    (low, high) = conn.execute("SELECT min(id), max(id) FROM accounts").fetchone()
    keys = []
    for _ in range(min(SAMPLE_KEYS, count)):
        found = conn.execute(
            f"SELECT id, identifier FROM accounts WHERE id >= {mark} ORDER BY id LIMIT 1",
            (picker.randint(low, high),),
        ).fetchone()
        keys.append((int(found[0]), str(found[1])))
    conn.close()
    return keys


def check_plan(backend: str, url: str, identifier: str) -> None:
    """The identifier lookup reads the unique index, or the figures mean nothing."""
    conn = connect(url)
    if is_sqlite(url):
        plan = " ".join(
            str(r[-1])
            for r in conn.execute(
                "EXPLAIN QUERY PLAN " + SELECT.format(key="identifier", mark="?"), (identifier,)
            )
        )
        uses_index = "USING INDEX" in plan
    else:
        plan = " ".join(
            str(r[0])
            for r in conn.execute(
                "EXPLAIN " + SELECT.format(key="identifier", mark="%s"), (identifier,)
            )
        )
        uses_index = "Index Scan" in plan or "Index Only Scan" in plan
    conn.close()
    log(f"[{backend}] plan of the identifier lookup: {plan}")
    if not uses_index:
        raise SystemExit(f"[{backend}] the identifier lookup does not use its index: {plan}")


def raw_latencies(url: str, keys: list[tuple[int, str]], seconds: float) -> dict[str, list[float]]:
    """The two lookups as raw SQL on one connection, taken in turn like the HTTP ones."""
    conn = connect(url)
    mark = "?" if is_sqlite(url) else "%s"
    by_identifier = SELECT.format(key="identifier", mark=mark)
    by_id = SELECT.format(key="id", mark=mark)
    samples: dict[str, list[float]] = {"identifier": [], "id": []}
    deadline = time.perf_counter() + seconds * 2
    i = 0
    while time.perf_counter() < deadline:
        account_id, identifier = keys[i % len(keys)]
        for label, sql, value in (
            ("identifier", by_identifier, identifier),
            ("id", by_id, account_id),
        ):
            began = time.perf_counter()
            row = conn.execute(sql, (value,)).fetchone()
            samples[label].append(time.perf_counter() - began)
            if row is None:
                raise RuntimeError(f"no account {value!r}")
        i += 1
    conn.close()
    return samples


def measure(
    backend: str, url: str, server: harness.Server, args: argparse.Namespace
) -> dict[str, Latencies]:
    keys = sample_keys(url, args.accounts)
    check_plan(backend, url, keys[0][1])
    targets: dict[str, Callable[[int], str]] = {
        "http-identifier": lambda i: (
            f"/api/v1/accounts?identifier={quote(keys[(i * 7919) % len(keys)][1])}"
        ),
        "http-id": lambda i: f"/api/v1/accounts/{keys[(i * 7919 + 1) % len(keys)][0]}",
        "health": lambda i: "/health",
    }
    results: dict[str, Latencies] = {}
    for run in range(args.runs):
        got: dict[str, Any] = harness.latencies(server.url, TOKEN, targets, args.duration / 3)
        got |= {f"raw-{k}": v for k, v in raw_latencies(url, keys, args.duration / 2).items()}
        for label, values in got.items():
            results.setdefault(label, []).append((percentile(values, 50), percentile(values, 95)))
        log(
            f"[{backend}] run {run + 1}/{args.runs}: p50 "
            + ", ".join(f"{label} {ms(p[-1][0])}" for label, p in results.items())
        )
    return results


def bench_backend(backend: str, args: argparse.Namespace) -> list[Row]:
    url = fill.filled_database(backend, args.accounts, args.refill)
    with harness.serving([harness.App(KASSA_APP, server_env(url))], workers=1) as [server]:
        got = measure(backend, url, server, args)
    return [
        latency_row(
            backend, "GET /accounts?identifier=X vs GET /health", got["http-identifier"],
            got["health"],
        ),
        latency_row(backend, "GET /accounts/{id} vs GET /health", got["http-id"], got["health"]),
        latency_row(
            backend, "GET /accounts?identifier=X vs GET /accounts/{id}", got["http-identifier"],
            got["http-id"],
        ),
        latency_row(
            backend, "GET /accounts?identifier=X vs raw SQL by identifier",
            got["http-identifier"], got["raw-identifier"],
        ),
        latency_row(
            backend, "raw SQL by identifier vs raw SQL by id", got["raw-identifier"],
            got["raw-id"],
        ),
    ]  # fmt: skip


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--accounts", type=int, default=None, help="table size (1,000,000)")
    parser.add_argument("--duration", type=float, default=None, help="seconds per figure a run")
    parser.add_argument("--runs", type=int, default=None, help="report the median of N runs")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--refill", action="store_true", help="rebuild the cached large table")
    args = parser.parse_args(argv)
    args.accounts = args.accounts or (5_000 if args.quick else fill.DEFAULT_ACCOUNTS)
    args.duration = args.duration or (1.0 if args.quick else 5.0)
    args.runs = args.runs or (2 if args.quick else 5)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    CACHE.mkdir(exist_ok=True)
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    rows: list[Row] = []
    for backend in backends:
        rows.extend(bench_backend(backend, args))
    print_table(
        rows,
        f"Kassa account lookups: median of {args.runs} run(s), {args.accounts:,} accounts, "
        f"random keys, one client, 1 uvicorn worker; latency is p50 / p95, ratios of p50",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
