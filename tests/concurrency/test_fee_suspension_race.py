"""Suspension for unpaid fees racing payments: fee engines post subscription fees and suspend
the customers they leave short, while clients pay over two servers and collection's sweep
lifts what it finds funded.

Whatever interleaves, each customer ends suspended for unpaid fees exactly when its funds are
below zero, every suspension reported is followed by one lift (but the last, for those still
short), sum(ledger) == balance, and every fee and payment is posted exactly once.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from decimal import Decimal

from sqlalchemy import select

from kassa.auth.actor import SYSTEM
from kassa.billing.collection import run_collection
from kassa.core.clock import utcnow
from kassa.core.money import to_micros
from kassa.core.vocabulary import EntryType
from kassa.db.engine import Database
from kassa.db.models import Customer, OutboxEvent
from kassa.ledger.entries import append_entry
from kassa.ledger.locks import lock_customer
from kassa.subscriptions.suspension import lift_funded, suspend_unfunded
from tests.concurrency.harness import Cluster, check_ledger, connect, run_clients, snapshot

CUSTOMERS = 40
ROUNDS = 3
FEE = "5.00"
CLIENTS = 8
ENGINES = 2
PAUSE = 0.02


def _payments_of(customer: int) -> int:
    # Odd customers pay one fee short, and so end suspended.
    return ROUNDS - customer % 2


def _post_fee(db: Database, customer_id: int) -> None:
    """What the fee engine does for one fee: post it, then suspend the customer if short."""
    with db.transaction() as session:
        customer = lock_customer(session, customer_id)
        append_entry(
            session,
            SYSTEM,
            customer_id=customer.id,
            entry_type=EntryType.SUBSCRIPTION,
            amount_micros=to_micros(Decimal(FEE)),
            currency=customer.currency,
            exponent=customer.exponent,
            visible_comment="Fibre 300",
        )
        suspend_unfunded(session, [customer.id])


def test_fees_payments_and_the_sweep_leave_status_consistent_with_funds(
    cluster: Cluster,
) -> None:
    with cluster.client() as api:
        cls = api.post(
            "/customer-classes", json={"name": "Fees first", "suspend_when_fees_unpaid": True}
        )
        assert cls.status_code == 201, cls.text
        customers = []
        for i in range(CUSTOMERS):
            created = api.post(
                "/customers",
                json={
                    "name": f"Subscriber {i}",
                    "balance_control": "prepaid",
                    "currency": "USD",
                    "business_model_id": cluster.universal_model(),
                    "customer_class_id": cls.json()["id"],
                },
            )
            assert created.status_code == 201, created.text
            customers.append(int(created.json()["id"]))
    rng = random.Random(11)
    fees = [c for c in customers for _ in range(ROUNDS)]
    payments = [c for c in customers for _ in range(_payments_of(c))]
    rng.shuffle(fees)
    rng.shuffle(payments)

    working = threading.Event()
    working.set()
    failures: list[BaseException] = []
    sweeps: list[int] = []

    def engine(index: int) -> None:
        engine_db = Database(cluster.database_url)
        try:
            for customer in fees[index::ENGINES]:
                _post_fee(engine_db, customer)
        except BaseException as exc:
            failures.append(exc)
        finally:
            engine_db.dispose()

    def sweeper() -> None:
        sweep_db = Database(cluster.database_url)
        try:
            while True:
                done = not working.is_set()
                sweeps.append(run_collection(sweep_db, utcnow(), batch_size=7).lifted)
                with sweep_db.transaction() as session:
                    sweeps.append(len(lift_funded(session, None)))
                if done:
                    return
                time.sleep(PAUSE)
        except BaseException as exc:
            failures.append(exc)
        finally:
            sweep_db.dispose()

    def payer(index: int, barrier: threading.Barrier) -> list[tuple[int, int, str]]:
        answers = []
        with cluster.client(index) as api:
            connect(api)
            barrier.wait()
            for customer in payments[index::CLIENTS]:
                response = api.post(
                    f"/customers/{customer}/transactions",
                    json={"type": "payment", "amount": FEE},
                )
                answers.append((customer, response.status_code, response.text))
        return answers

    threads = [threading.Thread(target=engine, args=(i,), daemon=True) for i in range(ENGINES)]
    threads.append(threading.Thread(target=sweeper, daemon=True))
    for thread in threads:
        thread.start()
    try:
        answers = [a for per_client in run_clients(CLIENTS, payer) for a in per_client]
        for thread in threads[:ENGINES]:
            thread.join(timeout=300)
    finally:
        working.clear()
        threads[-1].join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    assert not failures, failures
    assert not [a for a in answers if a[1] != 201][:5]
    assert not cluster.server_errors(), cluster.server_errors()
    assert sweeps

    snap = snapshot(cluster.database_url)
    check_ledger(snap)
    db = Database(cluster.database_url)
    try:
        with db.reading() as session:
            states = {
                row.id: (row.status, row.suspended_for)
                for row in session.execute(
                    select(Customer.id, Customer.status, Customer.suspended_for).where(
                        Customer.id.in_(customers)
                    )
                )
            }
            events = session.execute(
                select(OutboxEvent.customer_id, OutboxEvent.event_type)
                .where(
                    OutboxEvent.customer_id.in_(customers),
                    OutboxEvent.event_type.in_(("customer_suspended", "customer_status_changed")),
                )
                .order_by(OutboxEvent.id)
            ).all()
    finally:
        db.dispose()
    for customer in customers:
        kinds = Counter(e["type"] for e in snap.entries[customer])
        assert kinds == {"subscription": ROUNDS, "payment": _payments_of(customer)}, kinds
        funds = snap.customers[customer].available
        assert funds is not None
        expected = ("suspended", "unpaid_fees") if funds < 0 else ("active", None)
        assert states[customer] == expected, (customer, funds, states[customer])
        # Suspended, lifted, suspended...: never twice in a row, one open at most at the end.
        sequence = [kind for c, kind in events if c == customer]
        assert all(
            kind == ("customer_suspended" if i % 2 == 0 else "customer_status_changed")
            for i, kind in enumerate(sequence)
        ), (customer, sequence)
        assert (len(sequence) % 2 == 1) == (funds < 0), (customer, sequence)
    # The race did happen: customers were suspended and lifted while it ran.
    assert Counter(kind for _, kind in events)["customer_status_changed"] > 0
    # Odd customers end a fee short, suspended; even ones have paid everything.
    assert Counter(state for state, _ in states.values()) == {
        "suspended": CUSTOMERS // 2,
        "active": CUSTOMERS // 2,
    }
