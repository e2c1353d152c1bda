"""The hot path's prepared statements fail the way SQLAlchemy's would, on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from kassa.auth.actor import SYSTEM
from kassa.customers.schemas import CustomerIn
from kassa.customers.service import create_customer
from kassa.db.engine import Database
from kassa.db.models import Customer, LedgerEntry
from kassa.ledger.entries import append_entry
from tests.conftest import customer_body


def _usage(db: Database, customer_id: int, micros: int, external_id: str) -> None:
    with db.transaction() as session:
        append_entry(
            session,
            SYSTEM,
            customer_id=customer_id,
            entry_type="usage",
            amount_micros=micros,
            currency="USD",
            exponent=2,
            service="voice",
            external_id=external_id,
        )


def test_a_duplicate_external_id_is_an_integrity_error_and_posts_nothing(db: Database) -> None:
    with db.transaction() as session:
        customer_id = create_customer(session, SYSTEM, CustomerIn(**customer_body())).id
    _usage(db, customer_id, 1_000_000, "cdr-1")
    # Usage import counts on this exception to report a record two batches raced to post.
    with pytest.raises(IntegrityError):
        _usage(db, customer_id, 5_000_000, "cdr-1")
    with db.reading() as session:
        balance = session.scalar(select(Customer.balance_micros).where(Customer.id == customer_id))
        posted = session.scalar(
            select(func.sum(LedgerEntry.amount_micros)).where(
                LedgerEntry.customer_id == customer_id
            )
        )
    assert balance == posted == 1_000_000
