"""Calls for one customer wait their turn: on PostgreSQL in the customer's queue, and only for
that customer; on SQLite for the one writer."""

from __future__ import annotations

import threading
from decimal import Decimal

from sqlalchemy import text

from kassa.auth.actor import SYSTEM
from kassa.customers.schemas import CustomerIn
from kassa.customers.service import create_customer
from kassa.db.engine import Database
from kassa.ledger import authorizations
from kassa.ledger.queue import CUSTOMER_QUEUE_KEY
from kassa.ledger.schemas import CommitIn, ReserveIn
from tests.conftest import customer_body


def _customer(db: Database) -> int:
    with db.transaction() as session:
        return create_customer(session, SYSTEM, CustomerIn(**customer_body())).id


def _reserve(db: Database, customer_id: int) -> int:
    with db.core_transaction() as connection:
        view = authorizations.reserve(
            connection, SYSTEM, customer_id, ReserveIn(amount=Decimal("1"), service="voice")
        )
        return view.row.id


def _waits_while_queue_is_held(db: Database, customer_id: int, call: object) -> bool:
    """Hold the customer's turn in another transaction; does ``call()`` wait for it?"""
    assert callable(call)
    done = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            call()
        except BaseException as exc:  # reported by the test thread
            errors.append(exc)
        finally:
            done.set()

    with db.core_transaction() as holder:
        if not db.is_sqlite:
            holder.execute(
                text("SELECT pg_advisory_xact_lock(:k, :c)"),
                {"k": CUSTOMER_QUEUE_KEY, "c": customer_id},
            )
        worker = threading.Thread(target=run)
        worker.start()
        waited = not done.wait(0.5)
    worker.join(10)
    assert not errors, errors
    assert done.is_set()
    return waited


def test_a_customers_calls_wait_their_turn(db: Database) -> None:
    busy, other = _customer(db), _customer(db)
    held = _reserve(db, busy)

    assert _waits_while_queue_is_held(db, busy, lambda: _reserve(db, busy))
    commit = CommitIn(amount=Decimal("0.5"))

    def commit_held() -> None:
        with db.core_transaction() as connection:
            authorizations.commit(connection, SYSTEM, held, commit)

    assert _waits_while_queue_is_held(db, busy, commit_held)
    # One writer at a time on SQLite; on PostgreSQL another customer's calls go straight on.
    assert _waits_while_queue_is_held(db, busy, lambda: _reserve(db, other)) == db.is_sqlite
