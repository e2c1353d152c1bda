from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kassa.db.base import Base, BigIntId, UTCDateTime


class CreditNote(Base):
    """A correction of an issued invoice: it credits the customer ``total_micros`` (a
    ``manual_credit`` entry) and never more, with earlier notes, than the invoice's total.
    ``taxes`` are the share of the invoice's taxes the total contains:
    ``[{"name", "rate", "amount_micros"}]``."""

    __tablename__ = "credit_notes"
    __table_args__ = (
        CheckConstraint("total_micros > 0", name="total"),
        Index("ix_credit_notes_invoice_id", "invoice_id"),
        Index("ix_credit_notes_customer_id_id", "customer_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    currency: Mapped[str] = mapped_column(String(3))
    issue_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    total_micros: Mapped[int] = mapped_column(BigInteger)
    taxes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    ledger_entry_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
