"""``kassa classes``: list customer classes and turn their options on and off."""

from __future__ import annotations

import typer

from kassa.cli.context import CLI_ACTOR, out, state
from kassa.cli.tables import fields, row, table
from kassa.customer_classes import service
from kassa.customer_classes.schemas import CustomerClassOut, CustomerClassPatch

app = typer.Typer(
    help="Customer classes: the parameters a category of customers shares. List; set options.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)


def _yes(value: bool) -> str:
    return "yes" if value else "no"


@app.command("list")
def list_classes(
    ctx: typer.Context,
    limit: int = typer.Option(50, "--limit", help="Classes per page, 1 to 500."),
    cursor: str | None = typer.Option(
        None, "--cursor", help="Continue after the previous page (printed below it)."
    ),
) -> None:
    """List customer classes, oldest first, with their options."""
    db = state(ctx).database()
    with db.reading() as session:
        rows, next_cursor = service.page_customer_classes(session, limit=limit, cursor=cursor)
        shown = [service.customer_class_out(c) for c in rows]
    console = out()
    result = table(
        "ID", "Name", "Currency", "Suspend when fees unpaid", "Skip idle invoices", right=("ID",)
    )
    for cls in shown:
        result.add_row(
            *row(
                cls.id,
                cls.name,
                cls.currency or "any",
                _yes(cls.suspend_when_fees_unpaid),
                _yes(cls.skip_idle_invoices),
            )
        )
    console.print(result)
    if next_cursor:
        console.print(f"Next cursor: {next_cursor}  (kassa classes list --cursor {next_cursor})")


def _show(cls: CustomerClassOut) -> None:
    out().print(
        fields(
            [
                ("Class", f"{cls.name} ({cls.id})"),
                ("Suspend when fees unpaid", _yes(cls.suspend_when_fees_unpaid)),
                ("Skip idle invoices", _yes(cls.skip_idle_invoices)),
            ]
        )
    )


@app.command()
def options(
    ctx: typer.Context,
    class_id: int = typer.Argument(
        ..., metavar="CLASS_ID", help="The class's id (see 'kassa classes list')."
    ),
    suspend_when_fees_unpaid: bool | None = typer.Option(
        None,
        "--suspend-when-fees-unpaid/--no-suspend-when-fees-unpaid",
        help="Suspend a prepaid customer whose available funds do not cover an in-advance "
        "subscription fee (the fee is posted all the same); a payment that covers it "
        "reactivates the customer at once.",
    ),
    skip_idle_invoices: bool | None = typer.Option(
        None,
        "--skip-idle-invoices/--no-skip-idle-invoices",
        help="Issue no invoice for a billing period without a single entry (no charge, "
        "credit, payment or usage); the period still closes and the next one opens.",
    ),
) -> None:
    """Show a customer class's options, or change those given.

    Without an option it only shows them. Example: `kassa classes options 2
    --suspend-when-fees-unpaid --no-skip-idle-invoices`.
    """
    changes = {
        key: value
        for key, value in (
            ("suspend_when_fees_unpaid", suspend_when_fees_unpaid),
            ("skip_idle_invoices", skip_idle_invoices),
        )
        if value is not None
    }
    db = state(ctx).database()
    if not changes:
        with db.reading() as session:
            shown = service.customer_class_out(service.get_customer_class(session, class_id))
        _show(shown)
        return
    with db.transaction() as session:
        cls = service.update_customer_class(
            session, CLI_ACTOR, class_id, CustomerClassPatch.model_validate(changes)
        )
        shown = service.customer_class_out(cls)
    out().print(f"Saved the options of customer class {shown.id}.", markup=False)
    _show(shown)
