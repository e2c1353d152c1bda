"""Authorizations as read: the one record every authorization is read into, and the reads.

The real-time calls (kassa.ledger.authorizations) read and write the same record without the
ORM; the reads here fill it from the same columns, so every caller sees one type.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import cast

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from kassa.core.clock import utcnow
from kassa.core.errors import NotFound
from kassa.core.pagination import check_limit, decode_int_cursor, encode_cursor
from kassa.currencies.service import currency_exponent
from kassa.db.models import Authorization, Customer
from kassa.ledger.schemas import AuthorizationStatus


@dataclass
class AuthorizationRecord:
    """An authorization's columns."""

    id: int
    customer_id: int
    service: str
    session_id: str | None
    status: str
    currency: str
    amount_micros: int
    held_micros: int
    committed_micros: int | None
    entry_id: int | None
    user_id: int | None
    created_at: datetime
    updated_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class AuthorizationView:
    """An authorization and the customer's available funds (right after the call, for one that
    changed it)."""

    row: AuthorizationRecord
    available_funds_micros: int | None
    exponent: int


_auths = cast(Table, Authorization.__table__)
# The record's columns, in its fields' order.
RECORD_COLUMNS = tuple(_auths.c[field.name] for field in fields(AuthorizationRecord))


def available_micros(limit: int | None, balance: int, reserved: int) -> int | None:
    return None if limit is None else limit - balance - reserved


def _not_found(authorization_id: int) -> NotFound:
    return NotFound(
        f"authorization {authorization_id} does not exist", code="authorization_not_found"
    )


def get_authorization(session: Session, authorization_id: int) -> AuthorizationView:
    row = session.execute(
        select(
            *RECORD_COLUMNS,
            Customer.credit_limit_micros,
            Customer.balance_micros,
            Customer.reserved_micros,
        )
        .join(Customer, Customer.id == Authorization.customer_id)
        .where(Authorization.id == authorization_id)
    ).first()
    if row is None:
        raise _not_found(authorization_id)
    auth = AuthorizationRecord(*row[: len(RECORD_COLUMNS)])
    available = available_micros(*row[len(RECORD_COLUMNS) :])
    return AuthorizationView(auth, available, currency_exponent(session, auth.currency))


def list_authorizations(
    session: Session,
    customer_id: int,
    *,
    status: AuthorizationStatus | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> tuple[list[AuthorizationView], str | None]:
    """A page of the customer's authorizations, newest first, and the cursor of the next one.

    A reservation past its expiry counts as expired, swept or not."""
    customer = session.execute(
        select(
            Customer.currency,
            Customer.credit_limit_micros,
            Customer.balance_micros,
            Customer.reserved_micros,
        ).where(Customer.id == customer_id)
    ).first()
    if customer is None:
        raise NotFound(f"customer {customer_id} does not exist", code="customer_not_found")
    size = check_limit(limit)
    before = decode_int_cursor(cursor)
    stmt = select(*RECORD_COLUMNS).where(Authorization.customer_id == customer_id)
    now = utcnow()
    if status == "reserved":
        stmt = stmt.where(Authorization.status == "reserved", Authorization.expires_at > now)
    elif status == "expired":
        stmt = stmt.where(
            (Authorization.status == "expired")
            | ((Authorization.status == "reserved") & (Authorization.expires_at <= now))
        )
    elif status is not None:
        stmt = stmt.where(Authorization.status == status)
    if before is not None:
        stmt = stmt.where(Authorization.id < before)
    rows = session.execute(stmt.order_by(Authorization.id.desc()).limit(size + 1)).all()
    records = [AuthorizationRecord(*row) for row in rows[:size]]
    next_cursor = encode_cursor(records[-1].id) if len(rows) > size else None
    currency, limit_micros, balance, reserved = customer
    available = available_micros(limit_micros, balance, reserved)
    exponent = currency_exponent(session, currency)
    return [AuthorizationView(r, available, exponent) for r in records], next_cursor


def open_reservations(
    session: Session, customer_id: int, now: datetime
) -> list[AuthorizationRecord]:
    """The customer's reservations still open at ``now``, the soonest to expire first."""
    rows = session.execute(
        select(*RECORD_COLUMNS)
        .where(
            Authorization.customer_id == customer_id,
            Authorization.status == "reserved",
            Authorization.expires_at > now,
        )
        .order_by(Authorization.expires_at, Authorization.id)
    )
    return [AuthorizationRecord(*row) for row in rows]


def lapsed_holds(session: Session, customer_ids: list[int]) -> dict[int, int]:
    """Micros still counted in ``reserved`` for reservations that have already expired, by
    customer: an expired reservation stops counting at once, before the sweeper gets to it."""
    if not customer_ids:
        return {}
    rows = session.execute(
        select(Authorization.customer_id, func.sum(Authorization.held_micros))
        .where(
            Authorization.customer_id.in_(customer_ids),
            Authorization.status == "reserved",
            Authorization.expires_at <= utcnow(),
        )
        .group_by(Authorization.customer_id)
    )
    return {customer_id: int(total or 0) for customer_id, total in rows}
