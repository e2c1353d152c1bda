"""Suspending a customer and lifting the suspension, whatever the reason.

A customer is suspended for one of two reasons (``customers.suspended_for``, a
``SuspensionReason``): an invoice overdue past its class's grace (``kassa.billing.collection``),
or, in a class with ``suspend_when_fees_unpaid``, a prepaid customer's funds that do not cover
the fees posted (``kassa.subscriptions.suspension``). Both go through here: a suspension is
written with its reason and reported by one ``customer_suspended`` event, a lift by one
``customer_status_changed`` event. A suspension from before reasons were kept has none, and is
one for an overdue invoice.

The callers hold the customers' rows (``kassa.ledger.locks``); every update re-checks in its
WHERE clause the state it changes, so a stale read never suspends a customer who has paid.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    ColumnExpressionArgument,
    Exists,
    and_,
    exists,
    false,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from kassa.core.clock import as_utc, utcnow
from kassa.core.vocabulary import BalanceControl, CustomerStatus, InvoiceStatus, SuspensionReason
from kassa.db.models import Customer, CustomerClass, Invoice
from kassa.events.outbox import emit
from kassa.ledger.holds import lapsed_micros


def overdue_invoice(customer_id: int | ColumnExpressionArgument[int]) -> Exists:
    """Whether the customer has an overdue invoice, as SQL."""
    return exists().where(
        Invoice.customer_id == customer_id, Invoice.status == InvoiceStatus.OVERDUE
    )


def available_funds(now: datetime) -> ColumnElement[int | None]:
    """A customer's available funds as SQL (null without a credit limit), without the holds of
    reservations lapsed by ``now``, as every reader counts them (``kassa.ledger.holds``)."""
    return (
        Customer.credit_limit_micros
        - Customer.balance_micros
        - (Customer.reserved_micros - lapsed_micros(Customer.id, now))
    )


def unfunded(now: datetime) -> ColumnElement[bool]:
    """A prepaid customer of a class that suspends for unpaid fees, whose available funds are
    below zero: what ``suspend_when_fees_unpaid`` suspends."""
    return and_(
        Customer.balance_control == BalanceControl.PREPAID,
        Customer.credit_limit_micros.is_not(None),
        exists().where(
            CustomerClass.id == Customer.customer_class_id,
            CustomerClass.suspend_when_fees_unpaid.is_(True),
        ),
        available_funds(now) < 0,
    )


def _suspended_for(reasons: Collection[SuspensionReason]) -> ColumnElement[bool]:
    legacy = (
        Customer.suspended_for.is_(None) if SuspensionReason.OVERDUE_INVOICE in reasons else false()
    )
    return or_(Customer.suspended_for.in_([str(r) for r in reasons]), legacy)


def suspend(
    session: Session,
    customer_id: int,
    reason: SuspensionReason,
    *,
    only_if: ColumnElement[bool],
    changed_at: datetime,
    data: dict[str, Any],
) -> bool:
    """Suspend the customer for ``reason`` if it is active and ``only_if`` holds, and report
    it; ``changed_at`` is when the customer was last changed, as read under its lock."""
    changed = session.execute(
        update(Customer)
        .where(Customer.id == customer_id, Customer.status == CustomerStatus.ACTIVE, only_if)
        .values(status=CustomerStatus.SUSPENDED, suspended_for=reason, updated_at=utcnow())
    ).rowcount  # type: ignore[attr-defined]
    if not changed:
        return False
    emit(
        session,
        "customer_suspended",
        customer_id,
        {"customer_id": customer_id, "suspended_for": reason.value, **data},
        # A suspension is of the customer as last changed (read under its lock): callers that
        # read the same row share the key, and one suspended again after staff unblocked it
        # is a new suspension with an event of its own.
        dedupe_key=f"customer_suspended:{customer_id}:{as_utc(changed_at).isoformat()}",
    )
    return True


def lift(
    session: Session,
    customer_ids: Collection[int],
    reasons: Collection[SuspensionReason],
    *,
    only_if: ColumnElement[bool],
    why: str,
) -> list[int]:
    """Make active again those of these customers suspended for one of ``reasons`` for whom
    ``only_if`` holds, and report each; returns them, ascending."""
    if not customer_ids:
        return []
    lifted = sorted(
        session.scalars(
            update(Customer)
            .where(
                Customer.id.in_(list(customer_ids)),
                Customer.status == CustomerStatus.SUSPENDED,
                _suspended_for(reasons),
                only_if,
            )
            .values(status=CustomerStatus.ACTIVE, suspended_for=None, updated_at=utcnow())
            .returning(Customer.id)
        )
    )
    for customer_id in lifted:
        emit(
            session,
            "customer_status_changed",
            customer_id,
            {
                "customer_id": customer_id,
                "from": CustomerStatus.SUSPENDED,
                "to": CustomerStatus.ACTIVE,
                "reason": why,
            },
        )
    return lifted


def suspension_of(session: Session, customer_id: int) -> tuple[str, str | None] | None:
    """The customer's stored status and reason of suspension; None when there is no such
    customer."""
    row = session.execute(
        select(Customer.status, Customer.suspended_for).where(Customer.id == customer_id)
    ).first()
    return None if row is None else (row[0], row[1])


def now_suspended_for(
    session: Session,
    customer_id: int,
    reason: SuspensionReason,
    *,
    was: Collection[SuspensionReason],
    only_if: ColumnElement[bool],
) -> bool:
    """Keep a customer suspended for one of ``was`` suspended for ``reason`` instead, when
    ``only_if`` holds: its first reason is gone, the other still holds."""
    changed = session.execute(
        update(Customer)
        .where(
            Customer.id == customer_id,
            Customer.status == CustomerStatus.SUSPENDED,
            _suspended_for(was),
            only_if,
        )
        .values(suspended_for=reason, updated_at=utcnow())
    ).rowcount  # type: ignore[attr-defined]
    return bool(changed)
