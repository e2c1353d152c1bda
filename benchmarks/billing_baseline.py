"""The raw-SQL floor of a billing run: the set-based work any biller must do, done directly by
the database through the driver Kassa uses, configured as Kassa configures it.

In ONE transaction, over every customer whose period ended at or before ``as_of``:
1. insert one ``billing_periods`` row per due customer (``INSERT ... SELECT FROM customers``),
   which is what an entry is marked with;
2. mark billed every unbilled entry of those customers created before their period's end
   (``UPDATE ledger_entries ... FROM billing_periods``);
3. read back the sums of the marked entries by customer, service and entry type, and unit
   and voice destination of rated usage, as an invoice shows them (``SELECT ... GROUP BY``;
   every row fetched into Python);
4. move each due customer on to its next period (``UPDATE customers``, one month on).

No invoices, lines, taxes, numbers, outbox events or documents: those are Kassa's own work on
top. "Customers aggregated per second" is the due customers over the time from BEGIN to COMMIT.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from billing_data import connect, is_sqlite, sqlite_stamp


@dataclass
class BaselineResult:
    customers: int
    groups: int
    seconds: float
    steps: dict[str, float] = field(default_factory=dict)

    @property
    def per_second(self) -> float:
        return self.customers / self.seconds


def _statements(sqlite: bool) -> dict[str, str]:
    if sqlite:
        next_end = "strftime('%Y-%m-%d %H:%M:%S', period_end_at, '+1 month') || '.000000'"
    else:
        next_end = "period_end_at + INTERVAL '1 month'"
    return {
        "periods": """
            INSERT INTO billing_periods (customer_id, start_at, end_at, billing_period,
                                         billing_timezone, closed_at)
            SELECT id, period_start_at, period_end_at, billing_period, billing_timezone, :now
            FROM customers WHERE period_end_at <= :as_of ORDER BY id
        """,
        "mark": """
            UPDATE ledger_entries SET billing_period_id = p.id
            FROM billing_periods AS p
            WHERE p.id > :floor AND ledger_entries.customer_id = p.customer_id
              AND ledger_entries.billing_period_id IS NULL
              AND ledger_entries.created_at < p.end_at
        """,
        "sums": """
            SELECT p.customer_id, e.service, e.type, coalesce(e.unit, ''),
                   CASE WHEN e.unit = 'second' THEN coalesce(e.rate_prefix, '') ELSE '' END,
                   count(*), sum(e.amount_micros), sum(e.units), max(e.rate_description)
            FROM billing_periods AS p
            JOIN ledger_entries AS e ON e.customer_id = p.customer_id AND e.billing_period_id = p.id
            WHERE p.id > :floor
            GROUP BY p.customer_id, e.service, e.type, coalesce(e.unit, ''),
                     CASE WHEN e.unit = 'second' THEN coalesce(e.rate_prefix, '') ELSE '' END
        """,
        "advance": f"""
            UPDATE customers SET period_start_at = period_end_at, period_end_at = {next_end}
            WHERE period_end_at <= :as_of
        """,
    }


def _pg(sql: str) -> str:
    for name in ("now", "as_of", "floor"):
        sql = sql.replace(f":{name}", f"%({name})s")
    return sql


def run_baseline(url: str, as_of: datetime, now: datetime) -> BaselineResult:
    sqlite = is_sqlite(url)
    conn = connect(url)
    statements = _statements(sqlite)
    if not sqlite:
        statements = {k: _pg(v) for k, v in statements.items()}
    params: dict[str, Any] = {
        "as_of": sqlite_stamp(as_of) if sqlite else as_of,
        "now": sqlite_stamp(now) if sqlite else now,
    }
    steps: dict[str, float] = {}
    try:
        started = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE" if sqlite else "BEGIN")
        params["floor"] = conn.execute(
            "SELECT coalesce(max(id), 0) FROM billing_periods"
        ).fetchone()[0]
        mark = time.perf_counter()
        customers = conn.execute(statements["periods"], params).rowcount
        steps["periods"], mark = time.perf_counter() - mark, time.perf_counter()
        conn.execute(statements["mark"], params)
        steps["mark"], mark = time.perf_counter() - mark, time.perf_counter()
        rows = conn.execute(statements["sums"], params).fetchall()
        steps["sums"], mark = time.perf_counter() - mark, time.perf_counter()
        conn.execute(statements["advance"], params)
        steps["advance"], mark = time.perf_counter() - mark, time.perf_counter()
        conn.execute("COMMIT")
        steps["commit"] = time.perf_counter() - mark
        seconds = time.perf_counter() - started
    finally:
        conn.close()
    if len({r[0] for r in rows}) > customers:
        raise RuntimeError("the baseline summed customers it did not close")
    return BaselineResult(customers=customers, groups=len(rows), seconds=seconds, steps=steps)
