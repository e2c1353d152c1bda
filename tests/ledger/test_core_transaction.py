"""The real-time path's bare-connection transaction: all of its work or none of it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from kassa.auth.actor import SYSTEM
from kassa.customers.schemas import CustomerIn
from kassa.customers.service import create_customer
from kassa.db.engine import Database
from kassa.db.models import Authorization, Customer, LedgerEntry, OutboxEvent
from kassa.ledger import authorizations
from kassa.ledger.schemas import CommitIn, ReserveIn
from tests.conftest import customer_body


def _prepaid(db: Database, funds: str) -> int:
    body = customer_body(balance_control="prepaid", credit_limit=..., available_funds=funds)
    with db.transaction() as session:
        return create_customer(session, SYSTEM, CustomerIn(**body)).id


def _state(db: Database, customer_id: int) -> tuple[int, int, int, int]:
    with db.reading() as session:
        customer = session.get_one(Customer, customer_id)
        posted = session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount_micros), 0)).where(
                LedgerEntry.customer_id == customer_id
            )
        )
        holds = session.scalar(
            select(func.count(Authorization.id)).where(Authorization.customer_id == customer_id)
        )
        return customer.balance_micros, customer.reserved_micros, int(posted or 0), int(holds or 0)


def test_a_failure_after_the_statements_rolls_all_of_them_back(db: Database) -> None:
    customer_id = _prepaid(db, "10.00")
    before = _state(db, customer_id)
    with pytest.raises(RuntimeError), db.core_transaction() as connection:
        authorizations.reserve(
            connection, SYSTEM, customer_id, ReserveIn(amount=Decimal("4"), service="voice")
        )
        raise RuntimeError("the request failed after the reserve")
    assert _state(db, customer_id) == before


def test_reserve_and_commit_on_a_bare_connection_post_and_raise_alerts(db: Database) -> None:
    customer_id = _prepaid(db, "5.00")
    with db.core_transaction() as connection:
        view = authorizations.reserve(
            connection, SYSTEM, customer_id, ReserveIn(amount=Decimal("5"), service="voice")
        )
    with db.core_transaction() as connection:
        authorizations.commit(connection, SYSTEM, view.row.id, CommitIn(amount=Decimal("5")))
    balance, reserved, posted, _ = _state(db, customer_id)
    assert (balance, reserved) == (posted, 0)
    assert balance == 0  # every prepaid cent used: funds depleted
    with db.reading() as session:
        events = session.scalars(
            select(OutboxEvent.event_type).where(OutboxEvent.customer_id == customer_id)
        ).all()
    assert "funds_depleted" in events
