"""Credit notes in the web UI: the Issue credit note form of the invoice page, and the lists of
notes on the invoice and customer pages, read from billing's credit note service."""

from __future__ import annotations

import secrets
from typing import Any

from starlette.datastructures import FormData

from kassa.billing import credit_notes
from kassa.billing.credit_note_schemas import CreditNoteOut
from kassa.core.money import format_micros
from kassa.currencies.service import currency_exponent
from kassa.db.engine import DbSession
from kassa.db.models import Customer, Invoice
from kassa.web.forms import FormView, text

# Line rows the form offers; rows left blank are skipped.
LINE_ROWS = 5
CUSTOMER_NOTES = 10


def line_field(row: int, name: str) -> str:
    """The form input of a line's field: the name the service's errors give it."""
    return f"lines[{row}].{name}"


FORM_FIELDS = (
    "lines",
    "reason",
    *(line_field(row, name) for row in range(LINE_ROWS) for name in ("description", "amount")),
)


def blank_form() -> FormView:
    # The form key makes a double-clicked Issue post once: the second is answered from the first.
    return FormView(values={"form_key": secrets.token_urlsafe(16)})


def form_values(form: FormData) -> dict[str, str]:
    return {name: text(form, name) for name in (*FORM_FIELDS, "form_key") if name != "lines"}


def note_body(values: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The service input from the rows filled in, and the renames that put the service's
    ``lines[i]`` errors beside the form row they came from."""
    lines: list[dict[str, str]] = []
    renames: dict[str, str] = {}
    for row in range(LINE_ROWS):
        description = values.get(line_field(row, "description"), "")
        amount = values.get(line_field(row, "amount"), "")
        if not description.strip() and not amount.strip():
            continue
        for name in ("description", "amount"):
            renames[line_field(len(lines), name)] = line_field(row, name)
        lines.append({"description": description, "amount": amount})
    return {"lines": lines, "reason": values.get("reason", "")}, renames


def row_of(note: CreditNoteOut) -> dict[str, Any]:
    return {
        "id": note.id,
        "number": note.number,
        "invoice_id": note.invoice_id,
        "invoice_number": note.invoice_number,
        "issue_date": note.issue_date,
        "currency": note.currency,
        "total": note.total,
        "reason": note.reason,
        "lines": [line.description for line in note.lines],
    }


def invoice_credit_notes(session: DbSession, invoice: Invoice) -> dict[str, Any]:
    """The invoice's notes (all of them, oldest first) and what is left to credit."""
    notes: list[Any] = []
    cursor: str | None = None
    while True:
        page, cursor = credit_notes.list_credit_notes(
            session, invoice_id=invoice.id, limit=500, cursor=cursor
        )
        notes.extend(page)
        if cursor is None:
            break
    exponent = currency_exponent(session, invoice.currency)
    left = credit_notes.creditable_micros(session, invoice)
    return {
        "credit_notes": [
            row_of(n) for n in reversed(credit_notes.credit_notes_out(session, notes))
        ],
        "creditable": format_micros(left, exponent),
        "can_credit": left > 0,
    }


def customer_credit_notes(
    session: DbSession, customer: Customer
) -> tuple[list[dict[str, Any]], bool]:
    """The customer's latest notes, newest first, and whether there are more."""
    rows, next_cursor = credit_notes.list_credit_notes(
        session, customer_id=customer.id, limit=CUSTOMER_NOTES
    )
    return [
        row_of(n) for n in credit_notes.credit_notes_out(session, rows)
    ], next_cursor is not None
