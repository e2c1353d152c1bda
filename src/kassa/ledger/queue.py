"""Calls for one busy customer wait their turn in the order they came.

On PostgreSQL, transactions that want a row another transaction has updated are not served
first come, first served: every update leaves a new version of the row, a newcomer locks the
newest version at once, while those already waiting wake up only to chase the chain of versions.
Under load on one customer a few calls wait many times longer than the rest. So the real-time
path first takes a transaction-scoped advisory lock on the customer, whose waiters PostgreSQL's
lock manager serves in order; the row lock after it is then free among them. The lock is taken
inside a statement the call sends anyway (it is one more column), so it costs no round trip.

Every transaction that takes it takes it before any row lock and on one customer only, so it
cannot close a cycle with the row locks. SQLite admits one writer at a time: there it is NULL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, cast, func, literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import NullType

# The first key of PostgreSQL's two-key advisory locks: Kassa's customer queues.
CUSTOMER_QUEUE_KEY = 0x4B41
# The second key is a 32-bit integer; ids past it share a queue, which only makes them wait
# for each other, never for ever.
CUSTOMER_QUEUE_RANGE = 2**31


class customer_queue(FunctionElement[Any]):
    """``customer_queue(customers.id)``: a column that, on PostgreSQL, waits for the customer's
    turn."""

    type = NullType()
    name = "customer_queue"
    inherit_cache = True

    def __init__(self, customer_id: ColumnElement[Any] | QueryableAttribute[Any]) -> None:
        super().__init__(customer_id)


@compiles(customer_queue, "postgresql")
def _on_postgresql(element: customer_queue, compiler: SQLCompiler, **kw: Any) -> str:
    (customer_id,) = element.clauses
    # Built as an expression so that the compiler escapes '%' for the driver's paramstyle.
    second_key = cast(customer_id % literal_column(str(CUSTOMER_QUEUE_RANGE)), Integer)
    lock = func.pg_advisory_xact_lock(literal_column(str(CUSTOMER_QUEUE_KEY)), second_key)
    return compiler.process(lock, **kw)


@compiles(customer_queue)
def _elsewhere(element: customer_queue, compiler: SQLCompiler, **kw: Any) -> str:
    return "NULL"
