"""Operator-posted transactions (payments, refunds, charges, credits) and the ledger listing."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kassa.auth import audit
from kassa.auth.actor import Actor
from kassa.billing.collection import CREDIT_TYPES, settle_invoices
from kassa.core.errors import NotFound
from kassa.core.money import amount_micros, format_micros
from kassa.core.pagination import check_limit, decode_int_cursor, encode_cursor
from kassa.db.models import Customer, LedgerEntry
from kassa.events.outbox import emit
from kassa.ledger.entries import append_entry
from kassa.ledger.locks import lock_customer
from kassa.ledger.schemas import TransactionIn, TransactionOut


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
    if data.type == "payment":
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


def transaction_out(entry: LedgerEntry, exponent: int) -> TransactionOut:
    return TransactionOut(
        id=entry.id,
        customer_id=entry.customer_id,
        type=entry.type,
        amount=format_micros(abs(entry.amount_micros), exponent),
        currency=entry.currency,
        balance_after=format_micros(entry.balance_after_micros, exponent),
        service=entry.service,
        visible_comment=entry.visible_comment,
        internal_comment=entry.internal_comment,
        user_id=entry.user_id,
        authorization_id=entry.authorization_id,
        external_id=entry.external_id,
        occurred_at=entry.occurred_at,
        created_at=entry.created_at,
    )


def list_transactions(
    session: Session,
    customer_id: int,
    *,
    entry_type: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> tuple[list[LedgerEntry], str | None]:
    """Newest first, keyset-paged on the entry id."""
    if session.get(Customer, customer_id) is None:
        raise NotFound(f"customer {customer_id} does not exist", code="customer_not_found")
    limit = check_limit(limit)
    before = decode_int_cursor(cursor)
    stmt = select(LedgerEntry).where(LedgerEntry.customer_id == customer_id)
    if entry_type:
        stmt = stmt.where(LedgerEntry.type == entry_type)
    if before is not None:
        stmt = stmt.where(LedgerEntry.id < before)
    rows = list(session.scalars(stmt.order_by(LedgerEntry.id.desc()).limit(limit + 1)))
    next_cursor = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor
