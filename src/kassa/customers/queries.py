"""Reading customers: by id, and the searchable, filterable, keyset-paged list."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, Select, column, or_, select, table, text
from sqlalchemy.orm import Session

from kassa.core.clock import utcnow
from kassa.core.errors import NotFound, ValidationFailed
from kassa.core.ids import id_from_text
from kassa.core.names import name_key
from kassa.core.pagination import check_limit
from kassa.core.vocabulary import CustomerStatus
from kassa.customers.status import shown_status_sql
from kassa.db.models import Customer
from kassa.db.pagination import paginate

# FTS5's trigram index answers substring queries of three characters or more.
TRIGRAM = 3
MAX_SEARCH_LENGTH = 200
# That index on SQLite; its rowid is the customer's id.
_NAME_SEARCH = table("customer_search", column("rowid", Integer))


def get_customer(session: Session, customer_id: int) -> Customer:
    customer = session.scalar(select(Customer).where(Customer.id == customer_id))
    if customer is None:
        raise NotFound(f"customer {customer_id} does not exist", code="customer_not_found")
    return customer


def customer_names(session: Session, customer_ids: set[int]) -> dict[int, str]:
    if not customer_ids:
        return {}
    rows = session.execute(select(Customer.id, Customer.name).where(Customer.id.in_(customer_ids)))
    return {row.id: row.name for row in rows}


def _like_pattern(key: str) -> str:
    escaped = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _fts_query(key: str) -> str:
    """Every word of three characters or more as its own FTS5 phrase, all required. Cheaper than
    one phrase over the whole key: the trigrams that span a space are among the commonest, and
    the caller checks the exact substring on the row anyway."""
    words = [w for w in key.split(" ") if len(w) >= TRIGRAM] or [key]
    return " AND ".join('"' + w.replace('"', '""') + '"' for w in words)


def _search(stmt: Select[Customer], session: Session, q: str) -> tuple[Select[Customer], Any]:
    """The statement narrowed to names containing ``q`` (or the id ``q``), and the column to
    page by: on SQLite the index's own rowid, which it hands out in order, so a page of an
    unselective search stops after its first rows instead of sorting every match."""
    key = name_key(q)
    if not key:
        return stmt, Customer.id
    like = Customer.name_key.like(_like_pattern(key), escape="\\")
    # Only the digits an id is written in: "²²²" folds to the key "222" but names no id.
    wanted_id = id_from_text(q)
    by_id = Customer.id == wanted_id if wanted_id is not None else None
    if session.get_bind().dialect.name != "sqlite" or len(key) < TRIGRAM:
        return stmt.where(or_(like, by_id) if by_id is not None else like), Customer.id
    match = text("customer_search MATCH :terms").bindparams(terms=_fts_query(key))
    if by_id is not None:
        # A number may be an id too; the index cannot say so, so this case keeps id order.
        in_index = Customer.id.in_(select(_NAME_SEARCH.c.rowid).where(match))
        return stmt.where(or_(in_index, by_id)), Customer.id
    stmt = stmt.join(_NAME_SEARCH, _NAME_SEARCH.c.rowid == Customer.id).where(match, like)
    return stmt, _NAME_SEARCH.c.rowid


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
    stmt = select(Customer)
    order: Any = Customer.id
    if q:
        if len(q) > MAX_SEARCH_LENGTH:
            raise ValidationFailed.field("q", f"must be at most {MAX_SEARCH_LENGTH} characters")
        stmt, order = _search(stmt, session, q)
    if status:
        if status not in tuple(CustomerStatus):
            raise ValidationFailed.field("status", f"must be one of {', '.join(CustomerStatus)}")
        stmt = stmt.where(shown_status_sql(utcnow()) == status)
    if customer_class_id is not None:
        stmt = stmt.where(Customer.customer_class_id == customer_class_id)
    # The search index's rowid is the customer's id: either way the cursor is the id.
    return paginate(session, stmt, order, limit=limit, cursor=cursor, cursor_of=lambda c: c.id)
