from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kassa.db.base import Base, BigIntId, UTCDateTime


class SubscriptionPlanFee(Base):
    """A plan's periodic fee from ``effective_from`` on. A fee period pays the fee in effect
    when it started, so a change reaches running subscriptions from their next period."""

    __tablename__ = "subscription_plan_fees"
    __table_args__ = (
        UniqueConstraint("plan_id", "effective_from", name="uq_subscription_plan_fees_plan_id"),
        CheckConstraint("periodic_fee_micros >= 0", name="periodic_fee"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("subscription_plans.id", ondelete="CASCADE"))
    periodic_fee_micros: Mapped[int] = mapped_column(BigInteger)
    effective_from: Mapped[datetime] = mapped_column(UTCDateTime)
