from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from kassa.db.base import Base, BigIntId


class CreditNoteLine(Base):
    __tablename__ = "credit_note_lines"
    __table_args__ = (
        CheckConstraint("amount_micros > 0", name="amount"),
        Index("ix_credit_note_lines_credit_note_id", "credit_note_id", "position"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    credit_note_id: Mapped[int] = mapped_column(ForeignKey("credit_notes.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)
    amount_micros: Mapped[int] = mapped_column(BigInteger)
