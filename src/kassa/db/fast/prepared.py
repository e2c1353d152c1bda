"""Statements of the real-time path, compiled once per dialect and run on the session's own
driver connection.

Running a prebuilt Core statement through SQLAlchemy still costs some 100 µs of Python each
time (cache lookup, execution context, result wrapper): more than the database needs for a
statement on one indexed row. Reserve and commit run a handful of statements per request, so
they skip that layer. What is sent stays SQLAlchemy's: the SQL text its compiler renders for the
dialect, and every value converted by its column type's own bind and result processors. The
statements run inside the caller's transaction, on its connection.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Insert, exc
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement

from kassa.db.engine import Unit, connection_of

Processor = Callable[[Any], Any]


@dataclass(frozen=True)
class _Compiled:
    sql: str
    # Parameter names in the order of a positional paramstyle; None for named styles.
    order: tuple[str, ...] | None
    binds: tuple[tuple[str, Processor], ...]
    # Values the statement carries itself (literals in its WHERE clause, say).
    fixed: dict[str, Any]
    results: tuple[tuple[int, Processor], ...]


class Prepared:
    """A Core statement (``select``, ``insert``, ``update``, optionally ``RETURNING``) with
    named bind parameters. An INSERT is compiled for the keys of the values it is given, which
    must name every column it writes: column defaults are not filled in."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._compiled: dict[tuple[str, tuple[str, ...]], _Compiled] = {}

    def rows(self, unit: Unit, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        """Run it; the rows it returns (none for a statement without RETURNING)."""
        connection = connection_of(unit)
        dialect = connection.dialect
        keys = tuple(params) if isinstance(self.statement, Insert) else ()
        compiled = self._compiled.get((dialect.name, keys))
        if compiled is None:
            compiled = self._compiled[(dialect.name, keys)] = self._compile(dialect, keys)
        values = {**compiled.fixed, **params}
        for name, process in compiled.binds:
            values[name] = process(values[name])
        driver = connection.connection.driver_connection
        assert driver is not None
        args = values if compiled.order is None else tuple(values[n] for n in compiled.order)
        cursor = driver.cursor()
        try:
            cursor.execute(compiled.sql, args)
            fetched = cursor.fetchall() if cursor.description else []
        except dialect.loaded_dbapi.Error as error:
            # The errors SQLAlchemy would raise (IntegrityError for a unique key, say), which
            # callers catch: a duplicate usage record is reported, not a 500.
            raise exc.DBAPIError.instance(
                compiled.sql, args, error, dialect.loaded_dbapi.Error, dialect=dialect
            ) from error
        finally:
            cursor.close()
        if not compiled.results:
            return [tuple(row) for row in fetched]
        out = []
        for row in fetched:
            converted = list(row)
            for i, process in compiled.results:
                converted[i] = process(converted[i])
            out.append(tuple(converted))
        return out

    def first(self, unit: Unit, params: dict[str, Any]) -> tuple[Any, ...] | None:
        found = self.rows(unit, params)
        return found[0] if found else None

    def one(self, unit: Unit, params: dict[str, Any]) -> tuple[Any, ...]:
        found = self.rows(unit, params)
        if len(found) != 1:
            raise LookupError(f"expected one row, got {len(found)}")
        return found[0]

    def _compile(self, dialect: Dialect, keys: tuple[str, ...]) -> _Compiled:
        compiled = cast(
            SQLCompiler,
            self.statement.compile(dialect=dialect, column_keys=list(keys) if keys else None),
        )
        # Columns whose default SQLAlchemy would compute at execution: not done here.
        missing = [c.key for c in getattr(compiled, "insert_prefetch", ()) if c.key not in keys]
        if missing:
            raise ValueError(f"values for every column written are needed; missing {missing}")
        named = {name: bind for bind, name in compiled.bind_names.items()}
        binds = []
        fixed = {
            name: bind.effective_value
            for name, bind in named.items()
            if not bind.required and name not in keys
        }
        for name, bind in named.items():
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                binds.append((name, process))
        found: Iterable[Any] | None = getattr(self.statement, "selected_columns", None)
        if found is None:
            found = getattr(self.statement, "exported_columns", ())
        columns: Sequence[Any] = list(found or ())
        results = []
        for i, column in enumerate(columns):
            process = column.type.dialect_impl(dialect).result_processor(dialect, None)
            if process is not None:
                results.append((i, process))
        order = tuple(compiled.positiontup or ()) if compiled.positional else None
        return _Compiled(compiled.string, order, tuple(binds), fixed, tuple(results))
