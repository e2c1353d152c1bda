from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column

from kassa.db.base import Base, UTCDateTime


class CreditNoteDocument(Base):
    """The credit note's PDF, rendered once and kept, as an invoice's is."""

    __tablename__ = "credit_note_documents"

    credit_note_id: Mapped[int] = mapped_column(
        ForeignKey("credit_notes.id", ondelete="CASCADE"), primary_key=True
    )
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
