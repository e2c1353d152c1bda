"""Lapsed reservations give their holds back: the periodic sweeper, and a reserve that finds
its customer short of funds (docs/architecture.md §5: rows another call holds are skipped)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from kassa.core.clock import utcnow
from kassa.core.vocabulary import AuthorizationStatus
from kassa.db.engine import Unit
from kassa.db.models import Authorization, Customer
from kassa.ledger.locks import lock_lapsed_holds, lock_lapsed_holds_of


def sweep_customer(session: Unit, customer_id: int, now: datetime) -> int:
    """Expire this customer's lapsed reservations; returns the micros freed.

    The caller holds the customer's row; rows another call is committing are skipped."""
    lapsed = lock_lapsed_holds_of(session, customer_id, now)
    if not lapsed:
        return 0
    freed = sum(row.held_micros for row in lapsed)
    session.execute(
        update(Authorization)
        .where(Authorization.id.in_([row.id for row in lapsed]))
        .values(status=AuthorizationStatus.EXPIRED, held_micros=0, updated_at=now)
    )
    session.execute(
        update(Customer)
        .where(Customer.id == customer_id)
        .values(reserved_micros=Customer.reserved_micros - freed)
    )
    return freed


def sweep_expired(session: Session, *, limit: int = 1000) -> int:
    """Release lapsed reservations everywhere (the periodic sweeper); returns how many."""
    now = utcnow()
    lapsed = lock_lapsed_holds(session, now, limit)
    if not lapsed:
        return 0
    session.execute(
        update(Authorization)
        .where(Authorization.id.in_([row.id for row in lapsed]))
        .values(status=AuthorizationStatus.EXPIRED, held_micros=0, updated_at=now)
    )
    freed: dict[int, int] = {}
    for row in lapsed:
        freed[row.customer_id] = freed.get(row.customer_id, 0) + row.held_micros
    for customer_id in sorted(freed):
        session.execute(
            update(Customer)
            .where(Customer.id == customer_id)
            .values(reserved_micros=Customer.reserved_micros - freed[customer_id])
        )
    return len(lapsed)
