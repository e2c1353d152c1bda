"""Appending to the ledger: the only way a balance ever changes."""

from __future__ import annotations

from sqlalchemy import insert, update
from sqlalchemy.orm import Session

from kassa.auth.actor import Actor
from kassa.core.clock import utcnow
from kassa.db.models import Customer, LedgerEntry

# The sign each entry type gives the balance (what the customer owes).
ENTRY_SIGNS: dict[str, int] = {
    "payment": -1,
    "refund": 1,
    "manual_charge": 1,
    "manual_credit": -1,
    "promotional_credit": -1,
    "usage": 1,
    "tax": 1,
}


def append_entry(
    session: Session,
    actor: Actor,
    *,
    customer_id: int,
    entry_type: str,
    amount_micros: int,
    currency: str,
    visible_comment: str = "",
    internal_comment: str = "",
    service: str | None = None,
) -> int:
    """Post ``amount_micros`` (positive; the type gives the sign) and return the new entry's id.

    The balance update and the entry insert run in the caller's transaction, so either both
    happen or neither does."""
    delta = ENTRY_SIGNS[entry_type] * amount_micros
    balance_after = session.execute(
        update(Customer)
        .where(Customer.id == customer_id)
        .values(balance_micros=Customer.balance_micros + delta)
        .returning(Customer.balance_micros)
    ).scalar_one()
    entry_id = session.execute(
        insert(LedgerEntry)
        .values(
            customer_id=customer_id,
            type=entry_type,
            amount_micros=delta,
            balance_after_micros=balance_after,
            currency=currency,
            service=service,
            visible_comment=visible_comment,
            internal_comment=internal_comment,
            user_id=actor.user_id,
            created_at=utcnow(),
        )
        .returning(LedgerEntry.id)
    ).scalar_one()
    return int(entry_id)
