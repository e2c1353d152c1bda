"""``kassa users``: people who sign in to the web UI, and the service users of the network."""

from __future__ import annotations

import typer

from kassa.auth import service
from kassa.auth.actor import Role
from kassa.cli.context import CLI_ACTOR, out, state
from kassa.cli.tables import row, table, when

app = typer.Typer(
    help="Users: create them, list them.", no_args_is_help=True, rich_markup_mode="markdown"
)


@app.command()
def create(
    ctx: typer.Context,
    username: str = typer.Argument(..., help="Sign-in name: letters, digits or _ . @ -"),
    role: Role = typer.Option(
        ...,
        "--role",
        case_sensitive=False,
        help="admin: everything; operator: customers and money; viewer: read only; "
        "service: API only (authorizations and usage), signs in with tokens, no password.",
    ),
    password: str | None = typer.Option(
        None,
        "--password",
        help="Web password (8+ characters). Asked for, with confirmation, when left out; "
        "prefer that, as the command line is visible to other users of this machine.",
    ),
) -> None:
    """Create a user.

    Service users get no password: give them an API token ('kassa tokens create --user NAME').
    """
    if role is Role.SERVICE:
        if password is not None:
            raise typer.BadParameter(
                "service users sign in with API tokens only; leave out --password",
                param_hint="--password",
            )
    elif password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    db = state(ctx).database()
    with db.transaction() as session:
        user = service.create_user(
            session, CLI_ACTOR, username=username, role=role.value, password=password
        )
        user_id = user.id
    out().print(f"Created user '{username}' (id {user_id}, role {role.value}).", markup=False)


@app.command("list")
def list_users(ctx: typer.Context) -> None:
    """List every user with their role."""
    db = state(ctx).database()
    result = table("ID", "Username", "Role", "Active", "Password", "Created", right=("ID",))
    with db.reading() as session:
        for user in service.list_users(session):
            result.add_row(
                *row(
                    user.id,
                    user.username,
                    user.role,
                    "yes" if user.active else "no",
                    "set" if user.password_hash else "none (tokens only)",
                    when(user.created_at),
                )
            )
    out().print(result)
