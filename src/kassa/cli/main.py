"""The ``kassa`` command: serve, migrate, manage users, tokens, customers, accounts; bill."""

from __future__ import annotations

import typer

import kassa
from kassa.cli import (
    accounts,
    billing,
    classes,
    credit_notes,
    customers,
    db,
    invoices,
    notifications,
    plans,
    products,
    serve,
    subscriptions,
    tariffs,
    tokens,
    transactions,
    users,
)
from kassa.cli.context import CliState
from kassa.cli.errors import KassaGroup

app = typer.Typer(
    name="kassa",
    cls=KassaGroup,
    help="Kassa: billing for telecom, ISP and SaaS operators, from the shell.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
    add_completion=False,
    # A traceback's local variables may hold passwords and tokens.
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"kassa {kassa.__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    database_url: str | None = typer.Option(
        None,
        "--database-url",
        envvar="KASSA_DATABASE_URL",
        help="SQLAlchemy URL of the database "
        "(sqlite:///./kassa.db when unset; postgresql+psycopg://user@host/db for PostgreSQL).",
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Kassa: billing for telecom, ISP and SaaS operators, from the shell.

    Settings come from KASSA_* environment variables (see the README).
    """
    ctx.obj = CliState(database_url=database_url or None)
    ctx.call_on_close(ctx.obj.close)


app.command()(serve.serve)
app.add_typer(db.app, name="db")
app.add_typer(users.app, name="users")
app.add_typer(tokens.app, name="tokens")
app.add_typer(customers.app, name="customers")
app.add_typer(classes.app, name="classes")
app.add_typer(accounts.app, name="accounts")
app.add_typer(transactions.app, name="transactions")
app.add_typer(tariffs.app, name="tariffs")
app.add_typer(products.app, name="products")
app.add_typer(plans.app, name="plans")
app.add_typer(subscriptions.app, name="subscriptions")
app.command("bill-run")(billing.bill_run)
app.add_typer(notifications.app, name="notifications")
app.add_typer(invoices.app, name="invoices")
app.add_typer(credit_notes.app, name="credit-notes")
