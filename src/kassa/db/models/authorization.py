from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from kassa.core.vocabulary import AuthorizationStatus
from kassa.db.base import Base, BigIntId, UTCDateTime, one_of


class Authorization(Base):
    """A reservation of funds for usage in progress (a call, a data session).

    ``held_micros`` is what this reservation currently adds to the customer's ``reserved_micros``;
    it drops to zero when the reservation is committed, released or swept after expiry, so the
    customer's reserved total always equals the sum of ``held_micros`` of its reservations."""

    __tablename__ = "authorizations"
    __table_args__ = (
        CheckConstraint(one_of("status", AuthorizationStatus), name="status"),
        CheckConstraint("held_micros >= 0", name="held"),
        # A rated grant that only free units cover holds nothing.
        CheckConstraint("amount_micros >= 0", name="amount"),
        Index("ix_authorizations_customer_id_status", "customer_id", "status"),
        Index("ix_authorizations_status_expires_at", "status", "expires_at"),
        # An account's open sessions, counted against its max_sessions.
        Index("ix_authorizations_account_id_status", "account_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    service: Mapped[str] = mapped_column(String(64))
    session_id: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    # Everything granted so far (the first reservation plus extensions).
    amount_micros: Mapped[int] = mapped_column(BigInteger)
    held_micros: Mapped[int] = mapped_column(BigInteger)
    committed_micros: Mapped[int | None] = mapped_column(BigInteger)
    entry_id: Mapped[int | None] = mapped_column(BigInteger)
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Rated authorizations only (null on money ones): the account and destination asked for,
    # the units granted (the total so far) and committed, and the rate as it was when the
    # session started, so that a later rate change leaves the session's price as it was.
    account_id: Mapped[int | None] = mapped_column(BigInteger)
    destination: Mapped[str | None] = mapped_column(String(64))
    unit: Mapped[str | None] = mapped_column(String(16))
    granted_units: Mapped[int | None] = mapped_column(BigInteger)
    committed_units: Mapped[int | None] = mapped_column(BigInteger)
    tariff_id: Mapped[int | None] = mapped_column(BigInteger)
    rate_prefix: Mapped[str | None] = mapped_column(String(32))
    rate_description: Mapped[str | None] = mapped_column(String(200))
    price_micros: Mapped[int | None] = mapped_column(BigInteger)
    per: Mapped[int | None] = mapped_column(BigInteger)
    first_interval: Mapped[int | None] = mapped_column(BigInteger)
    next_interval: Mapped[int | None] = mapped_column(BigInteger)
    connect_fee_micros: Mapped[int | None] = mapped_column(BigInteger)
    free_units: Mapped[int | None] = mapped_column(BigInteger)
