"""Writing events to the outbox, always in the transaction of their cause."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert

from kassa.core.clock import utcnow
from kassa.db.engine import Unit
from kassa.db.models import OutboxEvent
from kassa.notifications.events import EVENTS


def emit(session: Unit, event_type: str, customer_id: int | None, payload: dict[str, Any]) -> None:
    if event_type not in EVENTS:
        raise ValueError(f"unknown event type {event_type!r}")
    session.execute(
        insert(OutboxEvent).values(
            customer_id=customer_id,
            event_type=event_type,
            payload=payload,
            created_at=utcnow(),
            delivered_at=None,
        )
    )
