from __future__ import annotations

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from kassa.db.base import Base


class InvoiceCounter(Base):
    """The last invoice sequence number per series (a year, or one series for all time).

    Numbers are taken by updating this row in the transaction that issues the invoices, so a
    rolled-back run gives its numbers back and the sequence has no gaps."""

    __tablename__ = "invoice_counters"

    series: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_value: Mapped[int] = mapped_column(BigInteger, default=0)
