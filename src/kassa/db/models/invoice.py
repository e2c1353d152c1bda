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
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from kassa.core.vocabulary import InvoiceStatus
from kassa.db.base import Base, BigIntId, UTCDateTime, one_of


class Invoice(Base):
    """An issued invoice. Amounts are integer micros already rounded to the currency; taxes
    are ``[{"name", "rate", "amount_micros"}]``."""

    __tablename__ = "invoices"
    __table_args__ = (
        CheckConstraint(one_of("status", InvoiceStatus), name="status"),
        Index("ix_invoices_customer_id_id", "customer_id", "id"),
        Index("ix_invoices_status_due_date", "status", "due_date"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    billing_period_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime] = mapped_column(UTCDateTime)
    billing_timezone: Mapped[str] = mapped_column(String(64))
    issue_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    template: Mapped[str] = mapped_column(String(100))
    tax_inclusive: Mapped[bool] = mapped_column(default=False)
    subtotal_micros: Mapped[int] = mapped_column(BigInteger)
    tax_micros: Mapped[int] = mapped_column(BigInteger)
    total_micros: Mapped[int] = mapped_column(BigInteger)
    previous_balance_micros: Mapped[int] = mapped_column(BigInteger)
    payments_micros: Mapped[int] = mapped_column(BigInteger)
    amount_due_micros: Mapped[int] = mapped_column(BigInteger)
    taxes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # The customer's name, address data and class when the invoice was cut.
    customer_snapshot: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=InvoiceStatus.ISSUED)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
