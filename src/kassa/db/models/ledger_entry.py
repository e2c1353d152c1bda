from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from kassa.core.vocabulary import EntryType
from kassa.db.base import Base, BigIntId, UTCDateTime, one_of


class LedgerEntry(Base):
    """One append-only movement of a customer's balance. ``amount_micros`` is signed as it acts
    on the balance (+ owes more, - owes less), so ``sum(amount_micros) == balance_micros``."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        CheckConstraint(one_of("type", EntryType), name="type"),
        Index("ix_ledger_entries_customer_id_id", "customer_id", "id"),
        Index("ix_ledger_entries_unbilled", "customer_id", "billing_period_id", "created_at"),
        # Usage records imported twice are recognised by the sender's id.
        UniqueConstraint("customer_id", "external_id", name="uq_ledger_entries_external_id"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    type: Mapped[str] = mapped_column(String(24))
    amount_micros: Mapped[int] = mapped_column(BigInteger)
    balance_after_micros: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    service: Mapped[str | None] = mapped_column(String(64))
    visible_comment: Mapped[str] = mapped_column(Text, default="")
    internal_comment: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    authorization_id: Mapped[int | None] = mapped_column(BigInteger)
    # The closed period that billed this entry; null while it waits for its period's close.
    billing_period_id: Mapped[int | None] = mapped_column(BigInteger)
    external_id: Mapped[str | None] = mapped_column(String(128))
    # When the usage happened, for imported records; entries otherwise happen when created.
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Rated usage only: the account, the units and what they count, the destination, and the
    # rate's prefix and description (what an invoice groups voice usage by).
    account_id: Mapped[int | None] = mapped_column(BigInteger)
    units: Mapped[int | None] = mapped_column(BigInteger)
    unit: Mapped[str | None] = mapped_column(String(16))
    destination: Mapped[str | None] = mapped_column(String(64))
    rate_prefix: Mapped[str | None] = mapped_column(String(32))
    rate_description: Mapped[str | None] = mapped_column(String(200))
