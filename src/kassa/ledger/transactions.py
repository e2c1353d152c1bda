"""Operator-posted transactions (payments, refunds, charges, credits) and the ledger listing."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from kassa.auth import audit
from kassa.auth.actor import Actor
from kassa.billing.collection import CREDIT_TYPES, settle_invoices
from kassa.core.errors import Conflict, NotFound, ValidationFailed
from kassa.core.money import AmountError, check_amount, format_micros, to_micros
from kassa.core.pagination import check_limit, decode_int_cursor, encode_cursor
from kassa.core.vocabulary import CustomerStatus, EntryType
from kassa.currencies.service import currency_exponent
from kassa.db.models import Customer, LedgerEntry
from kassa.ledger.entries import append_entry
from kassa.ledger.queue import customer_queue
from kassa.ledger.schemas import TransactionIn, TransactionOut
from kassa.notifications.outbox import emit

RATED_DECIMALS = 6


@dataclass(frozen=True)
class LockedCustomer:
    id: int
    status: str
    currency: str
    exponent: int


def lock_customer(session: Session, customer_id: int) -> LockedCustomer:
    """Lock the customer's row for this transaction, first of all it touches (the lock order
    of ``kassa.customers.locks``); closed customers move no money."""
    row = session.execute(
        select(Customer.id, Customer.status, Customer.currency, customer_queue(Customer.id))
        .where(Customer.id == customer_id)
        .with_for_update()
    ).first()
    if row is None:
        raise NotFound(f"customer {customer_id} does not exist", code="customer_not_found")
    if row.status == CustomerStatus.CLOSED:
        raise Conflict(f"customer {customer_id} is closed", code="customer_closed")
    return LockedCustomer(
        row.id, row.status, row.currency, currency_exponent(session, row.currency)
    )


def amount_micros(value: Decimal, *, field: str, max_decimals: int) -> int:
    """A positive amount with no more decimals than allowed, in micros; else a 422 on ``field``."""
    try:
        return to_micros(check_amount(value, max_decimals=max_decimals, allow_zero=False))
    except AmountError as exc:
        raise ValidationFailed.field(field, str(exc)) from exc


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
