"""Subscription fees posted straight to the ledger, as the fee engine posts them."""

from __future__ import annotations

from decimal import Decimal

from kassa.auth.actor import SYSTEM
from kassa.core.money import to_micros
from kassa.core.vocabulary import EntryType
from kassa.db.engine import Database
from kassa.ledger.entries import append_entry
from kassa.ledger.locks import lock_customer


def post_fee(db: Database, customer_id: int, amount: str, comment: str) -> int:
    """A ``subscription`` entry of ``amount`` with ``comment`` for the customer; its id."""
    with db.transaction() as session:
        customer = lock_customer(session, customer_id)
        posted = append_entry(
            session,
            SYSTEM,
            customer_id=customer.id,
            entry_type=EntryType.SUBSCRIPTION,
            amount_micros=to_micros(Decimal(amount)),
            currency=customer.currency,
            exponent=customer.exponent,
            visible_comment=comment,
        )
        return posted.entry_id
