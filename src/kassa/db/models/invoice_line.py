from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kassa.db.base import Base


class InvoiceLine(Base):
    """One line of an invoice: the period's entries of one service and entry type, summed."""

    __tablename__ = "invoice_lines"
    # Keyed by invoice and position: one B-tree per line instead of two, and on SQLite stored
    # clustered by that key. A bill run inserts lines by the hundred thousand.
    __table_args__ = {"sqlite_with_rowid": False}

    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    description: Mapped[str] = mapped_column(String(200))
    service: Mapped[str | None] = mapped_column(String(64))
    entry_type: Mapped[str] = mapped_column(String(24))
    quantity: Mapped[int] = mapped_column(Integer)
    amount_micros: Mapped[int] = mapped_column(BigInteger)
    # Rated usage: the units the line's entries add up to, what they count, and the rate
    # prefix of the destination group the line sums (voice).
    units: Mapped[int | None] = mapped_column(BigInteger)
    unit: Mapped[str | None] = mapped_column(String(16))
    destination_prefix: Mapped[str | None] = mapped_column(String(32))
