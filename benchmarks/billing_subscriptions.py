"""Subscription benchmark: a bill run over many customers with one subscription each, beside
the same inserts and updates in raw SQL, measured in the same run.

    .venv/bin/python benchmarks/billing_subscriptions.py [--backend sqlite|postgresql|both]
        [--customers 100000] [--runs 3] [--batch-size N] [--quick] [--refill]

The data is the billing benchmark's (billing_data.py: customers created in October 2026 whose
first monthly period has ended by ``AS_OF``, two ledger entries each), and each fresh copy gets
one in-advance, prorated subscription per customer, from the customer's creation, not charged
yet (set up before the clock starts). Kassa's clock reads one hour after ``AS_OF``.

Figure (medians of --runs runs, each on a fresh copy): customers per second of
``run_billing(db, None, as_of=AS_OF)``, which posts each customer's two fees (October's
prorated share, inside the close of October, on its invoice; November's whole fee after it),
closes October and runs collection. Floor: in one transaction through the same driver, the
same inserts and updates in set-based SQL: the October fee entries, their fee rows, the
subscriptions and balances moved on; the billing floor of billing_baseline.py (periods,
marking, sums, customers moved on); then the November fees the same way.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import billing_data as data  # noqa: E402
from bench_report import Row, print_table  # noqa: E402
from billing_baseline import _pg, _statements  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from kassa.billing.runs import DEFAULT_BATCH, run_billing  # noqa: E402
from kassa.core import clock  # noqa: E402
from kassa.db.engine import Database  # noqa: E402
from kassa.db.models import BillingPeriod, LedgerEntry, SubscriptionFee  # noqa: E402

CACHE = HERE / ".cache"
PG_SERVER = os.environ.get("KASSA_BENCH_PG_SERVER", "postgresql+psycopg://postgres@127.0.0.1:5432")
TARGET = 0.25
ENTRIES_PER_CUSTOMER = 2
NOW = data.AS_OF + timedelta(hours=1)
PLAN_CREATED = data.EPOCH - timedelta(days=1)
FEES_PER_CUSTOMER = 2


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _stamp(value: datetime, sqlite: bool) -> Any:
    return data.sqlite_stamp(value) if sqlite else value


def _params(sql: str, sqlite: bool) -> str:
    return sql if sqlite else _pg(sql.replace(":plan_created", "%(plan_created)s"))


def subscribe_everyone(url: str) -> None:
    """One plan per currency, and a subscription of every customer to its currency's plan from
    its creation, nothing charged yet (untimed)."""
    sqlite = data.is_sqlite(url)
    conn = data.connect(url)
    yes, no = ("1", "0") if sqlite else ("true", "false")
    statements = [
        f"""INSERT INTO subscription_plans (name, name_key, currency, periodic_fee_micros,
                activation_fee_micros, charged, prorate, minimum_periods,
                cancellation_fee_micros, description, created_at, updated_at)
            VALUES ('Fibre 300', 'fibre 300', 'USD', 29990000, 0, 'in_advance', {yes}, 0, 0, '',
                    :plan_created, :plan_created),
                   ('Fibre 300 EUR', 'fibre 300 eur', 'EUR', 27990000, 0, 'in_advance', {yes},
                    0, 0, '', :plan_created, :plan_created)""",
        """INSERT INTO subscription_plan_fees (plan_id, periodic_fee_micros, effective_from)
            SELECT id, periodic_fee_micros, created_at FROM subscription_plans""",
        f"""INSERT INTO subscriptions (customer_id, plan_id, starts_at, commitment_ends_at,
                charged_through, next_charge_at, activation_charged, cancellation_charged,
                created_at, updated_at)
            SELECT c.id, p.id, c.created_at, c.created_at, c.created_at, c.created_at, {yes},
                   {no}, c.created_at, c.created_at
            FROM customers AS c JOIN subscription_plans AS p ON p.currency = c.currency
            ORDER BY c.id""",
    ]
    params = {"plan_created": _stamp(PLAN_CREATED, sqlite)}
    try:
        conn.execute("BEGIN IMMEDIATE" if sqlite else "BEGIN")
        for sql in statements:
            conn.execute(_params(sql, sqlite), params)
        conn.execute("COMMIT")
        if not sqlite:
            conn.execute("ANALYZE")
    finally:
        conn.close()


def _fee_statements(sqlite: bool) -> list[str]:
    """One pass of fee posting in set-based SQL: the entries of the fees due (with their
    external ids, created at the period they bill), their fee rows, the subscriptions and the
    balances moved on."""
    key = (
        "'subscription:' || s.id || ':periodic:' || s.charged_through"
        if sqlite
        else "'subscription:' || s.id || ':periodic:' || s.charged_through::text"
    )
    return [
        f"""INSERT INTO ledger_entries (customer_id, type, amount_micros, balance_after_micros,
                currency, visible_comment, internal_comment, external_id, created_at)
            SELECT c.id, 'subscription', p.periodic_fee_micros,
                   c.balance_micros + p.periodic_fee_micros, c.currency,
                   p.name || ', one billing period', '', {key}, s.charged_through
            FROM subscriptions AS s
            JOIN customers AS c ON c.id = s.customer_id
            JOIN subscription_plans AS p ON p.id = s.plan_id
            WHERE s.next_charge_at <= :as_of ORDER BY c.id""",
        """INSERT INTO subscription_fees (subscription_id, customer_id, kind, period_start,
                period_end, amount_micros, full_fee_micros, ledger_entry_id, created_at)
            SELECT s.id, s.customer_id, 'periodic', s.charged_through, c.period_end_at,
                   e.amount_micros, e.amount_micros, e.id, :now
            FROM ledger_entries AS e
            JOIN subscriptions AS s ON s.customer_id = e.customer_id
            JOIN customers AS c ON c.id = s.customer_id
            WHERE e.id > :entries_floor""",
        """UPDATE subscriptions SET charged_through = c.period_end_at,
                next_charge_at = c.period_end_at, updated_at = :now
            FROM customers AS c
            WHERE c.id = subscriptions.customer_id AND subscriptions.next_charge_at <= :as_of""",
        """UPDATE customers SET balance_micros = customers.balance_micros + e.amount_micros
            FROM ledger_entries AS e
            WHERE e.id > :entries_floor AND e.customer_id = customers.id""",
    ]


@dataclass
class Floor:
    customers: int
    seconds: float


def run_floor(url: str) -> Floor:
    sqlite = data.is_sqlite(url)
    conn = data.connect(url)
    close = _statements(sqlite)
    fees = _fee_statements(sqlite)
    if not sqlite:
        close = {k: _pg(v) for k, v in close.items()}
        fees = [_pg(sql.replace(":entries_floor", "%(entries_floor)s")) for sql in fees]
    params: dict[str, Any] = {
        "as_of": _stamp(data.AS_OF, sqlite),
        "now": _stamp(NOW, sqlite),
    }

    def post_fees() -> None:
        params["entries_floor"] = conn.execute(
            "SELECT coalesce(max(id), 0) FROM ledger_entries"
        ).fetchone()[0]
        for sql in fees:
            conn.execute(sql, params)

    try:
        started = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE" if sqlite else "BEGIN")
        post_fees()
        params["floor"] = conn.execute(
            "SELECT coalesce(max(id), 0) FROM billing_periods"
        ).fetchone()[0]
        customers = conn.execute(close["periods"], params).rowcount
        conn.execute(close["mark"], params)
        conn.execute(close["sums"], params).fetchall()
        conn.execute(close["advance"], params)
        post_fees()
        conn.execute("COMMIT")
        seconds = time.perf_counter() - started
    finally:
        conn.close()
    return Floor(customers, seconds)


@dataclass
class KassaResult:
    customers: int
    fees: int
    seconds: float


def kassa_run(url: str, args: argparse.Namespace) -> KassaResult:
    db = Database(url)
    try:
        began = time.perf_counter()
        summary = run_billing(db, None, as_of=data.AS_OF, batch_size=args.batch_size)
        seconds = time.perf_counter() - began
        with db.reading() as session:
            fees = session.scalar(select(func.count()).select_from(SubscriptionFee)) or 0
            entries = (
                session.scalar(
                    select(func.count())
                    .select_from(LedgerEntry)
                    .where(LedgerEntry.type == "subscription")
                )
                or 0
            )
            on_periods = (
                session.scalar(
                    select(func.count())
                    .select_from(LedgerEntry)
                    .join(BillingPeriod, BillingPeriod.id == LedgerEntry.billing_period_id)
                    .where(LedgerEntry.type == "subscription")
                )
                or 0
            )
        expected = args.customers * FEES_PER_CUSTOMER
        if (fees, entries, on_periods) != (expected, expected, args.customers):
            raise RuntimeError(
                f"{fees} fee rows and {entries} fee entries ({on_periods} on closed periods); "
                f"expected {expected}, {expected} and {args.customers}"
            )
        return KassaResult(summary.periods_closed, int(fees), seconds)
    finally:
        db.dispose()


def bench_backend(name: str, args: argparse.Namespace) -> Row:
    spec = data.Spec(args.customers, ENTRIES_PER_CUSTOMER)
    if name == "sqlite":
        template = str(data.ensure_sqlite_template(CACHE, spec, args.refill))
    else:
        template = data.ensure_pg_template(PG_SERVER, spec, args.refill)
    copies = 0

    def fresh() -> tuple[str, Any]:
        nonlocal copies
        copies += 1
        tag = f"sub_{os.getpid()}_{copies}"
        if name == "sqlite":
            path = data.sqlite_copy(Path(template), tag)
            url = f"sqlite:///{path}"
        else:
            path = data.pg_copy(PG_SERVER, template, tag)
            url = f"{PG_SERVER}/{path}"
        subscribe_everyone(url)
        return url, path

    def drop(path: Any) -> None:
        if name == "sqlite":
            data.drop_sqlite(path)
        else:
            data.drop_pg(PG_SERVER, path)

    kassa: list[KassaResult] = []
    floors: list[Floor] = []
    for run in range(1, args.runs + 1):
        log(f"  {name} run {run}/{args.runs}")
        url, path = fresh()
        try:
            floor = run_floor(url)
        finally:
            drop(path)
        log(f"    floor: {floor.customers:,} customers in {floor.seconds:.2f} s")
        floors.append(floor)
        url, path = fresh()
        try:
            mine = kassa_run(url, args)
        finally:
            drop(path)
        log(
            f"    kassa: {mine.customers:,} customers, {mine.fees:,} fees in {mine.seconds:.2f} s"
            f" = {mine.seconds / floor.seconds:.1f}x the floor's time"
        )
        kassa.append(mine)
    seconds = statistics.median(k.seconds for k in kassa)
    floor_seconds = statistics.median(f.seconds for f in floors)
    rate = args.customers / seconds
    base = args.customers / floor_seconds
    return Row(
        name,
        f"bill run + fees, customers/s (batch {args.batch_size})",
        f"{rate:,.0f}/s ({args.customers:,} in {seconds:.1f} s)",
        f"{base:,.0f}/s raw SQL ({floor_seconds:.1f} s)",
        f"{rate / base:.0%}",
        f">= {TARGET:.0%}",
        rate / base >= TARGET,
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH)
    parser.add_argument("--quick", action="store_true", help="smoke run: 1,000 customers")
    parser.add_argument("--refill", action="store_true", help="generate the data again")
    args = parser.parse_args(argv)
    if args.quick:
        args.customers = 1_000
    if args.customers < 1 or args.runs < 1:
        parser.error("--customers and --runs >= 1, please")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    clock.run_clock_from(NOW)
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    rows = [bench_backend(backend, args) for backend in backends]
    print_table(
        rows,
        f"Subscription benchmark: medians of {args.runs} run(s), {args.customers:,} customers "
        f"with one subscription each ({FEES_PER_CUSTOMER} fees per customer), "
        f"{os.cpu_count()} CPUs.",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
