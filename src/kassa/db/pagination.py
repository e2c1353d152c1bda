"""Keyset paging for any ordered query: ``WHERE key > :after ORDER BY key LIMIT n + 1``."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute, Session

from kassa.core.pagination import check_limit, decode_cursor, decode_int_cursor, encode_cursor

T = TypeVar("T")


def paginate(
    session: Session,
    stmt: Select[T],
    key: InstrumentedAttribute[Any],
    *,
    limit: int | None,
    cursor: str | None,
) -> tuple[list[T], str | None]:
    limit = check_limit(limit)
    if cursor:
        after: Any = (
            decode_int_cursor(cursor) if key.type.python_type is int else decode_cursor(cursor)
        )
        stmt = stmt.where(key > after)
    rows = list(session.scalars(stmt.order_by(key).limit(limit + 1)))
    if len(rows) > limit:
        return rows[:limit], encode_cursor(getattr(rows[limit - 1], key.key))
    return rows, None
