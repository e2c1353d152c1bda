"""Writing events to the outbox, always in the transaction of their cause.

An event that reports something which happens once (an invoice falling overdue, a suspension,
a threshold crossed) carries a ``dedupe_key`` naming that happening. The outbox's unique index
on the key lets one such event in: a second emit with the key, from an overlapping billing run
or any other transaction, inserts nothing and says so, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.dialects import postgresql, sqlite

from kassa.core.clock import utcnow
from kassa.db.engine import Unit, connection_of
from kassa.db.models import OutboxEvent
from kassa.notifications.events import EVENTS


def emit(
    session: Unit,
    event_type: str,
    customer_id: int | None,
    payload: dict[str, Any],
    *,
    dedupe_key: str | None = None,
) -> bool:
    """Write the event; False when an event with ``dedupe_key`` is already there (then nothing
    is written). On PostgreSQL an emit with the key of an event another transaction wrote and
    has not committed yet waits for that transaction, so the answer is always final."""
    if event_type not in EVENTS:
        raise ValueError(f"unknown event type {event_type!r}")
    values = {
        "customer_id": customer_id,
        "event_type": event_type,
        "payload": payload,
        "created_at": utcnow(),
        "delivered_at": None,
        "dedupe_key": dedupe_key,
    }
    if dedupe_key is None:
        session.execute(insert(OutboxEvent).values(values))
        return True
    dialect = connection_of(session).dialect.name
    upsert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        upsert(OutboxEvent)
        .values(values)
        .on_conflict_do_nothing(index_elements=[OutboxEvent.dedupe_key])
        .returning(OutboxEvent.id)
    )
    # The row comes back only when it was inserted; an ORM session reports no rowcount here.
    return session.execute(statement).first() is not None
