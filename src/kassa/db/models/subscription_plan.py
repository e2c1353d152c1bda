from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kassa.core.vocabulary import FeeCharging
from kassa.db.base import Base, BigIntId, UTCDateTime, one_of


class SubscriptionPlan(Base):
    """A recurring fee and its one-time companions, in one currency. ``periodic_fee_micros`` is
    the fee now; the fee of a past period is in ``subscription_plan_fees``."""

    __tablename__ = "subscription_plans"
    __table_args__ = (
        CheckConstraint(one_of("charged", FeeCharging), name="charged"),
        CheckConstraint("periodic_fee_micros >= 0", name="periodic_fee"),
        CheckConstraint("activation_fee_micros >= 0", name="activation_fee"),
        CheckConstraint("cancellation_fee_micros >= 0", name="cancellation_fee"),
        CheckConstraint("minimum_periods >= 0", name="minimum_periods"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # kassa.core.names.name_key of the name, unique: "Über" and "über" are one name.
    name_key: Mapped[str] = mapped_column(String(200), unique=True, index=True)
    currency: Mapped[str] = mapped_column(ForeignKey("currencies.code"))
    periodic_fee_micros: Mapped[int] = mapped_column(BigInteger)
    activation_fee_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    charged: Mapped[str] = mapped_column(String(16), default=FeeCharging.IN_ADVANCE)
    prorate: Mapped[bool] = mapped_column(Boolean, default=True)
    minimum_periods: Mapped[int] = mapped_column(Integer, default=0)
    cancellation_fee_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
