"""Suspension for unpaid fees, and its lifting.

In a class with ``suspend_when_fees_unpaid``, a prepaid customer whose available funds are below
zero once its in-advance fees are posted is suspended (``suspended_for`` ``unpaid_fees``): the
fee engine posts the fees all the same and then calls :func:`suspend_unfunded`. A credit that
brings the funds back to zero or more lifts it in the credit's own transaction (billing's
postings and settlement call :func:`lift_funded`), and so does collection's sweep, for funds
that came back otherwise (a reservation lapsed, say). A customer with an overdue invoice stays
suspended until that is paid too.

Both lock the customers' rows in id order (``kassa.ledger.locks``) before they read their
funds; a caller that posted to them holds them already.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import and_, not_, select
from sqlalchemy.orm import Session

from kassa.core.clock import utcnow
from kassa.core.money import format_micros
from kassa.core.vocabulary import BalanceControl, CustomerStatus, SuspensionReason
from kassa.currencies.service import currency_exponent
from kassa.customers.suspensions import (
    available_funds,
    lift,
    overdue_invoice,
    suspend,
    unfunded,
)
from kassa.db.fast.bulk import among
from kassa.db.models import Customer
from kassa.ledger.locks import lock_customer_rows, lock_customers

UNPAID_FEES = SuspensionReason.UNPAID_FEES
# What the customer_suspended event (and the email about it) says.
WHY_SUSPENDED = "your available funds do not cover your subscription fees"
WHY_LIFTED = "funds_cover_fees"


def suspend_unfunded(session: Session, customer_ids: Collection[int]) -> list[int]:
    """Suspend those of these customers that are active, prepaid, of a class that suspends
    for unpaid fees, and whose available funds are below zero; returns them, ascending."""
    if not customer_ids:
        return []
    # Locked in one statement that also reads what most customers fail first (not active,
    # not prepaid, no limit): the funds' statement, costly to build, reads the others only.
    rows = lock_customer_rows(
        session,
        (Customer.id, Customer.status, Customer.balance_control, Customer.credit_limit_micros),
        among(session, Customer.id, sorted(set(customer_ids))),
    )
    ids = [
        customer_id
        for customer_id, status, control, limit in rows
        if status == CustomerStatus.ACTIVE
        and control == BalanceControl.PREPAID
        and limit is not None
    ]
    if not ids:
        return []
    now = utcnow()
    rows = session.execute(
        select(Customer.id, Customer.updated_at, Customer.currency, available_funds(now))
        .where(
            among(session, Customer.id, ids),
            Customer.status == CustomerStatus.ACTIVE,
            unfunded(now),
        )
        .order_by(Customer.id)
    ).all()
    suspended: list[int] = []
    for customer_id, changed_at, currency, available in rows:
        owed = format_micros(-int(available or 0), currency_exponent(session, currency))
        if suspend(
            session,
            customer_id,
            UNPAID_FEES,
            only_if=unfunded(now),
            changed_at=changed_at,
            data={"reason": WHY_SUSPENDED, "amount_due": owed, "currency": currency},
        ):
            suspended.append(customer_id)
    return suspended


def unpaid_fees_suspended(
    session: Session, *, after_id: int = 0, limit: int | None = None
) -> list[int]:
    """The customers suspended for unpaid fees, in id order, after ``after_id``; read without
    locks (:func:`lift_funded` re-checks each)."""
    stmt = (
        select(Customer.id)
        .where(
            Customer.id > after_id,
            Customer.status == CustomerStatus.SUSPENDED,
            Customer.suspended_for == UNPAID_FEES,
        )
        .order_by(Customer.id)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def lift_funded(session: Session, customer_ids: Collection[int] | None = None) -> list[int]:
    """Make active again those of these customers (None: every one) suspended for unpaid fees
    whose funds are no longer below zero and who have nothing overdue; returns them,
    ascending."""
    if customer_ids is None:
        customer_ids = unpaid_fees_suspended(session)
    ids = lock_customers(session, customer_ids)
    return lift(
        session,
        ids,
        (UNPAID_FEES,),
        only_if=and_(not_(unfunded(utcnow())), not_(overdue_invoice(Customer.id))),
        why=WHY_LIFTED,
    )
