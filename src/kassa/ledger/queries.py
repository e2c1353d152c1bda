"""Reading authorizations: one, a customer's (filtered by the status readers see), and the
reservations still open."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kassa.core.errors import NotFound
from kassa.currencies.service import currency_exponent
from kassa.customers.queries import get_customer
from kassa.db.models import Authorization
from kassa.db.pagination import paginate
from kassa.ledger.authorizations import AuthorizationView
from kassa.ledger.holds import customer_funds, effective_status_is


def get_authorization(session: Session, authorization_id: int) -> AuthorizationView:
    auth = session.get(Authorization, authorization_id)
    if auth is None:
        raise NotFound(
            f"authorization {authorization_id} does not exist", code="authorization_not_found"
        )
    customer = get_customer(session, auth.customer_id)
    funds = customer_funds(session, [customer])[customer.id]
    return AuthorizationView(
        auth, funds.available_micros, currency_exponent(session, auth.currency)
    )


def list_authorizations(
    session: Session,
    customer_id: int,
    now: datetime,
    *,
    status: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> tuple[list[AuthorizationView], str | None]:
    """Newest first, keyset-paged on the id; ``status`` as readers see it (expired includes
    lapsed reservations the sweeper has not marked yet)."""
    customer = get_customer(session, customer_id)
    stmt = select(Authorization).where(Authorization.customer_id == customer_id)
    if status is not None:
        stmt = stmt.where(effective_status_is(status, now))
    rows, next_cursor = paginate(
        session, stmt, Authorization.id, limit=limit, cursor=cursor, descending=True
    )
    available = customer_funds(session, [customer])[customer.id].available_micros
    exponent = currency_exponent(session, customer.currency)
    return [AuthorizationView(r, available, exponent) for r in rows], next_cursor


def open_reservations(session: Session, customer_id: int, now: datetime) -> list[Authorization]:
    """The customer's reservations that still count, the one expiring first first."""
    return list(
        session.scalars(
            select(Authorization)
            .where(Authorization.customer_id == customer_id, effective_status_is("reserved", now))
            .order_by(Authorization.expires_at, Authorization.id)
        )
    )
