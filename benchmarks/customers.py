"""Customer benchmarks: creation over HTTP and through the service layer, and list/search
latency on a large table, each printed beside a floor measured in the same run.

    .venv/bin/python benchmarks/customers.py [--backend sqlite|postgresql|both]
        [--customers 1000000] [--duration 10] [--runs 3] [--workers 1] [--quick] [--refill]

Figures (the median of --runs runs each):
  1. POST /api/v1/customers per second with 1 and 8 clients, against ``kassa.app:create_app``
     served by uvicorn; floor: customers_minimal_app.py (FastAPI, one raw INSERT) served alike.
  2. kassa.customers.service.create_customer per second, one transaction each; floor: the same
     row inserted with raw SQL through the same driver, one transaction each.
  3. Latency (p50/p95) of search, first and deep list pages on --customers customers; floor:
     GET /api/v1/customers/{id} in the same run.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import customers_fill as fill  # noqa: E402
import customers_harness as harness  # noqa: E402
import customers_sql as raw_sql  # noqa: E402
from customers_databases import (  # noqa: E402
    CACHE,
    DEFAULT_CUSTOMERS,
    TOKEN,
    business_model_id,
    filled_database,
    fresh_database,
    log,
    server_env,
)
from customers_report import (  # noqa: E402
    Row,
    Sample,
    cpu_row,
    latency_row,
    ms,
    percentile,
    print_rows,
    throughput_row,
)

from kassa.auth.service import actor_for, get_user_by_name  # noqa: E402
from kassa.core.pagination import encode_cursor  # noqa: E402
from kassa.customers import service  # noqa: E402
from kassa.customers.schemas import CustomerIn  # noqa: E402
from kassa.db.engine import Database  # noqa: E402

KASSA_APP = "kassa.app:create_app"
CREATE_TARGET = 0.30
LATENCY_TARGET = 3.0
SAMPLE_TERMS = 20


def run_id() -> str:
    return f"Bench {time.time_ns():x}"


def slices(seconds: float) -> list[float]:
    """A figure's time cut into slices of about two seconds. The two sides take turns, so a
    noisy neighbour or a slow disk moment hurts neither side more than the other."""
    count = max(1, round(seconds / 2))
    return [seconds / count] * count


def alternate(
    sides: dict[str, Callable[[float], Sample]], seconds: float, run: int
) -> dict[str, Sample]:
    """Run each side for ``seconds`` in all, taking turns slice by slice."""
    totals = {name: Sample() for name in sides}
    order = list(sides)
    for i, piece in enumerate(slices(seconds)):
        for name in order if (run + i) % 2 == 0 else order[::-1]:
            totals[name].add(sides[name](piece))
    return totals


def http_creation(
    backend: str,
    url: str,
    kassa: harness.Server,
    floor: harness.Server,
    args: argparse.Namespace,
    tool: str,
) -> dict[str, list[Sample]]:
    model_id = business_model_id(url)

    def post(server: harness.Server, clients: int) -> Callable[[float], Sample]:
        def side(seconds: float) -> Sample:
            cpu = server.cpu_seconds()
            got = harness.post_customers(
                server.url, TOKEN, clients=clients, seconds=seconds,
                prefix=run_id(), model_id=model_id, tool=tool,
            )  # fmt: skip
            if got.errors:
                raise RuntimeError(f"{server.url}: {got.errors} requests failed")
            return Sample(got.requests, got.seconds, server.cpu_seconds() - cpu)

        return side

    # First requests import and compile what later ones reuse; neither side is timed on them.
    for server in (kassa, floor):
        post(server, 1)(1)
    results: dict[str, list[Sample]] = {}
    for run in range(args.runs):
        for clients in (1, 8):
            sides = {"minimal": post(floor, clients), "kassa": post(kassa, clients)}
            got = alternate(sides, args.duration, run)
            for who, sample in got.items():
                results.setdefault(f"{who}-{clients}", []).append(sample)
            log(
                f"[{backend}] run {run + 1}/{args.runs}: POST /customers, {clients} "
                f"client(s): kassa {got['kassa'].rate:,.0f}/s "
                f"({ms(got['kassa'].cpu_per_op)} server CPU each), "
                f"minimal {got['minimal'].rate:,.0f}/s ({ms(got['minimal'].cpu_per_op)})"
            )
    return results


def service_creation(backend: str, url: str, args: argparse.Namespace) -> dict[str, list[Sample]]:
    model_id = business_model_id(url)
    db = Database(url)
    with db.reading() as session:
        actor = actor_for(get_user_by_name(session, "admin"))
    conn = raw_sql.connect(url)
    class_id = raw_sql.default_class_id(conn)
    sqlite = raw_sql.is_sqlite(url)
    results: dict[str, list[Sample]] = {"service": [], "raw": []}

    def with_service(name: str) -> None:
        with db.transaction() as session:
            body = CustomerIn(**harness.customer_body(name, model_id))
            service.create_customer(session, actor, body)

    def with_raw(name: str) -> None:
        body = harness.customer_body(name, model_id)
        raw_sql.insert_customer(conn, raw_sql.customer_row(body, class_id, sqlite))

    def timed(create: Callable[[str], None]) -> Callable[[float], Sample]:
        def side(seconds: float) -> Sample:
            prefix = run_id()
            count = 0
            cpu = time.process_time()
            began = time.perf_counter()
            while time.perf_counter() - began < seconds:
                create(f"{prefix} {count}")
                count += 1
            return Sample(count, time.perf_counter() - began, time.process_time() - cpu)

        return side

    for run in range(args.runs):
        got = alternate(
            {"raw": timed(with_raw), "service": timed(with_service)}, args.duration, run
        )
        for label, sample in got.items():
            results[label].append(sample)
        log(
            f"[{backend}] run {run + 1}/{args.runs}: create_customer: "
            f"service {got['service'].rate:,.0f}/s ({ms(got['service'].cpu_per_op)} CPU each), "
            f"raw SQL {got['raw'].rate:,.0f}/s ({ms(got['raw'].cpu_per_op)})"
        )
    conn.close()
    db.dispose()
    return results


def search_terms(count: int) -> dict[str, list[str]]:
    """Terms a person would type, taken from company customers spread over the table."""
    picker = random.Random(20261126)
    companies: list[str] = []
    while len(companies) < SAMPLE_TERMS:
        name = fill.customer_name(picker.randrange(count))
        if name.split()[1] not in fill.INITIALS:
            companies.append(name)
    prefix, inner = [], []
    for name in companies:
        brand, industry = name.split()[:2]
        prefix.append(f"{brand} {industry[:4]}")
        inner.append(f"{brand[2:]} {industry[:4]}".lower())
    return {"prefix": prefix, "substring": inner, "unselective": ["networks"]}


def match_counts(count: int, terms: dict[str, list[str]]) -> dict[str, int]:
    keys = [raw_sql.name_key(fill.customer_name(row)) for row in range(count)]
    result = {}
    for kind, words in terms.items():
        hits = [sum(1 for k in keys if raw_sql.name_key(w) in k) for w in words]
        result[kind] = round(statistics.median(hits))
    return result


def latency(
    backend: str, kassa: harness.Server, args: argparse.Namespace, terms: dict[str, list[str]]
) -> dict[str, list[tuple[float, float]]]:
    n = args.customers
    deep = max(n - n // 10, 1)

    def search(kind: str) -> Callable[[int], str]:
        words = terms[kind]
        return lambda i: f"/api/v1/customers?q={quote(words[i % len(words)])}"

    targets: dict[str, Callable[[int], str]] = {
        "by-id": lambda i: f"/api/v1/customers/{(i * 7919) % n + 1}",
        "prefix": search("prefix"),
        "substring": search("substring"),
        "unselective": search("unselective"),
        "first-page": lambda i: "/api/v1/customers?limit=50",
        "deep-page": lambda i: (
            f"/api/v1/customers?limit=50&cursor={encode_cursor(deep + (i * 37) % (n // 20 + 1))}"
        ),
    }
    results: dict[str, list[tuple[float, float]]] = {label: [] for label in targets}
    for run in range(args.runs):
        samples = harness.latencies(kassa.url, TOKEN, targets, args.duration / 2)
        for label, values in samples.items():
            results[label].append((percentile(values, 50), percentile(values, 95)))
        log(
            f"[{backend}] run {run + 1}/{args.runs}: p95 "
            + ", ".join(f"{label} {ms(p[-1][1])}" for label, p in results.items())
        )
    return results


def bench_backend(backend: str, args: argparse.Namespace, tool: str) -> list[Row]:
    filled = filled_database(backend, args.customers, args.refill)
    terms = search_terms(args.customers)
    hits = match_counts(args.customers, terms)
    with fresh_database(backend) as url:
        apps = [
            harness.App(KASSA_APP, server_env(url)),
            harness.App("customers_minimal_app:create_app", server_env(url), HERE),
            harness.App(KASSA_APP, server_env(filled)),
        ]
        with harness.serving(apps, workers=args.workers) as (kassa, floor, large):
            made = service_creation(backend, url, args)
            http = http_creation(backend, url, kassa, floor, args, tool)
            got = latency(backend, large, args, terms)
    rows = [
        throughput_row(
            backend, "create_customer (service, 1 tx each)", made["service"], made["raw"], None
        ),
        cpu_row(backend, "  CPU per customer (this process)", made["service"], made["raw"]),
    ]
    for clients in (1, 8):
        kassa_runs, floor_runs = http[f"kassa-{clients}"], http[f"minimal-{clients}"]
        label = f"POST /customers, {clients} client{'s' if clients > 1 else ''}"
        rows.append(throughput_row(backend, label, kassa_runs, floor_runs, CREATE_TARGET))
        rows.append(cpu_row(backend, "  server CPU per request", kassa_runs, floor_runs))
    figures = (
        ("prefix", f"search prefix, selective (~{hits['prefix']} hits)", LATENCY_TARGET),
        ("substring", f"search substring, selective (~{hits['substring']} hits)", LATENCY_TARGET),
        ("unselective", f"search 'networks', unselective (~{hits['unselective']:,} hits)", None),
        ("first-page", "list limit=50, first page", None),
        ("deep-page", "list limit=50, deep cursor page", None),
    )
    for key, label, target in figures:
        rows.append(latency_row(backend, label, got[key], got["by-id"], target))
    return rows


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--customers", type=int, default=None, help="table size for latency")
    parser.add_argument("--duration", type=float, default=None, help="seconds per figure")
    parser.add_argument("--runs", type=int, default=None, help="report the median of N runs")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--client", choices=("auto", "wrk", "httpx"), default="auto")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--refill", action="store_true", help="rebuild the cached large table")
    args = parser.parse_args(argv)
    quick = args.quick
    args.customers = args.customers or (10_000 if quick else DEFAULT_CUSTOMERS)
    args.duration = args.duration or (2.0 if quick else 10.0)
    args.runs = args.runs or (1 if quick else 3)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tool = args.client
    if tool == "auto":
        tool = "wrk" if harness.has_wrk() else "httpx"
    elif tool == "wrk" and not harness.has_wrk():
        raise SystemExit("wrk is not installed (apt-get install -y wrk); use --client httpx")
    CACHE.mkdir(exist_ok=True)
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    rows: list[Row] = []
    for backend in backends:
        rows.extend(bench_backend(backend, args, tool))
    print_rows(rows, args, tool)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
