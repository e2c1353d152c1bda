"""``kassa credit-notes``: issue a credit note for an invoice, list and show credit notes."""

from __future__ import annotations

import typer

from kassa.billing import credit_notes
from kassa.billing.credit_note_schemas import CreditNoteIn, CreditNoteOut
from kassa.cli.context import CLI_ACTOR, out, state
from kassa.cli.tables import fields, row, table, when
from kassa.core.errors import FieldErrors
from kassa.core.ids import MAX_ID

app = typer.Typer(
    help="Credit notes: corrections of issued invoices that credit the customer.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)


def _lines(raw: list[str]) -> list[dict[str, str]]:
    """``DESCRIPTION=AMOUNT`` each, split at the last ``=`` (a description may hold one)."""
    errors = FieldErrors()
    lines = []
    for i, item in enumerate(raw):
        description, sep, amount = item.rpartition("=")
        if not sep:
            errors.add(f"lines[{i}]", f"'{item}' is not DESCRIPTION=AMOUNT")
        lines.append({"description": description, "amount": amount.strip()})
    errors.raise_if_any()
    return lines


def _print_note(note: CreditNoteOut) -> None:
    console = out()
    console.print(
        fields(
            [
                ("Number", note.number),
                ("Invoice", f"{note.invoice_number} (id {note.invoice_id})"),
                ("Customer", note.customer_id),
                ("Issued", note.issue_date.isoformat()),
                ("Total credited", f"{note.total} {note.currency}"),
                *[
                    (f"  of which {t.name} {t.rate}%", f"{t.amount} {note.currency}")
                    for t in note.taxes
                ],
                ("Reason", note.reason or "—"),
                ("Transaction", note.transaction_id),
            ]
        )
    )
    lines = table("#", "Description", "Amount", right=("#", "Amount"))
    for line in note.lines:
        lines.add_row(*row(line.position, line.description, f"{line.amount} {note.currency}"))
    console.print(lines)


@app.command()
def issue(
    ctx: typer.Context,
    invoice: int = typer.Option(
        ..., "--invoice", min=1, max=MAX_ID, help="The id of the invoice to credit."
    ),
    line: list[str] = typer.Option(
        ...,
        "--line",
        help='A line of the note as DESCRIPTION=AMOUNT, e.g. --line "Outage on 3 Dec=5.00"; '
        "repeat it for more lines. Amounts are in the invoice's currency, taxes included.",
    ),
    reason: str = typer.Option("", "--reason", help="Why the invoice is corrected."),
) -> None:
    """Issue a credit note for an invoice: credit the customer the lines' total.

    The credit notes of an invoice together never credit more than its total. The credit
    lowers what the customer owes and pays open invoices as a payment does.
    """
    body = CreditNoteIn.model_validate({"lines": _lines(line), "reason": reason})
    cli = state(ctx)
    number_format = cli.settings().credit_note_number_format
    with credit_notes.open_unit(cli.database()) as session:
        note = credit_notes.issue_credit_note(
            session, CLI_ACTOR, invoice, body, number_format=number_format
        )
    out().print(f"Issued credit note {note.number} (id {note.id}).", markup=False)
    _print_note(note)


@app.command("list")
def list_notes(
    ctx: typer.Context,
    invoice: int | None = typer.Option(
        None, "--invoice", min=1, max=MAX_ID, help="Only the notes of this invoice."
    ),
    customer: int | None = typer.Option(
        None, "--customer", min=1, max=MAX_ID, help="Only the notes of this customer."
    ),
    limit: int = typer.Option(50, "--limit", help="Notes per page, 1 to 500."),
    cursor: str | None = typer.Option(
        None, "--cursor", help="Continue after the previous page (printed below it)."
    ),
) -> None:
    """List credit notes, newest first: all of them, an invoice's or a customer's."""
    with state(ctx).database().reading() as session:
        rows, next_cursor = credit_notes.list_credit_notes(
            session, invoice_id=invoice, customer_id=customer, limit=limit, cursor=cursor
        )
        shown = credit_notes.credit_notes_out(session, rows)
    console = out()
    if not shown:
        console.print("No credit notes.")
    else:
        result = table(
            "ID",
            "Number",
            "Invoice",
            "Customer",
            "Issued",
            "Total",
            "Reason",
            right=("ID", "Total"),
        )
        for note in shown:
            result.add_row(
                *row(
                    note.id,
                    note.number,
                    note.invoice_number,
                    note.customer_id,
                    note.issue_date.isoformat(),
                    f"{note.total} {note.currency}",
                    note.reason,
                )
            )
        console.print(result)
    if next_cursor:
        console.print(f"Next cursor: {next_cursor}  (add --cursor {next_cursor})", markup=False)


@app.command()
def show(
    ctx: typer.Context,
    credit_note_id: int = typer.Argument(
        ..., metavar="CREDIT_NOTE_ID", min=1, max=MAX_ID, help="The credit note's id."
    ),
) -> None:
    """Show a credit note with its lines and taxes."""
    with state(ctx).database().reading() as session:
        note = credit_notes.credit_note_out(
            session, credit_notes.get_credit_note(session, credit_note_id)
        )
    _print_note(note)
    out().print(f"Created {when(note.created_at)}", markup=False)
