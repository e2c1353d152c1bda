"""Database work over a batch of many rows, kept cheap on the Python side.

Closing a batch of periods writes thousands of rows. SQLAlchemy's generic per-row parameter
handling costs more than the statements themselves there, so ``insert_many`` and
``update_many`` convert each value with its column's own bind processor (exactly what
SQLAlchemy would send) and give the rows to the driver in one go: on PostgreSQL inserts by
COPY and updates as one statement over one array per column (``unnest``), on SQLite as one
executemany. ``among`` passes a batch's ids as one parameter (an array, or JSON on SQLite),
and ``cyclic_gc_paused`` keeps the garbage collector from rescanning a batch's objects while
they are built.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import (
    ARRAY,
    JSON,
    BigInteger,
    Column,
    ColumnElement,
    Connection,
    Select,
    String,
    Table,
    any_,
    bindparam,
    func,
    literal,
    literal_column,
    select,
)
from sqlalchemy.orm import Session

from kassa.db.base import Base


def insert_many(session: Session, model: type[Base], rows: list[dict[str, Any]]) -> None:
    """Insert ``rows``: dicts with the same keys, in the same order."""
    if rows:
        names = list(rows[0])
        insert_tuples(session, model, names, _in_order(names, rows))


def insert_tuples(
    session: Session, model: type[Base], names: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """Insert ``rows``: tuples of the values of the columns ``names``, in that order (cheaper
    to build than dicts when there are very many)."""
    if not rows:
        return
    conn = session.connection()
    table = cast(Table, model.__table__)
    columns = [table.c[name] for name in names]
    quote = conn.dialect.identifier_preparer.quote
    target = f"{quote(table.name)} ({', '.join(quote(c.name) for c in columns)})"
    values = _converted(conn, columns, rows)
    if conn.dialect.name == "postgresql":
        driver = conn.connection.driver_connection
        assert driver is not None
        with driver.cursor() as cursor, cursor.copy(f"COPY {target} FROM STDIN") as copy:
            for value in values:
                copy.write_row(value)
        return
    marks = ", ".join([_mark(conn)] * len(columns))
    conn.exec_driver_sql(f"INSERT INTO {target} VALUES ({marks})", values)


def update_many(
    session: Session,
    model: type[Base],
    rows: list[dict[str, Any]],
    *,
    key: str = "id",
    add: tuple[str, ...] = (),
) -> None:
    """Update one row per dict, found by its ``key`` column (unique among ``rows``): the
    columns named in ``add`` are increased by the value given, the others set to it."""
    if not rows:
        return
    conn = session.connection()
    table = cast(Table, model.__table__)
    # The key last, where the WHERE clause of the executemany takes it.
    columns = [table.c[name] for name in rows[0] if name != key] + [table.c[key]]
    quote = conn.dialect.identifier_preparer.quote
    name = {c.name: quote(c.name) for c in columns}
    target = quote(table.name)
    postgresql = conn.dialect.name == "postgresql"
    given = {c.name: f"v.{name[c.name]}" if postgresql else _mark(conn) for c in columns}
    changes = ", ".join(
        f"{name[c.name]} = {target}.{name[c.name]} + {given[c.name]}"
        if c.name in add
        else f"{name[c.name]} = {given[c.name]}"
        for c in columns[:-1]
    )
    where = f"{target}.{name[key]} = {given[key]}"
    values = _converted(conn, columns, _in_order([c.name for c in columns], rows))
    if not postgresql:
        conn.exec_driver_sql(f"UPDATE {target} SET {changes} WHERE {where}", values)
        return
    arrays = ", ".join(f"%s::{c.type.compile(conn.dialect)}[]" for c in columns)
    conn.exec_driver_sql(
        f"UPDATE {target} SET {changes} "
        f"FROM unnest({arrays}) AS v({', '.join(name.values())}) WHERE {where}",
        tuple(list(column) for column in zip(*values, strict=True)),
    )


def _mark(conn: Connection) -> str:
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def _in_order(names: list[str], rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    pick = itemgetter(*names)
    return list(map(pick, rows)) if len(names) > 1 else [(pick(row),) for row in rows]


def _converted(
    conn: Connection, columns: list[Column[Any]], values: list[tuple[Any, ...]]
) -> list[tuple[Any, ...]]:
    """Each value (rows in the order of ``columns``) through its column's bind processor, as
    SQLAlchemy would send it."""
    dialect = conn.dialect
    convert = []
    for i, column in enumerate(columns):
        found = column.type.dialect_impl(dialect).bind_processor(dialect)
        if found is not None:
            convert.append((i, found, isinstance(column.type, JSON)))
    if not convert:
        return values
    # Column by column: stamps, dates and names repeat across a batch's rows, so each distinct
    # value is converted once, and the rows are put back together in one go.
    by_column: list[Sequence[Any]] = list(zip(*values, strict=True))
    for i, process, document in convert:
        given = by_column[i]
        if document:
            # Documents are rarely repeated, and cannot be looked up.
            by_column[i] = [process(value) for value in given]
        else:
            seen = {value: process(value) for value in set(given)}
            by_column[i] = list(map(seen.__getitem__, given))
    return list(zip(*by_column, strict=True))


def among(session: Session, column: Any, ids: list[int]) -> ColumnElement[bool]:
    """``column IN ids``; on PostgreSQL ``column = ANY(<array>)``: one parameter instead of
    one per id, so every batch sends the same statement, converted, parsed and planned once."""
    if session.connection().dialect.name == "postgresql":
        return column == any_(literal(ids, ARRAY(BigInteger())))
    # On SQLite the ids go as one JSON array, unpacked by json_each: an expanding IN would be
    # rendered anew for every batch, one placeholder per id.
    unpacked: Select[tuple[Any]] = select(literal_column("value")).select_from(
        func.json_each(bindparam(None, json.dumps(ids), type_=String()))
    )
    return column.in_(unpacked.scalar_subquery())


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """A batch builds hundreds of thousands of rows, tuples and dicts that live until it ends
    and hold no reference cycles. While they pile up, the cyclic garbage collector would scan
    them, and every older object of the process, again and again (a sixth of a run's time);
    reference counting frees them all when the batch ends anyway."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
