from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kassa.core.vocabulary import DeliveryChannel, DeliveryStatus
from kassa.db.base import Base, BigIntId, UTCDateTime, one_of


class NotificationDelivery(Base):
    """One event to one receiver (an email address or a webhook endpoint), with its attempts."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        CheckConstraint(one_of("channel", DeliveryChannel), name="channel"),
        CheckConstraint(one_of("status", DeliveryStatus), name="status"),
        UniqueConstraint(
            "outbox_event_id", "channel", "target", name="uq_notification_deliveries_target"
        ),
        Index("ix_notification_deliveries_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    outbox_event_id: Mapped[int] = mapped_column(BigInteger, index=True)
    channel: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(2000))
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    response_status: Mapped[int | None] = mapped_column(Integer)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
