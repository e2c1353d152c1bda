"""Collection as of a moment: each overdue invoice and each suspension reported exactly once,
however many billing runs with that moment overlap."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from kassa.auth.actor import SYSTEM
from kassa.billing.collection import run_collection
from kassa.billing.runs import RunSummary, run_billing
from kassa.customers.service import change_status
from kassa.db.engine import Database
from kassa.db.models import Customer, Invoice, OutboxEvent
from tests.billing.owing import customers_owing

pytestmark = pytest.mark.calendar

CUSTOMERS = 60
RUNS = 3


def _events(db: Database, event_type: str) -> list[dict[str, object]]:
    with db.reading() as session:
        return list(
            session.scalars(
                select(OutboxEvent.payload)
                .where(OutboxEvent.event_type == event_type)
                .order_by(OutboxEvent.id)
            )
        )


def test_overlapping_runs_report_each_overdue_invoice_and_suspension_once(db: Database) -> None:
    customers, as_of = customers_owing(db, CUSTOMERS, "15.00")
    start = threading.Barrier(RUNS)
    summaries: list[RunSummary] = []
    failures: list[BaseException] = []

    def run() -> None:
        # Each run on its own engine, as separate processes or servers would be.
        run_db = Database(db.url)
        try:
            start.wait(timeout=30)
            summaries.append(run_billing(run_db, None, as_of, batch_size=7))
        except BaseException as exc:
            failures.append(exc)
        finally:
            run_db.dispose()

    threads = [threading.Thread(target=run) for _ in range(RUNS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not failures, failures
    assert len(summaries) == RUNS

    with db.reading() as session:
        invoices = dict(session.execute(select(Invoice.id, Invoice.status)).all())
        statuses = Counter(session.scalars(select(Customer.status)))
    assert set(invoices.values()) == {"overdue"}
    assert statuses == {"suspended": CUSTOMERS}
    overdue = Counter(e["invoice_id"] for e in _events(db, "invoice_overdue"))
    assert overdue == dict.fromkeys(invoices, 1)
    suspended = Counter(e["customer_id"] for e in _events(db, "customer_suspended"))
    assert suspended == dict.fromkeys(customers, 1)
    # The runs' counts add up to what happened, each change counted by the run that made it.
    assert sum(s.invoices_overdue for s in summaries) == CUSTOMERS
    assert sum(s.customers_suspended for s in summaries) == CUSTOMERS

    again = run_collection(db, as_of)
    assert (again.overdue, again.suspended) == (0, 0)
    assert len(_events(db, "invoice_overdue")) == CUSTOMERS


def test_suspension_waits_for_its_days_and_names_its_invoice(db: Database) -> None:
    customers, as_of = customers_owing(db, 2, "15.00", suspend_after_days=3)
    first = run_collection(db, as_of)
    assert (first.overdue, first.suspended) == (2, 0)
    assert run_collection(db, as_of + timedelta(days=2)).suspended == 0
    assert run_collection(db, as_of + timedelta(days=3)).suspended == 2
    assert run_collection(db, as_of + timedelta(days=4)).suspended == 0
    with db.reading() as session:
        invoices = dict(session.execute(select(Invoice.customer_id, Invoice.id)).all())
        due = {i.customer_id: i.due_date.isoformat() for i in session.scalars(select(Invoice))}
        keys = dict(
            session.execute(
                select(
                    OutboxEvent.payload["customer_id"].as_integer(), OutboxEvent.dedupe_key
                ).where(OutboxEvent.event_type == "customer_suspended")
            ).all()
        )
    assert _events(db, "customer_suspended") == [
        {
            "customer_id": c,
            "suspended_for": "overdue_invoice",
            "invoice_id": invoices[c],
            "oldest_due_date": due[c],
        }
        for c in customers
    ]
    assert sorted(keys) == sorted(customers)
    assert all(key.startswith(f"customer_suspended:{c}:") for c, key in keys.items())


def test_a_customer_suspended_again_after_staff_unblocked_it_is_reported_again(
    db: Database,
) -> None:
    """Staff may block a suspended customer and unblock it while its invoice is still overdue;
    the next collection suspends it again, and that suspension has its own event."""
    (customer,), as_of = customers_owing(db, 1, "15.00")
    assert run_collection(db, as_of).suspended == 1
    for action in ("block", "unblock"):
        with db.transaction() as session:
            change_status(session, SYSTEM, customer, action)
    with db.reading() as session:
        assert session.get_one(Customer, customer).status == "active"
    assert run_collection(db, as_of).suspended == 1
    assert run_collection(db, as_of).suspended == 0
    with db.reading() as session:
        assert session.get_one(Customer, customer).status == "suspended"
    assert len(_events(db, "customer_suspended")) == 2


def test_collection_stops_after_the_batch_its_caller_says_is_the_last(db: Database) -> None:
    """A run told to stop (its server shuts down) ends after the batch under way; the next
    run collects the rest."""
    _, as_of = customers_owing(db, 5, "15.00")
    batches: list[int] = []

    def first_only(session: Session) -> bool:
        batches.append(len(batches))
        return False

    stopped = run_collection(db, as_of, batch_size=2, in_each_batch=first_only)
    assert (stopped.complete, stopped.overdue, batches) == (False, 2, [0])
    rest = run_collection(db, as_of, batch_size=2)
    assert (rest.complete, rest.overdue) == (True, 3)
