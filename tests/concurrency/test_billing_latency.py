"""Real-time calls for customers in a billing run wait for one short transaction of the run,
never for the run: a run that closes thousands of periods, started with ``"wait": false`` on
one server process, while clients reserve, commit and pay for its customers on both servers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import httpx
from sqlalchemy import create_engine, func, select

from kassa.billing.runs import REAL_TIME_WAIT
from kassa.core import periods
from kassa.core.clock import as_utc, utcnow
from kassa.db.models import BillingPeriod, Customer
from tests.concurrency.harness import (
    SERVICE,
    Cluster,
    check_ledger,
    connect,
    new_key,
    run_clients,
    snapshot,
)

CUSTOMERS = 150
DAYS_AHEAD = 90  # daily customers: some 13,500 periods, each customer ~90 periods behind
CLIENTS = 2
# The stated wait, with room for a loaded 2-core machine; far below the minutes a run in one
# transaction per batch of customers made them wait.
MAX_WAIT_SECONDS = 3 * REAL_TIME_WAIT.total_seconds()


def _customers(cluster: Cluster) -> list[int]:
    with cluster.client() as api:
        # A grace period longer than the run reaches: nothing falls overdue, so the run's work
        # is closing periods.
        cls = api.post(
            "/customer-classes",
            json={
                "name": f"Daily {new_key()[:8]}",
                "grace_period_days": DAYS_AHEAD + 30,
                "taxation": {"inclusive": False, "taxes": [{"name": "VAT", "rate": "21"}]},
            },
        )
        assert cls.status_code == 201, cls.text
        ids = []
        for index in range(CUSTOMERS):
            created = api.post(
                "/customers",
                json={
                    "name": f"Daily {index}",
                    "currency": "USD",
                    "business_model_id": cluster.universal_model(),
                    "customer_class_id": cls.json()["id"],
                    "balance_control": "postpaid",
                    "credit_limit": "100000.00",
                    "billing_period": "daily",
                    "billing_timezone": "UTC",
                },
            )
            assert created.status_code == 201, created.text
            ids.append(int(created.json()["id"]))
    return ids


def _expected_periods(database_url: str, as_of: datetime) -> int:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        created = conn.execute(select(Customer.created_at)).scalars().all()
    engine.dispose()
    return sum(len(list(periods.iter_periods("daily", "UTC", as_utc(c), as_of))) for c in created)


def _closed(database_url: str, as_of: datetime) -> tuple[int, int, int]:
    """Periods closed, distinct (customer, start) among them, customers still due."""
    engine = create_engine(database_url)
    with engine.connect() as conn:
        closed = conn.scalar(select(func.count()).select_from(BillingPeriod))
        distinct = conn.scalar(
            select(func.count()).select_from(
                select(BillingPeriod.customer_id, BillingPeriod.start_at).distinct().subquery()
            )
        )
        due = conn.scalar(
            select(func.count()).select_from(Customer).where(Customer.period_end_at <= as_of)
        )
    engine.dispose()
    return int(closed or 0), int(distinct or 0), int(due or 0)


def test_real_time_calls_wait_briefly_while_a_long_run_bills_their_customers(
    cluster: Cluster,
) -> None:
    customers = _customers(cluster)
    as_of = (utcnow() + timedelta(days=DAYS_AHEAD)).replace(microsecond=0)
    expected = _expected_periods(cluster.database_url, as_of)
    assert expected >= CUSTOMERS * (DAYS_AHEAD - 1)
    running = threading.Event()
    ended = threading.Event()
    waits: list[tuple[str, float, bool]] = []  # (call, seconds, while the run was running)
    lock = threading.Lock()
    outcome: dict[str, Any] = {}

    def timed(call: str, send: Callable[[], httpx.Response]) -> httpx.Response:
        started = time.monotonic()
        response = send()
        seconds = time.monotonic() - started
        assert response.status_code in (200, 201), (call, response.text)
        with lock:
            waits.append((call, seconds, running.is_set() and not ended.is_set()))
        return response

    def client(index: int, barrier: threading.Barrier) -> None:
        with cluster.client(index) as api:
            connect(api)
            barrier.wait()
            turn = index
            while not ended.is_set():
                customer = customers[turn % len(customers)]
                turn += CLIENTS
                reserve = {"amount": "0.50", "service": SERVICE}
                url = f"/customers/{customer}/authorizations"
                reserved = timed("reserve", partial(api.post, url, json=reserve))
                url = f"/authorizations/{reserved.json()['id']}/commit"
                timed("commit", partial(api.post, url, json={"amount": "0.25"}))
                payment = {"type": "payment", "amount": "0.10"}
                url = f"/customers/{customer}/transactions"
                timed("payment", partial(api.post, url, json=payment))

    def bill() -> None:
        try:
            with cluster.client(0) as api:
                answer = api.post("/billing-runs", json={"as_of": as_of.isoformat(), "wait": False})
                assert answer.status_code == 202, answer.text
                run = answer.json()
                assert run["status"] == "running", run
                assert answer.headers["location"] == f"/api/v1/billing-runs/{run['id']}"
                running.set()
                deadline = time.monotonic() + 600
                while run["status"] == "running" and time.monotonic() < deadline:
                    time.sleep(0.2)
                    run = api.get(f"/billing-runs/{run['id']}").json()
                outcome["run"] = run
        finally:
            ended.set()

    biller = threading.Thread(target=bill, daemon=True)
    biller.start()
    run_clients(CLIENTS, client)
    biller.join(timeout=60)
    run = outcome["run"]

    assert run["status"] == "finished", run
    with cluster.client() as api:
        # The servers' own schedule may have closed a few (a test across midnight UTC).
        every = api.get("/billing-runs", params={"limit": 500}).json()["items"]
    assert sum(r["periods_closed"] for r in every) == expected, (every, expected)
    assert run["customers_done"] == run["customers_total"] == CUSTOMERS, run
    during = [w for w in waits if w[2]]
    assert len(during) >= 30, f"only {len(during)} calls overlapped the run"
    slowest = max(waits, key=lambda w: w[1])
    assert slowest[1] < MAX_WAIT_SECONDS, (slowest, len(waits))
    assert _closed(cluster.database_url, as_of) == (expected, expected, 0)
    finished = datetime.fromisoformat(run["finished_at"]).astimezone(UTC)
    assert finished >= datetime.fromisoformat(run["started_at"]).astimezone(UTC)
    check_ledger(snapshot(cluster.database_url))
    assert not cluster.server_errors()
