from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from kassa.db.base import Base, BigIntId, UTCDateTime


class Subscription(Base):
    """A customer's (or one of its accounts') subscription to a plan, over [starts_at, ends_at).

    ``charged_through`` is where the posted periodic fees end: the next one starts there.
    ``next_charge_at`` is when a fee falls due next (the start of an in-advance period, the
    activation, the end with its cancellation fee), null when none will without a close;
    fee posting finds its work by it. Times are whole seconds: fees are prorated to the second.
    """

    __tablename__ = "subscriptions"
    __table_args__ = (
        CheckConstraint("ends_at IS NULL OR ends_at >= starts_at", name="ends_after_start"),
        Index("ix_subscriptions_customer_id_id", "customer_id", "id"),
        Index("ix_subscriptions_next_charge_at", "next_charge_at"),
        Index("ix_subscriptions_plan_id", "plan_id"),
        Index("ix_subscriptions_account_id", "account_id"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    plan_id: Mapped[int] = mapped_column(ForeignKey("subscription_plans.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Where the minimum periods end: ending before it posts the plan's cancellation fee.
    commitment_ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    charged_through: Mapped[datetime] = mapped_column(UTCDateTime)
    next_charge_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    activation_charged: Mapped[bool] = mapped_column(default=False)
    cancellation_charged: Mapped[bool] = mapped_column(default=False)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
