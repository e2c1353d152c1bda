from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    SmallInteger,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from kassa.core.vocabulary import (
    STORED_CUSTOMER_STATUSES,
    BalanceControl,
    CustomerStatus,
)
from kassa.db.base import Base, BigIntId, UTCDateTime, one_of


class Customer(Base):
    """A customer and its cached balance. ``balance_micros`` is what the customer owes (negative
    means funds); it only changes together with an appended ledger entry."""

    __tablename__ = "customers"
    __table_args__ = (
        CheckConstraint(one_of("balance_control", BalanceControl), name="balance_control"),
        CheckConstraint(one_of("status", STORED_CUSTOMER_STATUSES), name="status"),
        CheckConstraint(
            f"balance_control = '{BalanceControl.POSTPAID.value}' OR credit_limit_micros = 0",
            name="prepaid_limit",
        ),
        CheckConstraint(
            "credit_limit_micros IS NULL OR credit_limit_micros >= 0", name="credit_limit"
        ),
        CheckConstraint("reserved_micros >= 0", name="reserved"),
        Index("ix_customers_customer_class_id", "customer_class_id"),
        Index("ix_customers_status", "status"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # kassa.core.names.name_key of the name: what makes two names "the same".
    name_key: Mapped[str] = mapped_column(String(200), unique=True)
    balance_control: Mapped[str] = mapped_column(String(8))
    currency: Mapped[str] = mapped_column(ForeignKey("currencies.code"))
    credit_limit_micros: Mapped[int | None] = mapped_column(BigInteger)
    balance_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    reserved_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    business_model_id: Mapped[int] = mapped_column(ForeignKey("business_models.id"))
    customer_class_id: Mapped[int] = mapped_column(ForeignKey("customer_classes.id"))
    billing_period: Mapped[str] = mapped_column(String(24))
    billing_timezone: Mapped[str] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(254))
    custom_data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=CustomerStatus.ACTIVE)
    # Why a suspended customer is suspended (a kassa.core.vocabulary.SuspensionReason); null
    # when it is not. No CHECK: adding one would copy the table on SQLite.
    suspended_for: Mapped[str | None] = mapped_column(String(24))
    # How many warning thresholds (and, last, the limit itself) the balance has crossed: an
    # event is raised once per upward crossing and re-armed when the balance falls back.
    alert_level: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    # The open billing period, cut when it began: a change of period or zone applies from
    # its end. The anchor is the local creation date, for anniversary and 30-day periods.
    billing_anchor_date: Mapped[date | None] = mapped_column(Date)
    period_start_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    period_end_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
