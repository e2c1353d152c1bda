"""The ledger's transactions as the API shows them, and their listing. (Operator-posted
transactions are posted by ``kassa.billing.postings``.)"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kassa.core.errors import NotFound
from kassa.core.money import format_micros
from kassa.db.models import Customer, LedgerEntry
from kassa.db.pagination import paginate
from kassa.ledger.schemas import TransactionOut


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
        account_id=entry.account_id,
        units=entry.units,
        unit=entry.unit,
        destination=entry.destination,
        rate_prefix=entry.rate_prefix,
        rate_description=entry.rate_description,
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
    stmt = select(LedgerEntry).where(LedgerEntry.customer_id == customer_id)
    if entry_type:
        stmt = stmt.where(LedgerEntry.type == entry_type)
    return paginate(session, stmt, LedgerEntry.id, limit=limit, cursor=cursor, descending=True)
