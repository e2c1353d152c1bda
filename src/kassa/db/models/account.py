from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kassa.core.vocabulary import AccountStatus
from kassa.db.base import Base, BigIntId, UTCDateTime, one_of


class Account(Base):
    """What the network knows (a phone number, a login, a device): one customer's, rated by
    its product, drawing on the customer's funds."""

    __tablename__ = "accounts"
    __table_args__ = (
        CheckConstraint(one_of("status", AccountStatus), name="status"),
        CheckConstraint("max_sessions IS NULL OR max_sessions >= 1", name="max_sessions"),
        Index("ix_accounts_customer_id_id", "customer_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    # Unique across the system: the network names an account by it alone.
    identifier: Mapped[str] = mapped_column(String(128), unique=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=AccountStatus.ACTIVE)
    max_sessions: Mapped[int | None] = mapped_column(Integer)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
