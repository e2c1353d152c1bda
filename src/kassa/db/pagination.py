"""Keyset paging for any ordered query: ``WHERE key > :after ORDER BY key LIMIT n + 1``, or
newest first ``WHERE key < :before ORDER BY key DESC LIMIT n + 1``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session

from kassa.core.pagination import check_limit, decode_cursor, decode_int_cursor, encode_cursor


def paginate(
    session: Session,
    stmt: Select[*tuple[Any, ...]],
    key: Any,
    *,
    limit: int | None,
    cursor: str | None,
    descending: bool = False,
    cursor_of: Callable[[Any], object] | None = None,
) -> tuple[list[Any], str | None]:
    """A page of ``stmt`` ordered by the column ``key``, and the cursor of the next page.

    A statement of one entity gives its objects, one of several gives rows (tuples).
    ``cursor_of`` reads the cursor off the page's last row when that is not the ``key``
    attribute of the (first) entity: when the key is another table's column, say."""
    limit = check_limit(limit)
    if cursor:
        start: Any = (
            decode_int_cursor(cursor) if key.type.python_type is int else decode_cursor(cursor)
        )
        stmt = stmt.where(key < start if descending else key > start)
    stmt = stmt.order_by(key.desc() if descending else key).limit(limit + 1)
    entities = len(stmt.column_descriptions) == 1
    rows = list(session.scalars(stmt)) if entities else list(session.execute(stmt).all())
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    if cursor_of is not None:
        next_key = cursor_of(last)
    else:
        next_key = getattr(last if entities else last[0], key.key)
    return rows[:limit], encode_cursor(next_key)
