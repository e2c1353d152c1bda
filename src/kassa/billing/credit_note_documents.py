"""Credit note documents: HTML from the built-in ``credit_note.html`` (or the operator's own
``credit_note.html`` in ``KASSA_INVOICE_TEMPLATES_DIR``), which extends the standard invoice
template, and a PDF made from that HTML once and kept in ``credit_note_documents``.

It renders through the invoice documents' machinery (:mod:`kassa.billing.documents`): the
same sandbox, filters, operator details and render budget. The context:

``credit_note``
    ``id``, ``number``, ``issue_date``, ``currency``, ``reason``, ``total`` (Decimal, taxes
    included), ``credited_before`` (what the invoice's earlier notes credited) and
    ``invoice_total_after`` (the invoice's total less this and every earlier note).
``lines``
    Each with ``position``, ``description`` and ``amount`` (Decimal).
``taxes``
    The part of the total that is each of the invoice's taxes: ``name``, ``rate``, ``amount``.
``invoice``, ``customer``, ``operator``
    The credited invoice, as its own template sees them.
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kassa.billing.credit_notes import credit_note_lines, get_credit_note
from kassa.billing.documents import (
    BUILT_IN_DIR,
    BUILT_IN_PREFIX,
    Operator,
    html_to_pdf,
    invoice_context,
    render_budget,
    render_document,
)
from kassa.billing.kept_pdfs import CREDIT_NOTE_PDFS, pdf_filename
from kassa.billing.queries import get_invoice
from kassa.billing.template_budget import RenderBudget
from kassa.core.money import from_micros, round_to_currency
from kassa.core.settings import Settings
from kassa.currencies.service import currency_exponent
from kassa.db.engine import Database
from kassa.db.models import CreditNote

TEMPLATE = "credit_note.html"


def _template_name(templates_dir: Path | None) -> str:
    if templates_dir is not None and (templates_dir / TEMPLATE).is_file():
        return TEMPLATE
    return f"{BUILT_IN_PREFIX}/{TEMPLATE}"


def credit_note_context(
    session: Session, note: CreditNote, operator: Operator | None = None
) -> dict[str, Any]:
    """What the template sees; the module docstring describes every name."""
    exponent = currency_exponent(session, note.currency)

    def amount(micros: int) -> Decimal:
        return round_to_currency(from_micros(micros), exponent)

    invoice = get_invoice(session, note.invoice_id)
    context = invoice_context(session, invoice, operator)
    before = int(
        session.scalar(
            select(func.coalesce(func.sum(CreditNote.total_micros), 0)).where(
                CreditNote.invoice_id == note.invoice_id, CreditNote.id < note.id
            )
        )
        or 0
    )
    context.update(
        credit_note={
            "id": note.id,
            "number": note.number,
            "issue_date": note.issue_date,
            "currency": note.currency,
            "reason": note.reason,
            "total": amount(note.total_micros),
            "credited_before": amount(before),
            "invoice_total_after": amount(invoice.total_micros - before - note.total_micros),
        },
        lines=[
            {
                "position": line.position,
                "description": line.description,
                "amount": amount(line.amount_micros),
            }
            for line in credit_note_lines(session, [note.id])[note.id]
        ],
        taxes=[
            {"name": t["name"], "rate": t["rate"], "amount": amount(int(t["amount_micros"]))}
            for t in note.taxes or []
        ],
    )
    return context


def render_credit_note_html(
    session: Session,
    note: CreditNote,
    templates_dir: Path | None,
    *,
    operator: Operator | None = None,
    budget: RenderBudget | None = None,
) -> str:
    context = credit_note_context(session, note, operator)
    return render_document(
        templates_dir, _template_name(templates_dir), context, budget, "credit note template"
    )


def base_url(templates_dir: Path | None) -> str:
    folder = BUILT_IN_DIR if _template_name(templates_dir) != TEMPLATE else templates_dir
    assert folder is not None
    return str(folder.resolve()) + os.sep


def credit_note_pdf(
    session: Session,
    credit_note_id: int,
    templates_dir: Path | None = None,
    *,
    operator: Operator | None = None,
) -> bytes:
    """The note's PDF, made on the first call and kept; in a read-write transaction. Raises
    ``NotFound`` for an unknown note (what an email attachment maker must do)."""
    kept = CREDIT_NOTE_PDFS.kept(session, credit_note_id)
    if kept is not None:
        return kept
    note = get_credit_note(session, credit_note_id)
    settings = Settings.from_env()
    if templates_dir is None:
        templates_dir = settings.invoice_templates_dir
    html = render_credit_note_html(
        session, note, templates_dir, operator=operator, budget=render_budget(settings)
    )
    return CREDIT_NOTE_PDFS.keep(
        session, credit_note_id, html_to_pdf(html, base_url(templates_dir))
    )


def document_pdf(
    db: Database,
    credit_note_id: int,
    templates_dir: Path | None,
    budget: RenderBudget | None = None,
) -> tuple[str, bytes]:
    """The note's file name and kept PDF, rendered outside any write transaction."""
    with db.reading() as session:
        note = get_credit_note(session, credit_note_id)
        filename = pdf_filename(note.number, note.id)
        pdf = CREDIT_NOTE_PDFS.kept(session, credit_note_id)
        if pdf is not None:
            return filename, pdf
        html = render_credit_note_html(session, note, templates_dir, budget=budget)
    made = html_to_pdf(html, base_url(templates_dir))
    with db.transaction() as session:
        return filename, CREDIT_NOTE_PDFS.keep(session, credit_note_id, made)
