"""A document's PDF, made on first request and kept: every caller hands out the same bytes.

Two first requests may both render; the primary key lets only one insert, and the other
returns what the first kept."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session

from kassa.core.clock import utcnow
from kassa.db.models import CreditNoteDocument, InvoiceDocument


@dataclass(frozen=True)
class KeptPdfs:
    pdf: InstrumentedAttribute[bytes]
    owner: InstrumentedAttribute[int]
    what: str

    def kept(self, session: Session, owner_id: int) -> bytes | None:
        pdf = session.scalar(select(self.pdf).where(self.owner == owner_id))
        return bytes(pdf) if pdf is not None else None

    def keep(self, session: Session, owner_id: int, pdf: bytes) -> bytes:
        """Keep ``pdf`` unless one is kept already; returns the kept one."""
        try:
            with session.begin_nested():
                session.execute(
                    insert(self.owner.class_).values(
                        {self.owner.key: owner_id, "pdf": pdf, "created_at": utcnow()}
                    )
                )
        except IntegrityError:
            pass
        kept = self.kept(session, owner_id)
        if kept is None:
            raise RuntimeError(f"the document of {self.what} {owner_id} was neither kept nor found")
        return kept


INVOICE_PDFS = KeptPdfs(InvoiceDocument.pdf, InvoiceDocument.invoice_id, "invoice")
CREDIT_NOTE_PDFS = KeptPdfs(
    CreditNoteDocument.pdf, CreditNoteDocument.credit_note_id, "credit note"
)


def pdf_filename(number: str, owner_id: int) -> str:
    """A file name safe in a Content-Disposition header, from a document's number."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", number).strip("-.") or str(owner_id)
    return f"{cleaned}.pdf"
