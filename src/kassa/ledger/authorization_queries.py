"""Authorizations as read: the one record every authorization is read into, and the reads.

The real-time calls (kassa.ledger.authorizations) read and write the same record without the
ORM; the reads here fill it from the same columns, so every caller sees one type.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import cast

from sqlalchemy import ColumnElement, Table, select
from sqlalchemy.orm import Session

from kassa.core.clock import utcnow
from kassa.core.errors import NotFound
from kassa.core.vocabulary import AuthorizationStatus
from kassa.currencies.service import currency_exponent
from kassa.db.models import Authorization, Customer
from kassa.db.pagination import paginate
from kassa.ledger.holds import available_micros, effective_status_is, lapsed_micros


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
    # Rated authorizations only (kassa.db.models.Authorization says what each is).
    account_id: int | None = None
    destination: str | None = None
    unit: str | None = None
    granted_units: int | None = None
    committed_units: int | None = None
    tariff_id: int | None = None
    rate_prefix: str | None = None
    rate_description: str | None = None
    price_micros: int | None = None
    per: int | None = None
    first_interval: int | None = None
    next_interval: int | None = None
    connect_fee_micros: int | None = None
    free_units: int | None = None


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


def _not_found(authorization_id: int) -> NotFound:
    return NotFound(
        f"authorization {authorization_id} does not exist", code="authorization_not_found"
    )


def _reserved_at(now: datetime) -> ColumnElement[int]:
    # The customer's reserved micros without the holds that lapsed by ``now``.
    return Customer.reserved_micros - lapsed_micros(Customer.id, now)


def get_authorization(session: Session, authorization_id: int) -> AuthorizationView:
    """One authorization, and the customer's available funds net of lapsed holds."""
    row = session.execute(
        select(
            *RECORD_COLUMNS,
            Customer.credit_limit_micros,
            Customer.balance_micros,
            _reserved_at(utcnow()),
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

    ``status`` as readers see it: a reservation past its expiry counts as expired, swept or
    not, and the funds leave its hold out."""
    now = utcnow()
    customer = session.execute(
        select(
            Customer.currency,
            Customer.credit_limit_micros,
            Customer.balance_micros,
            _reserved_at(now),
        ).where(Customer.id == customer_id)
    ).first()
    if customer is None:
        raise NotFound(f"customer {customer_id} does not exist", code="customer_not_found")
    stmt = select(*RECORD_COLUMNS).where(Authorization.customer_id == customer_id)
    if status is not None:
        stmt = stmt.where(effective_status_is(status, now))
    rows, next_cursor = paginate(
        session,
        stmt,
        Authorization.id,
        limit=limit,
        cursor=cursor,
        descending=True,
        cursor_of=lambda row: row.id,
    )
    currency, limit_micros, balance, reserved = customer
    available = available_micros(limit_micros, balance, reserved)
    exponent = currency_exponent(session, currency)
    return [
        AuthorizationView(AuthorizationRecord(*row), available, exponent) for row in rows
    ], next_cursor


def open_reservations(
    session: Session, customer_id: int, now: datetime
) -> list[AuthorizationRecord]:
    """The customer's reservations still open at ``now``, the soonest to expire first."""
    rows = session.execute(
        select(*RECORD_COLUMNS)
        .where(
            Authorization.customer_id == customer_id,
            effective_status_is(AuthorizationStatus.RESERVED, now),
        )
        .order_by(Authorization.expires_at, Authorization.id)
    )
    return [AuthorizationRecord(*row) for row in rows]
