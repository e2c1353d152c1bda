"""Appending to the ledger: the only way a balance ever changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from kassa.auth.actor import Actor
from kassa.core.clock import utcnow
from kassa.db.models import Customer, CustomerClass, LedgerEntry
from kassa.ledger.alerts import BalanceState, level_of, raise_alerts

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

_class_warnings = (
    select(CustomerClass.credit_limit_warnings)
    .where(CustomerClass.id == Customer.customer_class_id)
    .scalar_subquery()
)


@dataclass(frozen=True)
class Posted:
    entry_id: int
    balance_after_micros: int
    created_at: datetime


def append_entry(
    session: Session,
    actor: Actor,
    *,
    customer_id: int,
    entry_type: str,
    amount_micros: int,
    currency: str,
    exponent: int,
    visible_comment: str = "",
    internal_comment: str = "",
    service: str | None = None,
    release_micros: int = 0,
    authorization_id: int | None = None,
    external_id: str | None = None,
    occurred_at: datetime | None = None,
) -> Posted:
    """Post ``amount_micros`` (positive; the type gives the sign), freeing ``release_micros`` of
    reservations in the same update, and raise any alert the new balance crosses.

    The balance update and the entry insert run in the caller's transaction, so either both
    happen or neither does."""
    delta = ENTRY_SIGNS[entry_type] * amount_micros
    values: dict[str, object] = {"balance_micros": Customer.balance_micros + delta}
    if release_micros:
        values["reserved_micros"] = Customer.reserved_micros - release_micros
    row = session.execute(
        update(Customer)
        .where(Customer.id == customer_id)
        .values(**values)
        .returning(
            Customer.balance_micros,
            Customer.reserved_micros,
            Customer.credit_limit_micros,
            Customer.balance_control,
            Customer.alert_level,
            _class_warnings,
        )
    ).one()
    now = utcnow()
    entry_id = session.execute(
        insert(LedgerEntry)
        .values(
            customer_id=customer_id,
            type=entry_type,
            amount_micros=delta,
            balance_after_micros=row[0],
            currency=currency,
            service=service,
            visible_comment=visible_comment,
            internal_comment=internal_comment,
            user_id=actor.user_id,
            authorization_id=authorization_id,
            external_id=external_id,
            occurred_at=occurred_at,
            created_at=now,
        )
        .returning(LedgerEntry.id)
    ).scalar_one()
    raise_alerts(
        session,
        BalanceState(
            customer_id=customer_id,
            balance_control=row[3],
            balance_micros=row[0],
            reserved_micros=row[1],
            credit_limit_micros=row[2],
            alert_level=row[4],
            warnings=list(row[5] or []),
            currency=currency,
            exponent=exponent,
        ),
    )
    return Posted(entry_id=int(entry_id), balance_after_micros=int(row[0]), created_at=now)


def initial_alert_level(customer: Customer, warnings: list[str]) -> int:
    """The level a new customer starts at, so that no event fires for where it already is."""
    return level_of(
        BalanceState(
            customer_id=customer.id,
            balance_control=customer.balance_control,
            balance_micros=customer.balance_micros,
            reserved_micros=customer.reserved_micros,
            credit_limit_micros=customer.credit_limit_micros,
            alert_level=0,
            warnings=warnings,
            currency=customer.currency,
            exponent=0,
        )
    )
