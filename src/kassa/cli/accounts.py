"""``kassa accounts``: the network's identities (phone numbers, SIP and RADIUS logins) of
customers: add, list, show, block, unblock, close."""

from __future__ import annotations

import typer

from kassa.accounts import queries, service
from kassa.accounts.rules import MAX_SESSIONS, MIN_PASSWORD_LENGTH
from kassa.accounts.schemas import AccountIn
from kassa.auth.passwords import hash_password
from kassa.cli.context import CLI_ACTOR, out, state
from kassa.cli.tables import fields, row, table, when
from kassa.core.ids import MAX_ID
from kassa.core.vocabulary import AccountAction, AccountStatus
from kassa.customers.queries import customer_names
from kassa.db.engine import DbSession
from kassa.db.models import Account
from kassa.rating.products import product_names

app = typer.Typer(
    help="Accounts: what the network knows (a phone number, a SIP or RADIUS login), each under "
    "one customer. Add, list, show, block, unblock, close.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
REFERENCE_HELP = "The account's identifier, or its id (an identifier that is all digits wins)."


def _print_account(session: DbSession, account: Account) -> None:
    product = product_names(session, {account.product_id}).get(account.product_id, "?")
    customer = customer_names(session, {account.customer_id}).get(account.customer_id, "?")
    out().print(
        fields(
            [
                ("ID", account.id),
                ("Identifier", account.identifier),
                ("Status", account.status),
                ("Customer", f"{customer} (id {account.customer_id})"),
                ("Product", f"{product} (id {account.product_id})"),
                ("Max sessions", account.max_sessions or "no limit"),
                ("Password", "set" if account.password_hash else "none"),
                ("Created", when(account.created_at)),
                ("Updated", when(account.updated_at)),
            ]
        )
    )


@app.command()
def add(
    ctx: typer.Context,
    customer: int = typer.Option(
        ..., "--customer", min=1, max=MAX_ID, help="Id of the customer the account belongs to."
    ),
    identifier: str = typer.Option(
        ...,
        "--identifier",
        help="A phone number (+ and digits) or a login (letters, digits and . _ @ -), up to "
        "128 characters, unique across all customers.",
    ),
    product: int = typer.Option(
        ...,
        "--product",
        min=1,
        max=MAX_ID,
        help="Id of the product, priced in the customer's currency.",
    ),
    password: str | None = typer.Option(
        None,
        "--password",
        help=f"SIP/RADIUS password ({MIN_PASSWORD_LENGTH}+ characters), stored hashed. Prefer "
        "--password-prompt: the command line is visible to other users of this machine.",
    ),
    password_prompt: bool = typer.Option(
        False, "--password-prompt", help="Ask for the password, with confirmation."
    ),
    max_sessions: int | None = typer.Option(
        None,
        "--max-sessions",
        help=f"Sessions the account may hold at once, 1 to {MAX_SESSIONS}; no limit when left out.",
    ),
) -> None:
    """Add an account to a customer and show it."""
    if password_prompt:
        if password is not None:
            raise typer.BadParameter(
                "give --password or --password-prompt, not both", param_hint="--password-prompt"
            )
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    data = AccountIn(
        identifier=identifier, product_id=product, password=password, max_sessions=max_sessions
    )
    service.check_new_account(data)
    password_hash = hash_password(password) if password is not None else None
    db = state(ctx).database()
    with db.transaction() as session:
        account = service.create_account(
            session, CLI_ACTOR, customer, data, password_hash=password_hash
        )
        out().print(f"Created account {account.id}.", markup=False)
        _print_account(session, account)


@app.command("list")
def list_accounts(
    ctx: typer.Context,
    customer: int | None = typer.Option(
        None, "--customer", min=1, max=MAX_ID, help="Only this customer's accounts."
    ),
    identifier: str | None = typer.Option(
        None, "--identifier", help="Exactly this identifier: at most one account."
    ),
    status: AccountStatus | None = typer.Option(None, "--status", help="Only this status."),
    limit: int = typer.Option(50, "--limit", help="Accounts per page, 1 to 500."),
    cursor: str | None = typer.Option(
        None, "--cursor", help="Continue after the previous page (printed below it)."
    ),
) -> None:
    """List accounts, oldest first, a page at a time."""
    db = state(ctx).database()
    with db.reading() as session:
        rows, next_cursor = queries.list_accounts(
            session,
            customer_id=customer,
            identifier=identifier,
            status=status.value if status else None,
            limit=limit,
            cursor=cursor,
        )
        products = product_names(session, {a.product_id for a in rows})
        customers = customer_names(session, {a.customer_id for a in rows})
    console = out()
    if not rows:
        console.print("No accounts match.")
    else:
        result = table(
            "ID",
            "Identifier",
            "Status",
            "Customer",
            "Product",
            "Max sessions",
            "Created",
            right=("ID", "Max sessions"),
        )
        for a in rows:
            result.add_row(
                *row(
                    a.id,
                    a.identifier,
                    a.status,
                    f"{customers.get(a.customer_id, '?')} ({a.customer_id})",
                    products.get(a.product_id, a.product_id),
                    a.max_sessions or "",
                    when(a.created_at),
                )
            )
        console.print(result)
    if next_cursor:
        console.print(f"Next cursor: {next_cursor}  (kassa accounts list --cursor {next_cursor})")


@app.command()
def show(
    ctx: typer.Context,
    account: str = typer.Argument(..., metavar="ACCOUNT", help=REFERENCE_HELP),
) -> None:
    """Show every field of one account (never its password)."""
    db = state(ctx).database()
    with db.reading() as session:
        _print_account(session, queries.account_by_reference(session, account))


def _change_status(ctx: typer.Context, reference: str, action: AccountAction) -> None:
    db = state(ctx).database()
    with db.transaction() as session:
        account_id = queries.account_by_reference(session, reference).id
        account = service.change_status(session, CLI_ACTOR, account_id, action)
        out().print(f"Account {account.identifier} is {account.status}.", markup=False)


@app.command()
def block(
    ctx: typer.Context,
    account: str = typer.Argument(..., metavar="ACCOUNT", help=REFERENCE_HELP),
) -> None:
    """Block an active account: the network no longer lets it in."""
    _change_status(ctx, account, AccountAction.BLOCK)


@app.command()
def unblock(
    ctx: typer.Context,
    account: str = typer.Argument(..., metavar="ACCOUNT", help=REFERENCE_HELP),
) -> None:
    """Unblock a blocked account."""
    _change_status(ctx, account, AccountAction.UNBLOCK)


@app.command()
def close(
    ctx: typer.Context,
    account: str = typer.Argument(..., metavar="ACCOUNT", help=REFERENCE_HELP),
) -> None:
    """Close an account for good (active or blocked); its identifier stays taken."""
    _change_status(ctx, account, AccountAction.CLOSE)
