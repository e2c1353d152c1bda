"""Credit notes: corrections of an issued invoice that credit the customer.

A credit note names the invoice it corrects and lines of what is credited (descriptions and
amounts in the invoice's currency, taxes included). Issuing one, in the caller's transaction:

1. locks the customer's row (``kassa.ledger.locks``), so notes of one invoice are issued one
   after the other and each sees what the ones before it credited;
2. refuses, before anything changes, a note whose total would take the notes of the invoice
   past the invoice's total;
3. numbers it from its own gapless series (``KASSA_CREDIT_NOTE_NUMBER_FORMAT``, by default
   ``CN-{year}-{seq:06}``, taken like invoice numbers with ``numbering.take_numbers``);
4. posts one ``manual_credit`` entry of the total to the ledger, and lets that credit settle
   the customer's open invoices as a payment does;
5. writes the note, its audit record and a ``credit_note_issued`` event.

Any status of an issued invoice (issued, overdue, paid) may be credited: a paid invoice's
credit stays on the customer's balance.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kassa.auth import audit
from kassa.auth.actor import Actor
from kassa.billing.collection import settle_invoices
from kassa.billing.credit_note_schemas import (
    CreditNoteIn,
    CreditNoteLineOut,
    CreditNoteOut,
)
from kassa.billing.numbering import check_format, format_number, series_of, take_numbers
from kassa.billing.queries import get_invoice
from kassa.billing.schemas import InvoiceTaxOut
from kassa.core.clock import utcnow
from kassa.core.errors import Conflict, FieldErrors, NotFound
from kassa.core.money import MICRO_EXPONENT, AmountError, check_amount, format_micros, to_micros
from kassa.core.vocabulary import EntryType
from kassa.currencies.service import currency_exponent
from kassa.customers.queries import get_customer
from kassa.db.engine import Database
from kassa.db.models import CreditNote, CreditNoteLine, Invoice
from kassa.db.pagination import paginate
from kassa.events.outbox import emit
from kassa.ledger.entries import append_entry
from kassa.ledger.locks import lock_customer

DEFAULT_FORMAT = "CN-{year}-{seq:06}"
# Credit notes count in the invoices' counter table under series of their own.
SERIES_PREFIX = "credit_note:"


def open_unit(db: Database) -> AbstractContextManager[Session]:
    """The transaction issue_credit_note runs in: an ORM session (``Database.transaction``)."""
    return db.transaction()


def series_key(number_format: str, issue_date: date) -> str:
    return SERIES_PREFIX + series_of(number_format, issue_date)


def credited_micros(session: Session, invoice_id: int) -> int:
    """What the invoice's credit notes credit so far."""
    return int(
        session.scalar(
            select(func.coalesce(func.sum(CreditNote.total_micros), 0)).where(
                CreditNote.invoice_id == invoice_id
            )
        )
        or 0
    )


def creditable_micros(session: Session, invoice: Invoice) -> int:
    """What credit notes may still credit of the invoice: its total less earlier notes."""
    return max(invoice.total_micros - credited_micros(session, invoice.id), 0)


def tax_shares(
    taxes: list[dict[str, Any]], invoice_total: int, before: int, total: int, exponent: int
) -> list[dict[str, Any]]:
    """The part of a note's ``total`` that is each of the invoice's taxes, in micros.

    The notes of an invoice credit its taxes in proportion to the total they credit, counted
    cumulatively: after notes crediting ``c`` of the invoice's total ``T``, a tax of amount
    ``t`` has been credited ``round(t * c / T)`` (half up, to the currency's decimals), and a
    note takes the difference that its own total makes to that figure. Everything is integer
    arithmetic on micros, so nothing is lost to rounding: the shares of all an invoice's notes
    add up to the rounded share of what they credit together, and notes that credit the whole
    invoice credit exactly its taxes. A tax share is never more than the note's total.
    """
    if invoice_total <= 0 or not taxes:
        return []
    step = 10 ** max(MICRO_EXPONENT - exponent, 0)

    def share(amount: int, credited: int) -> int:
        # round half up of amount * credited / invoice_total, in whole steps of the currency
        divisor = invoice_total * step
        return (2 * amount * credited + divisor) // (2 * divisor) * step

    shares = []
    for tax in taxes:
        amount = int(tax["amount_micros"])
        if amount <= 0:
            continue
        part = share(amount, before + total) - share(amount, before)
        shares.append({"name": tax["name"], "rate": tax["rate"], "amount_micros": part})
    return shares


