"""Subscription fees posted by everyone at once: billing runs in two server processes (the
API's runs, waited for), runs and fee postings in threads of this process, and clients
cancelling subscriptions over both servers, all on the same customers.

Whatever interleaves, each fee is posted once (one row per subscription, kind and period
start, one entry per external id), every balance is the sum of its ledger, each
subscription's periodic fees cover its time without a gap or an overlap, and once the dust
settles nothing due is left unposted.
"""

from __future__ import annotations

import random
import threading
from datetime import timedelta
from decimal import Decimal

import httpx
from sqlalchemy import func, select

from kassa.auth.actor import SYSTEM
from kassa.billing.runs import run_billing
from kassa.core.clock import as_utc, utcnow
from kassa.db.engine import Database
from kassa.db.models import Customer, Subscription, SubscriptionFee
from kassa.subscriptions import plans
from kassa.subscriptions.runs import post_all_due
from kassa.subscriptions.schemas import PlanIn
from tests.concurrency.clients import post_from_processes
from tests.concurrency.harness import Cluster, check_ledger, connect, run_clients, snapshot
from tests.subscriptions.support import check_ledger as check_fees
from tests.when import FIRST_PERIODS_ENDED_DAYS, iso

CUSTOMERS = 30
CLIENTS = 4
BATCH = 7


def _plans(db: Database) -> list[int]:
    with db.transaction() as session:
        return [
            plans.create_plan(
                session,
                SYSTEM,
                PlanIn(
                    name=name,
                    currency="USD",
                    periodic_fee=Decimal("31.00"),
                    activation_fee=Decimal("5.00"),
                    charged=charged,
                    minimum_periods=2,
                    cancellation_fee=Decimal("9.00"),
                ),
            ).id
            for name, charged in (("Race advance", "in_advance"), ("Race arrears", "in_arrears"))
        ]


def test_fees_posted_from_processes_and_threads_at_once_are_posted_once(
    cluster: Cluster,
) -> None:
    db = Database(cluster.database_url)
    try:
        plan_ids = _plans(db)
        with cluster.client() as api:
            customers = []
            for _ in range(CUSTOMERS):
                created = api.post(
                    "/customers",
                    json={
                        "name": f"Race {random.random()}",
                        "balance_control": "postpaid",
                        "currency": "USD",
                        "credit_limit": "10000",
                        "business_model_id": cluster.universal_model(),
                    },
                )
                assert created.status_code == 201, created.text
                customers.append(created.json()["id"])
            subscriptions = []
            for customer in customers:
                for plan in plan_ids:
                    made = api.post(f"/customers/{customer}/subscriptions", json={"plan_id": plan})
                    assert made.status_code == 201, made.text
                    subscriptions.append(made.json()["id"])
        # A third of them are cancelled while the runs go on.
        cancelling = subscriptions[::3]
        moment = utcnow() + timedelta(days=FIRST_PERIODS_ENDED_DAYS)
        as_of = iso(moment)
        failures: list[BaseException] = []

        def in_thread(work: str) -> None:
            own = Database(cluster.database_url)
            try:
                for _ in range(3):
                    if work == "run":
                        run_billing(own, None, as_of=moment, batch_size=BATCH)
                    else:
                        post_all_due(own, moment, batch_size=BATCH)
            except BaseException as exc:
                failures.append(exc)
            finally:
                own.dispose()

        def client(index: int, barrier: threading.Barrier) -> list[tuple[int, str]]:
            answers = []
            with cluster.client(index) as api:
                connect(api)
                barrier.wait()
                for subscription in cancelling[index::CLIENTS]:
                    try:
                        cancelled = api.post(f"/subscriptions/{subscription}/cancel", json={})
                    except httpx.TransportError as exc:
                        answers.append((0, repr(exc)))
                        continue
                    answers.append((cancelled.status_code, cancelled.text))
            return answers

        workers = [
            threading.Thread(target=in_thread, args=(work,), daemon=True)
            for work in ("run", "run", "post")
        ]
        for worker in workers:
            worker.start()
        processes = threading.Thread(
            target=lambda: failures.extend(
                AssertionError(answer)
                for answer in post_from_processes(
                    [url + "/api/v1" for url in cluster.urls],
                    "/billing-runs",
                    {"as_of": as_of, "wait": True},
                    {"Authorization": f"Bearer {cluster.token}"},
                    2,
                )
                if answer[0] != 201
            ),
            daemon=True,
        )
        processes.start()
        answers = [a for per_client in run_clients(CLIENTS, client) for a in per_client]
        for worker in [*workers, processes]:
            worker.join(timeout=300)
            assert not worker.is_alive(), "a run hung"
        assert not failures, failures
        assert [a for a in answers if a[0] not in (200, 201)] == []
        assert not cluster.server_errors(), cluster.server_errors()

        # One more run in the quiet: whatever the others left due, it posts.
        run_billing(db, None, as_of=moment, batch_size=BATCH)
        check_ledger(snapshot(cluster.database_url))
        check_fees(db)
        with db.reading() as session:
            duplicates = session.execute(
                select(SubscriptionFee.subscription_id, SubscriptionFee.kind)
                .group_by(
                    SubscriptionFee.subscription_id,
                    SubscriptionFee.kind,
                    SubscriptionFee.period_start,
                )
                .having(func.count() > 1)
            ).all()
            assert duplicates == []
            subs = session.execute(
                select(
                    Subscription.id,
                    Subscription.ends_at,
                    Subscription.charged_through,
                    Subscription.next_charge_at,
                    Customer.period_end_at,
                ).join(Customer, Customer.id == Subscription.customer_id)
            ).all()
        assert len(subs) == CUSTOMERS * len(plan_ids)
        for sub_id, ends_at, charged_through, next_charge_at, period_end in subs:
            if ends_at is not None:
                assert as_utc(charged_through) == as_utc(ends_at), sub_id
            assert next_charge_at is None or as_utc(next_charge_at) > moment, sub_id
            assert as_utc(charged_through) <= as_utc(period_end), sub_id
    finally:
        db.dispose()
