from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kassa.db.base import Base, BigIntId, UTCDateTime


class BillingPeriod(Base):
    """A closed billing period. It keeps the kind and the zone it was cut in, since the
    customer may change both later (a change applies from the next boundary)."""

    __tablename__ = "billing_periods"
    __table_args__ = (
        UniqueConstraint("customer_id", "start_at", name="uq_billing_periods_customer_start"),
        Index("ix_billing_periods_billing_run_id", "billing_run_id"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    billing_period: Mapped[str] = mapped_column(String(24))
    billing_timezone: Mapped[str] = mapped_column(String(64))
    billing_run_id: Mapped[int | None] = mapped_column(BigInteger)
    invoice_id: Mapped[int | None] = mapped_column(BigInteger)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime)
