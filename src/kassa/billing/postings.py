"""Operator-posted transactions: payments, refunds, charges and credits.

Posting one is the ledger's (the entry and the balance) and then billing's: a credit settles
the invoices it covers and may lift a suspension. It is orchestrated here, in billing, because
billing sits above the ledger: the ledger then imports nothing of billing, and no hook lets a
lower layer call back into a higher one.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from sqlalchemy.orm import Session

from kassa.auth import audit
from kassa.auth.actor import Actor
from kassa.billing.collection import CREDIT_TYPES, settle_invoices
from kassa.core.money import amount_micros, format_micros
from kassa.core.vocabulary import EntryType
from kassa.db.engine import Database
from kassa.db.models import LedgerEntry
from kassa.events.outbox import emit
from kassa.ledger.entries import append_entry
from kassa.ledger.locks import lock_customer
from kassa.ledger.schemas import TransactionIn, TransactionOut
from kassa.ledger.transactions import transaction_out


def open_unit(db: Database) -> AbstractContextManager[Session]:
    """The transaction post_transaction runs in, for the edge to open and commit: an ORM
    session (``Database.transaction``)."""
    return db.transaction()


def post_transaction(
    session: Session, actor: Actor, customer_id: int, data: TransactionIn
) -> TransactionOut:
    customer = lock_customer(session, customer_id)
    micros = amount_micros(data.amount, field="amount", max_decimals=customer.exponent)
    posted = append_entry(
        session,
        actor,
        customer_id=customer.id,
        entry_type=data.type,
        amount_micros=micros,
        currency=customer.currency,
        exponent=customer.exponent,
        visible_comment=data.visible_comment.strip(),
        internal_comment=data.internal_comment.strip(),
    )
    if data.type == EntryType.PAYMENT:
        emit(
            session,
            "payment_received",
            customer.id,
            {
                "customer_id": customer.id,
                "amount": format_micros(micros, customer.exponent),
                "currency": customer.currency,
                "balance": format_micros(posted.balance_after_micros, customer.exponent),
            },
        )
    if data.type in CREDIT_TYPES:
        settle_invoices(session, customer.id)
    entry = session.get_one(LedgerEntry, posted.entry_id)
    # Staff move money here, so it is in the audit trail too (the network's reservations and
    # usage are in the ledger and the authorizations, with their user, and nowhere else).
    audit.record(
        session,
        actor,
        "create",
        "transaction",
        entry.id,
        after={
            "customer_id": customer.id,
            "type": entry.type,
            "amount_micros": entry.amount_micros,
            "currency": entry.currency,
            "balance_after_micros": entry.balance_after_micros,
            "visible_comment": entry.visible_comment,
            "internal_comment": entry.internal_comment,
        },
    )
    return transaction_out(entry, customer.exponent)
