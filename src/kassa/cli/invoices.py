"""``kassa invoices``: what staff do with an issued invoice from the shell."""

from __future__ import annotations

import typer

from kassa.cli.context import CLI_ACTOR, out, state
from kassa.core.ids import MAX_ID
from kassa.notifications.resend import queue_invoice_email

app = typer.Typer(
    help="Invoices: send an invoice's email again.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)


@app.command()
def send(
    ctx: typer.Context,
    invoice_id: int = typer.Argument(
        ..., metavar="INVOICE_ID", min=1, max=MAX_ID, help="The invoice's id."
    ),
) -> None:
    """Queue the invoice's email (with its PDF) to the customer's address again.

    The next delivery round sends it (a server's, or `kassa notifications deliver`). Needs
    KASSA_SMTP_HOST and a customer with an email address.
    """
    cli = state(ctx)
    settings = cli.settings()
    with cli.database().transaction() as session:
        queued = queue_invoice_email(
            session, CLI_ACTOR, invoice_id, email_enabled=settings.smtp_host is not None
        )
    out().print(
        f"Invoice {queued.number} queued to {queued.email} (delivery {queued.delivery_id}).",
        markup=False,
    )
