"""An expired reservation stops counting at once.

The sweeper marks lapsed reservations expired and gives their holds back to the customer some
seconds later; until it does, the stored status still says reserved and the customer's
``reserved_micros`` still holds them. Every reader goes through these functions, so the API,
the web pages and the CLI show a reservation expired, and the customer's funds without its
hold, from the moment it expires.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    ColumnExpressionArgument,
    ScalarSelect,
    cast,
    func,
    select,
)
from sqlalchemy.orm import Session, aliased

from kassa.core.clock import as_utc, utcnow
from kassa.core.vocabulary import AuthorizationStatus
from kassa.db.models import Authorization, Customer

RESERVED = AuthorizationStatus.RESERVED
EXPIRED = AuthorizationStatus.EXPIRED


def effective_status(status: str, expires_at: datetime, now: datetime) -> str:
    """An authorization's status as readers see it: past its expiry, a reservation is
    expired whether or not the sweeper has marked it yet."""
    if status == RESERVED and as_utc(expires_at) <= now:
        return EXPIRED
    return status


def effective_status_is(status: str, now: datetime) -> ColumnElement[bool]:
    """The SQL condition for ``effective_status(...) == status``."""
    if status == RESERVED:
        return (Authorization.status == RESERVED) & (Authorization.expires_at > now)
    if status == EXPIRED:
        return (Authorization.status == EXPIRED) | (
            (Authorization.status == RESERVED) & (Authorization.expires_at <= now)
        )
    return Authorization.status == status


def available_micros(limit: int | None, balance: int, reserved: int) -> int | None:
    """What a customer can still spend: unlimited (None) without a credit limit."""
    return None if limit is None else limit - balance - reserved


def lapsed_holds(session: Session, customer_ids: Sequence[int], now: datetime) -> dict[int, int]:
    """Micros still counted in ``reserved`` for reservations that have already expired, by
    customer (customers without any are left out)."""
    if not customer_ids:
        return {}
    rows = session.execute(
        select(Authorization.customer_id, func.sum(Authorization.held_micros))
        .where(
            Authorization.customer_id.in_(customer_ids),
            Authorization.status == RESERVED,
            Authorization.expires_at <= now,
        )
        .group_by(Authorization.customer_id)
    )
    return {customer_id: int(total or 0) for customer_id, total in rows}


def lapsed_micros(customer_id: ColumnExpressionArgument[int], now: datetime) -> ScalarSelect[int]:
    """:func:`lapsed_holds` of one customer as SQL, to read in the statement that reads the
    customer's row (``customer_id`` is that row's id column)."""
    lapsed = aliased(Authorization)
    # PostgreSQL sums bigints as numeric: cast back, so the funds stay integers.
    total = cast(func.coalesce(func.sum(lapsed.held_micros), 0), BigInteger)
    return (
        select(total)
        .where(
            lapsed.customer_id == customer_id,
            lapsed.status == RESERVED,
            lapsed.expires_at <= now,
        )
        .scalar_subquery()
    )


@dataclass(frozen=True)
class Funds:
    """A customer's reservations that still count, and what is left to spend (None:
    unlimited)."""

    reserved_micros: int
    available_micros: int | None


def customer_funds(session: Session, customers: Sequence[Customer]) -> dict[int, Funds]:
    """Each customer's funds net of lapsed holds, by customer id: one query for the customers
    that hold anything, none for those that do not."""
    lapsed = lapsed_holds(session, [c.id for c in customers if c.reserved_micros], utcnow())
    funds = {}
    for customer in customers:
        reserved = customer.reserved_micros - lapsed.get(customer.id, 0)
        funds[customer.id] = Funds(
            reserved,
            available_micros(customer.credit_limit_micros, customer.balance_micros, reserved),
        )
    return funds
