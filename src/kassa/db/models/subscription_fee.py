from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kassa.core.vocabulary import FeeKind
from kassa.db.base import Base, BigIntId, UTCDateTime, one_of


class SubscriptionFee(Base):
    """One fee a subscription posted, and the ledger entry that posted it.

    The unique key is what makes a fee exactly-once: however billing runs, the scheduler and
    a cancellation overlap or die, a subscription's fee of a kind for the period starting at
    ``period_start`` is inserted once, and the entry beside it in the same transaction."""

    __tablename__ = "subscription_fees"
    __table_args__ = (
        CheckConstraint(one_of("kind", FeeKind), name="kind"),
        CheckConstraint("amount_micros >= 0", name="amount"),
        CheckConstraint("period_end >= period_start", name="period"),
        UniqueConstraint(
            "subscription_id", "kind", "period_start", name="uq_subscription_fees_period"
        ),
        Index("ix_subscription_fees_customer_id_id", "customer_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    kind: Mapped[str] = mapped_column(String(16))
    # What the fee covers (a one-time fee: the instant it is for, twice).
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime] = mapped_column(UTCDateTime)
    # What was posted, and for a periodic fee the whole period's fee it is a share of.
    amount_micros: Mapped[int] = mapped_column(BigInteger)
    full_fee_micros: Mapped[int] = mapped_column(BigInteger)
    ledger_entry_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