def _checked_lines(data: CreditNoteIn, exponent: int) -> list[tuple[str, int]]:
    """Each line's description and amount in micros; a 422 naming every bad field."""
    errors = FieldErrors()
    if not data.lines:
        errors.add("lines", "must have at least one line")
    lines: list[tuple[str, int]] = []
    for i, line in enumerate(data.lines):
        description = " ".join(line.description.split())
        if not description:
            errors.add(f"lines[{i}].description", "must not be empty")
        try:
            micros = to_micros(check_amount(line.amount, max_decimals=exponent, allow_zero=False))
        except AmountError as exc:
            errors.add(f"lines[{i}].amount", str(exc))
            micros = 0
        lines.append((description, micros))
    errors.raise_if_any()
    return lines


def _check_limit(lines: list[tuple[str, int]], left: int, invoice: Invoice, exponent: int) -> None:
    total = sum(micros for _, micros in lines)
    if total <= left:
        return
    errors = FieldErrors()
    shown = format_micros(left, exponent)
    for i, (_, micros) in enumerate(lines):
        if micros > left:
            errors.add(
                f"lines[{i}].amount",
                f"is more than the {shown} {invoice.currency} left to credit "
                f"of invoice {invoice.number}",
            )
    if not errors:
        errors.add(
            "lines",
            f"add up to {format_micros(total, exponent)} {invoice.currency}, more than the "
            f"{shown} {invoice.currency} left to credit of invoice {invoice.number}",
        )
    errors.raise_if_any(code="credit_exceeds_invoice")


def issue_credit_note(
    session: Session,
    actor: Actor,
    invoice_id: int,
    data: CreditNoteIn,
    *,
    number_format: str = DEFAULT_FORMAT,
) -> CreditNoteOut:
    """Issue a credit note for the invoice (see the module docstring); the caller commits."""
    try:
        check_format(number_format)
    except (ValueError, KeyError, IndexError) as exc:
        raise Conflict(
            f"the credit note number format {number_format!r} is not usable: {exc}",
            code="credit_note_number_format_invalid",
        ) from exc
    invoice = get_invoice(session, invoice_id)
    exponent = currency_exponent(session, invoice.currency)
    lines = _checked_lines(data, exponent)
    customer = lock_customer(session, invoice.customer_id)
    if customer.currency != invoice.currency:
        raise Conflict(
            f"invoice {invoice.number} is in {invoice.currency}, the customer in "
            f"{customer.currency}",
            code="credit_note_currency_mismatch",
        )
    # Read under the customer's lock: every note of this invoice is issued under it.
    before = credited_micros(session, invoice.id)
    _check_limit(lines, max(invoice.total_micros - before, 0), invoice, exponent)
    total = sum(micros for _, micros in lines)

    now = utcnow()
    issue_date = now.astimezone(ZoneInfo(invoice.billing_timezone)).date()
    seq = take_numbers(session, series_key(number_format, issue_date), 1)
    number = format_number(number_format, issue_date, seq)
    reason = data.reason.strip()
    posted = append_entry(
        session,
        actor,
        customer_id=customer.id,
        entry_type=EntryType.MANUAL_CREDIT,
        amount_micros=total,
        currency=customer.currency,
        exponent=exponent,
        visible_comment=f"Credit note {number} for invoice {invoice.number}",
        internal_comment=reason,
        field="lines",
    )
    note = CreditNote(
        number=number,
        invoice_id=invoice.id,
        customer_id=customer.id,
        currency=invoice.currency,
        issue_date=issue_date,
        reason=reason,
        total_micros=total,
        taxes=tax_shares(invoice.taxes or [], invoice.total_micros, before, total, exponent),
        ledger_entry_id=posted.entry_id,
        user_id=actor.user_id,
        created_at=now,
    )
    session.add(note)
    session.flush()
    session.add_all(
        CreditNoteLine(
            credit_note_id=note.id, position=i, description=description, amount_micros=micros
        )
        for i, (description, micros) in enumerate(lines, start=1)
    )
    session.flush()
    settle_invoices(session, customer.id)
    audit.record(
        session,
        actor,
        "create",
        "credit_note",
        note.id,
        after={
            "number": number,
            "invoice_id": invoice.id,
            "customer_id": customer.id,
            "total_micros": total,
            "currency": note.currency,
            "reason": reason,
            "transaction_id": posted.entry_id,
        },
    )
    emit(
        session,
        "credit_note_issued",
        customer.id,
        {
            "customer_id": customer.id,
            "credit_note_id": note.id,
            "number": number,
            "invoice_id": invoice.id,
            "invoice_number": invoice.number,
            "currency": note.currency,
            "total": format_micros(total, exponent),
            "issue_date": issue_date.isoformat(),
            "reason": reason,
            "balance": format_micros(posted.balance_after_micros, exponent),
        },
        dedupe_key=f"credit_note_issued:{note.id}",
    )
    return credit_notes_out(session, [note])[0]


