from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from kassa.db.base import Base, BigIntId, UTCDateTime


class OutboxEvent(Base):
    """An event written in the same transaction as its cause, delivered later.

    ``dedupe_key`` names what an event reports when that may be reported only once (an invoice
    falling overdue, a suspension, a threshold crossed by one ledger entry): its unique index
    stores one event per key however many transactions try. Events without one leave it NULL."""

    __tablename__ = "outbox_events"
    __table_args__ = (
        Index("ix_outbox_events_customer_id", "customer_id"),
        Index("ix_outbox_events_undelivered", "delivered_at", "id"),
        Index("ix_outbox_events_dedupe_key", "dedupe_key", unique=True),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(BigInteger)
    event_type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dedupe_key: Mapped[str | None] = mapped_column(String(200))
