"""A batch of entries moves each balance by what it adds, or, past the bounds, nothing at all."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kassa.auth.actor import SYSTEM
from kassa.core.clock import utcnow
from kassa.core.errors import ValidationFailed
from kassa.core.money import MAX_BALANCE_MICROS
from kassa.customers.schemas import CustomerIn
from kassa.customers.service import create_customer
from kassa.db.engine import Database
from kassa.db.models import Customer, LedgerEntry
from kassa.ledger.entries import NewEntry, append_entries
from kassa.ledger.locks import lock_customers
from tests.conftest import customer_body


def _tax(customer_id: int, micros: int) -> NewEntry:
    return NewEntry(
        customer_id=customer_id,
        entry_type="tax",
        amount_micros=micros,
        currency="USD",
        exponent=2,
        visible_comment="VAT",
        user_id=None,
    )


def _customers(db: Database, count: int) -> list[int]:
    with db.transaction() as session:
        return [
            create_customer(session, SYSTEM, CustomerIn(**customer_body(name=f"Batch {i}"))).id
            for i in range(count)
        ]


def _ledger(db: Database) -> tuple[dict[int, int], list[tuple[int, int, int]]]:
    with db.reading() as session:
        balances = dict(
            session.execute(select(Customer.id, Customer.balance_micros)).tuples().all()
        )
        entries = (
            session.execute(
                select(
                    LedgerEntry.customer_id,
                    LedgerEntry.amount_micros,
                    LedgerEntry.balance_after_micros,
                ).order_by(LedgerEntry.id)
            )
            .tuples()
            .all()
        )
        return balances, list(entries)


def test_a_batch_posts_its_entries_in_order_and_moves_each_balance(db: Database) -> None:
    first, second, untouched = _customers(db, 3)
    with db.transaction() as session:
        lock_customers(session, [first, second, untouched])
        after = append_entries(
            session,
            [_tax(first, 2_000_000), _tax(second, 500_000), _tax(first, 300_000)],
            balances={first: 0, second: 0, untouched: 0},
            created_at=utcnow(),
            also_set=[{"id": c, "email": f"c{c}@example.com"} for c in (first, untouched)],
        )
    assert after == {first: 2_300_000, second: 500_000}
    balances, entries = _ledger(db)
    assert balances == {first: 2_300_000, second: 500_000, untouched: 0}
    assert entries == [
        (first, 2_000_000, 2_000_000),
        (second, 500_000, 500_000),
        (first, 300_000, 2_300_000),
    ]
    with db.reading() as session:
        emails = dict(session.execute(select(Customer.id, Customer.email)).tuples().all())
    assert emails[first] == f"c{first}@example.com"
    assert emails[untouched] == f"c{untouched}@example.com"


def test_a_batch_that_would_take_a_balance_out_of_range_writes_nothing(db: Database) -> None:
    (customer,) = _customers(db, 1)
    with db.transaction() as session, pytest.raises(ValidationFailed) as caught:
        append_entries(
            session,
            [_tax(customer, 1_000), _tax(customer, MAX_BALANCE_MICROS)],
            balances={customer: 0},
            created_at=utcnow(),
        )
    assert caught.value.code == "amount_too_large"
    assert _ledger(db) == ({customer: 0}, [])
