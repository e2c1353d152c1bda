"""``kassa transactions``: post payments, refunds, charges and credits; read the ledger."""

from __future__ import annotations

from enum import StrEnum

import typer

from kassa.billing import postings
from kassa.cli.context import CLI_ACTOR, out, state
from kassa.cli.tables import fields, row, table, when
from kassa.core.ids import MAX_ID
from kassa.core.vocabulary import EntryType
from kassa.currencies.service import currency_exponent
from kassa.customers import queries
from kassa.customers.views import customer_view
from kassa.ledger import transactions
from kassa.ledger.entries import ENTRY_SIGNS
from kassa.ledger.schemas import TransactionIn

app = typer.Typer(
    help="The ledger: add a transaction, list a customer's entries.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)

CustomerId = typer.Argument(
    ..., metavar="CUSTOMER_ID", min=1, max=MAX_ID, help="The customer's id."
)


class TransactionChoice(StrEnum):
    """``--type``'s choices, the entry types staff post (``TRANSACTION_TYPES``): Typer offers
    choices only as an enum's values, and the vocabulary has no enum of that subset."""

    PAYMENT = EntryType.PAYMENT.value
    REFUND = EntryType.REFUND.value
    MANUAL_CHARGE = EntryType.MANUAL_CHARGE.value
    MANUAL_CREDIT = EntryType.MANUAL_CREDIT.value
    PROMOTIONAL_CREDIT = EntryType.PROMOTIONAL_CREDIT.value


@app.command()
def add(
    ctx: typer.Context,
    customer_id: int = CustomerId,
    type_: TransactionChoice = typer.Option(
        ...,
        "--type",
        help="payment, manual_credit and promotional_credit lower what the customer owes; "
        "refund and manual_charge raise it.",
    ),
    amount: str = typer.Option(..., "--amount", help="A positive amount, e.g. 10.00."),
    visible_comment: str = typer.Option(
        "", "--visible-comment", help="Shown to the customer (e.g. on the invoice)."
    ),
    internal_comment: str = typer.Option("", "--internal-comment", help="For staff only."),
) -> None:
    """Post a transaction and show the customer's new balance."""
    body = TransactionIn.model_validate(
        {
            "type": type_.value,
            "amount": amount,
            "visible_comment": visible_comment,
            "internal_comment": internal_comment,
        }
    )
    db = state(ctx).database()
    with postings.open_unit(db) as session:
        posted = postings.post_transaction(session, CLI_ACTOR, customer_id, body)
        customer = queries.get_customer(session, customer_id)
        shown = customer_view(session, customer)
    cur = posted.currency
    out().print(f"Posted transaction {posted.id}.", markup=False)
    out().print(
        fields(
            [
                ("Customer", f"{shown.name} (id {shown.id})"),
                ("Type", posted.type),
                ("Amount", f"{posted.amount} {cur}"),
                ("Balance after (owed)", f"{posted.balance_after} {cur}"),
                (
                    "Available funds",
                    "unlimited"
                    if shown.available_funds is None
                    else f"{shown.available_funds} {cur}",
                ),
                ("Status", shown.status),
            ]
        )
    )


@app.command("list")
def list_entries(
    ctx: typer.Context,
    customer_id: int = CustomerId,
    type_: EntryType | None = typer.Option(None, "--type", help="Only entries of this type."),
    limit: int = typer.Option(50, "--limit", help="Entries per page, 1 to 500."),
    cursor: str | None = typer.Option(
        None, "--cursor", help="Continue after the previous page (printed below it)."
    ),
) -> None:
    """List a customer's ledger entries, newest first; usage and tax included."""
    db = state(ctx).database()
    with db.reading() as session:
        rows, next_cursor = transactions.list_transactions(
            session,
            customer_id,
            entry_type=type_.value if type_ else None,
            limit=limit,
            cursor=cursor,
        )
        shown = [
            transactions.transaction_out(r, currency_exponent(session, r.currency)) for r in rows
        ]
    console = out()
    if not shown:
        console.print("No entries.")
    else:
        result = table(
            "ID",
            "Posted",
            "Type",
            "Service",
            "Amount",
            "Balance after",
            "Comment",
            right=("ID", "Amount", "Balance after"),
        )
        for entry in shown:
            sign = "-" if ENTRY_SIGNS[EntryType(entry.type)] < 0 else "+"
            result.add_row(
                *row(
                    entry.id,
                    when(entry.created_at),
                    entry.type,
                    entry.service or "",
                    f"{sign}{entry.amount} {entry.currency}",
                    f"{entry.balance_after} {entry.currency}",
                    entry.visible_comment,
                )
            )
        console.print(result)
    if next_cursor:
        console.print(
            f"Next cursor: {next_cursor}  "
            f"(kassa transactions list {customer_id} --cursor {next_cursor})"
        )
