"""Collection racing payments: customers pay their invoices over two servers while overlapping
billing runs mark what is still unpaid overdue and suspend at once (no days of grace).

Whatever interleaves, a paid invoice never ends overdue, a customer who paid everything is
active, neither side fails (no deadlock, no 500), and every payment is posted exactly once.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable

import httpx
from sqlalchemy import select

from kassa.billing.collection import run_collection
from kassa.billing.runs import run_billing
from kassa.db.engine import Database
from kassa.db.models import Customer, Invoice, OutboxEvent
from tests.billing.owing import customers_owing
from tests.concurrency.harness import Cluster, check_ledger, connect, run_clients, snapshot

CUSTOMERS = 200
CLIENTS = 16
CHARGE = "10.00"
# Small batches: many short collection transactions interleave with the payments.
BATCH = 25
PAUSE = 0.05


def test_payments_and_overlapping_collection_never_clash(cluster: Cluster) -> None:
    db = Database(cluster.database_url)
    try:
        customers, as_of = customers_owing(db, CUSTOMERS, CHARGE)
        order = list(customers)
        random.Random(7).shuffle(order)
        paying = threading.Event()
        runs: list[int] = []
        run_failures: list[BaseException] = []

        def collector(collect: Callable[[Database], object]) -> None:
            runner_db = Database(cluster.database_url)
            try:
                # Until a run that began after the last payment has finished.
                while True:
                    done = not paying.is_set()
                    collect(runner_db)
                    runs.append(1)
                    if done:
                        return
                    # A breath between runs, as between a scheduler's turns: on SQLite a run
                    # that starts again at once would take every other turn to write.
                    time.sleep(PAUSE)
            except BaseException as exc:
                run_failures.append(exc)
            finally:
                runner_db.dispose()

        def payer(index: int, barrier: threading.Barrier) -> list[tuple[int, int, str]]:
            answers = []
            with cluster.client(index) as api:
                connect(api)
                barrier.wait()
                for customer in order[index::CLIENTS]:
                    try:
                        response = api.post(
                            f"/customers/{customer}/transactions",
                            json={"type": "payment", "amount": CHARGE},
                        )
                    except httpx.TransportError as exc:
                        # A server that failed mid-request may drop the connection too.
                        answers.append((customer, 0, repr(exc)))
                        continue
                    answers.append((customer, response.status_code, response.text))
            return answers

        paying.set()
        # Whole billing runs, and collection alone as a second, overlapping caller.
        collectors: list[Callable[[Database], object]] = [
            lambda runner_db: run_billing(runner_db, None, as_of, batch_size=BATCH),
            lambda runner_db: run_collection(runner_db, as_of, batch_size=BATCH),
        ]
        runners = [
            threading.Thread(target=collector, args=(collect,), daemon=True)
            for collect in collectors
        ]
        for runner in runners:
            runner.start()
        try:
            answers = [a for per_client in run_clients(CLIENTS, payer) for a in per_client]
        finally:
            paying.clear()
            for runner in runners:
                runner.join(timeout=300)
        assert not any(runner.is_alive() for runner in runners), "a billing run hung"

        assert not run_failures, run_failures
        failed = [a for a in answers if a[1] != 201]
        assert not failed, failed[:5]
        assert sorted(c for c, _, _ in answers) == sorted(customers)
        assert not cluster.server_errors(), cluster.server_errors()
        assert len(runs) >= len(collectors)

        with db.reading() as session:
            invoices = session.execute(select(Invoice.id, Invoice.status)).all()
            statuses = dict(session.execute(select(Customer.id, Customer.status)).all())
            events = session.execute(
                select(OutboxEvent.event_type, OutboxEvent.payload).where(
                    OutboxEvent.event_type.in_(
                        ("invoice_overdue", "customer_suspended", "customer_status_changed")
                    )
                )
            ).all()
        assert Counter(status for _, status in invoices) == {"paid": CUSTOMERS}
        assert Counter(statuses[c] for c in customers) == {"active": CUSTOMERS}
        overdue_events = Counter(p["invoice_id"] for t, p in events if t == "invoice_overdue")
        # Collection did reach invoices before their payments did, and reported each once.
        assert overdue_events and set(overdue_events.values()) == {1}
        suspended_events = Counter(p["customer_id"] for t, p in events if t == "customer_suspended")
        assert set(suspended_events.values()) <= {1}
        # Every suspension was lifted by the payment that settled its invoice, once.
        lifted = Counter(p["customer_id"] for t, p in events if t == "customer_status_changed")
        assert lifted == suspended_events

        snap = snapshot(cluster.database_url)
        check_ledger(snap)
        for customer in customers:
            kinds = Counter(e["type"] for e in snap.entries[customer])
            assert kinds == {"manual_charge": 1, "payment": 1}, (customer, kinds)
            assert snap.customers[customer].balance == 0
    finally:
        db.dispose()
