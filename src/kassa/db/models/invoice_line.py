from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kassa.db.base import Base, BigIntId


class InvoiceLine(Base):
    """One line of an invoice: the period's entries of one service and entry type, summed."""

    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(200))
    service: Mapped[str | None] = mapped_column(String(64))
    entry_type: Mapped[str] = mapped_column(String(24))
    quantity: Mapped[int] = mapped_column(Integer)
    amount_micros: Mapped[int] = mapped_column(BigInteger)