# --- reading ---------------------------------------------------------------------------------


def get_credit_note(session: Session, credit_note_id: int) -> CreditNote:
    note = session.get(CreditNote, credit_note_id)
    if note is None:
        raise NotFound(f"credit note {credit_note_id} does not exist", code="credit_note_not_found")
    return note


def list_credit_notes(
    session: Session,
    *,
    invoice_id: int | None = None,
    customer_id: int | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> tuple[list[CreditNote], str | None]:
    """Newest first; of one invoice, of one customer, or all."""
    stmt = select(CreditNote)
    if invoice_id is not None:
        get_invoice(session, invoice_id)
        stmt = stmt.where(CreditNote.invoice_id == invoice_id)
    if customer_id is not None:
        get_customer(session, customer_id)
        stmt = stmt.where(CreditNote.customer_id == customer_id)
    return paginate(session, stmt, CreditNote.id, limit=limit, cursor=cursor, descending=True)


def credit_note_lines(session: Session, note_ids: list[int]) -> dict[int, list[CreditNoteLine]]:
    """The lines of each note, in order: one query for a page of notes."""
    lines: dict[int, list[CreditNoteLine]] = {i: [] for i in note_ids}
    if note_ids:
        rows = session.scalars(
            select(CreditNoteLine)
            .where(CreditNoteLine.credit_note_id.in_(note_ids))
            .order_by(CreditNoteLine.credit_note_id, CreditNoteLine.position)
        )
        for line in rows:
            lines[line.credit_note_id].append(line)
    return lines


def credit_notes_out(session: Session, notes: list[CreditNote]) -> list[CreditNoteOut]:
    lines = credit_note_lines(session, [n.id for n in notes])
    invoice_ids = {n.invoice_id for n in notes}
    numbers = (
        dict(
            session.execute(
                select(Invoice.id, Invoice.number).where(Invoice.id.in_(invoice_ids))
            ).all()
        )
        if invoice_ids
        else {}
    )
    out = []
    for note in notes:
        exponent = currency_exponent(session, note.currency)

        def money(micros: int, exp: int = exponent) -> str:
            return format_micros(micros, exp)

        out.append(
            CreditNoteOut(
                id=note.id,
                number=note.number,
                invoice_id=note.invoice_id,
                invoice_number=str(numbers.get(note.invoice_id, "")),
                customer_id=note.customer_id,
                currency=note.currency,
                issue_date=note.issue_date,
                reason=note.reason,
                lines=[
                    CreditNoteLineOut(
                        position=line.position,
                        description=line.description,
                        amount=money(line.amount_micros),
                    )
                    for line in lines[note.id]
                ],
                total=money(note.total_micros),
                taxes=[
                    InvoiceTaxOut(
                        name=t["name"], rate=t["rate"], amount=money(int(t["amount_micros"]))
                    )
                    for t in note.taxes or []
                ],
                transaction_id=note.ledger_entry_id,
                user_id=note.user_id,
                created_at=note.created_at,
            )
        )
    return out


def credit_note_out(session: Session, note: CreditNote) -> CreditNoteOut:
    return credit_notes_out(session, [note])[0]
