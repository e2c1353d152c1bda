"""Writing events to the outbox, always in the transaction of their cause.

An event that reports something which happens once (an invoice falling overdue, a suspension,
a threshold crossed) carries a ``dedupe_key`` naming that happening. The outbox's unique index
on the key lets one such event in: a second emit with the key, from an overlapping billing run
or any other transaction, inserts nothing and says so, on SQLite and PostgreSQL alike.

``emit_many`` writes a batch's events (a bill run's ``invoice_issued``, one per invoice) in one
statement each for the keyed and the unkeyed ones, by the same rules as ``emit``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from kassa.core.clock import utcnow
from kassa.db.engine import Unit, connection_of
from kassa.db.fast.bulk import insert_many
from kassa.db.models import OutboxEvent
from kassa.events.types import EVENTS


@dataclass(frozen=True)
class Event:
    event_type: str
    customer_id: int | None
    payload: dict[str, Any]
    dedupe_key: str | None = None


def _check_type(event_type: str) -> None:
    if event_type not in EVENTS:
        raise ValueError(f"unknown event type {event_type!r}")


def _insert_once(unit: Unit) -> Insert:
    """An INSERT that skips a row whose ``dedupe_key`` is taken, returning the ids written."""
    dialect = connection_of(unit).dialect.name
    upsert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        upsert(OutboxEvent)
        .on_conflict_do_nothing(index_elements=[OutboxEvent.dedupe_key])
        .returning(OutboxEvent.id)
    )


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
    _check_type(event_type)
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
    statement = _insert_once(session).values(values)
    # The row comes back only when it was inserted; an ORM session reports no rowcount here.
    return session.execute(statement).first() is not None


def emit_many(
    session: Session, events: Sequence[Event], *, created_at: datetime | None = None
) -> int:
    """Write the events (at ``created_at``, by default now), those without a ``dedupe_key``
    first, each kind in its order; returns how many were written: an event whose key is
    already there, or earlier in ``events``, is not."""
    for event in events:
        _check_type(event.event_type)
    now = created_at or utcnow()
    rows = [
        {
            "customer_id": e.customer_id,
            "event_type": e.event_type,
            "payload": e.payload,
            "created_at": now,
            "delivered_at": None,
            "dedupe_key": e.dedupe_key,
        }
        for e in events
    ]
    unkeyed = [row for row in rows if row["dedupe_key"] is None]
    # A batch's events (a bill run writes one per invoice) go by COPY on PostgreSQL.
    insert_many(session, OutboxEvent, unkeyed)
    keyed = [row for row in rows if row["dedupe_key"] is not None]
    if not keyed:
        return len(unkeyed)
    # One multi-row statement; a key twice in the batch counts as already there.
    first: dict[str, dict[str, Any]] = {}
    for row in keyed:
        first.setdefault(str(row["dedupe_key"]), row)
    written = session.execute(_insert_once(session).values(list(first.values()))).all()
    return len(unkeyed) + len(written)
