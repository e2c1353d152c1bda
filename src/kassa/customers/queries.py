"""Reading customers: by id, and the searchable, filterable, keyset-paged list."""

from __future__ import annotations

from sqlalchemy import Select, or_, select, text
from sqlalchemy.orm import Session

from kassa.core.errors import NotFound, ValidationFailed
from kassa.core.pagination import check_limit, decode_int_cursor, encode_cursor
from kassa.customers.schemas import SHOWN_STATUSES
from kassa.customers.status import shown_status_sql
from kassa.db.models import Customer

# FTS5's trigram index answers substring queries of three characters or more.
TRIGRAM = 3


def name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def get_customer(session: Session, customer_id: int, *, for_update: bool = False) -> Customer:
    stmt = select(Customer).where(Customer.id == customer_id)
    if for_update:
        stmt = stmt.with_for_update()
    customer = session.scalar(stmt)
    if customer is None:
        raise NotFound(f"customer {customer_id} does not exist", code="customer_not_found")
    return customer


def _like_pattern(key: str) -> str:
    escaped = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _search(stmt: Select[Customer], session: Session, q: str) -> Select[Customer]:
    key = name_key(q)
    if not key:
        return stmt
    by_id = Customer.id == int(key) if key.isdigit() and len(key) < 18 else None
    if session.get_bind().dialect.name == "sqlite" and len(key) >= TRIGRAM:
        phrase = '"' + key.replace('"', '""') + '"'
        matches = Customer.id.in_(
            select(text("rowid"))
            .select_from(text("customer_search"))
            .where(text("customer_search MATCH :phrase").bindparams(phrase=phrase))
        )
    else:
        matches = Customer.name_key.like(_like_pattern(key), escape="\\")
    return stmt.where(or_(matches, by_id) if by_id is not None else matches)


def list_customers(
    session: Session,
    *,
    q: str | None = None,
    status: str | None = None,
    customer_class_id: int | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> tuple[list[Customer], str | None]:
    limit = check_limit(limit)
    after = decode_int_cursor(cursor)
    stmt = select(Customer)
    if q:
        stmt = _search(stmt, session, q)
    if status:
        if status not in SHOWN_STATUSES:
            raise ValidationFailed.field("status", f"must be one of {', '.join(SHOWN_STATUSES)}")
        stmt = stmt.where(shown_status_sql() == status)
    if customer_class_id is not None:
        stmt = stmt.where(Customer.customer_class_id == customer_class_id)
    if after is not None:
        stmt = stmt.where(Customer.id > after)
    rows = list(session.scalars(stmt.order_by(Customer.id).limit(limit + 1)))
    next_cursor = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor
