"""``kassa tokens``: API tokens, shown once when created and kept only as a hash."""

from __future__ import annotations

import typer

from kassa.auth import service
from kassa.cli.context import CLI_ACTOR, out, state
from kassa.cli.tables import row, table, when
from kassa.core.errors import Conflict, FieldError, NotFound
from kassa.core.ids import MAX_ID
from kassa.core.vocabulary import Role
from kassa.db.engine import DbSession
from kassa.db.models import User

app = typer.Typer(
    help="API tokens: create, list, revoke.", no_args_is_help=True, rich_markup_mode="markdown"
)


def _owner(session: DbSession, username: str | None, role: Role | None) -> User:
    if username is not None:
        name = username
    else:
        assert role is not None
        name = f"{role.value}-api"
    user = service.find_user_by_name(session, name)
    if user is None:
        if role is None:
            message = f"user '{name}' does not exist; add --role to create it"
            raise NotFound(message, code="user_not_found", errors=[FieldError("user", message)])
        return service.create_user(
            session, CLI_ACTOR, username=name, role=role.value, password_hash=None
        )
    if role is not None and user.role != role.value:
        message = f"user '{name}' has role {user.role}, not {role.value}"
        raise Conflict(message, code="role_mismatch", errors=[FieldError("role", message)])
    if not user.active:
        message = f"user '{name}' is deactivated; a token of theirs would not work"
        raise Conflict(message, code="user_inactive", errors=[FieldError("user", message)])
    return user


@app.command()
def create(
    ctx: typer.Context,
    user: str | None = typer.Option(None, "--user", help="Username of the token's owner."),
    role: Role | None = typer.Option(
        None,
        "--role",
        case_sensitive=False,
        help="Without --user: the token belongs to the user 'ROLE-api' (e.g. service-api), "
        "created if missing. With --user: creates that user with this role if missing, "
        "else must match its role.",
    ),
    name: str = typer.Option("cli", "--name", help="A label to recognise the token by."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the token."),
) -> None:
    """Create an API token and print it, once. Use it as 'Authorization: Bearer TOKEN'."""
    if user is None and role is None:
        raise typer.BadParameter(
            "give --user USERNAME, or --role ROLE for a 'ROLE-api' user", param_hint="--user"
        )
    db = state(ctx).database()
    with db.transaction() as session:
        owner = _owner(session, user, role)
        issued = service.create_token(session, CLI_ACTOR, owner, name=name)
        token_id, owner_name, owner_role = issued.record.id, owner.username, owner.role
    if not quiet:
        console = out()
        console.print(
            f"Created API token {token_id} '{name}' for user '{owner_name}' (role {owner_role}).",
            markup=False,
        )
        console.print("Store it now; Kassa keeps only its hash and cannot show it again:")
    typer.echo(issued.token)


@app.command("list")
def list_tokens(
    ctx: typer.Context,
    user: str | None = typer.Option(None, "--user", help="Only this user's tokens."),
) -> None:
    """List API tokens (their first characters only; the tokens themselves are not kept)."""
    db = state(ctx).database()
    result = table("ID", "User", "Name", "Starts with", "Created", "Revoked", right=("ID",))
    with db.reading() as session:
        owner_id = service.get_user_by_name(session, user).id if user is not None else None
        tokens = service.list_tokens(session, user_id=owner_id)
        names = service.usernames(session, {t.user_id for t in tokens})
        for token in tokens:
            result.add_row(
                *row(
                    token.id,
                    names[token.user_id],
                    token.name,
                    token.prefix + "...",
                    when(token.created_at),
                    when(token.revoked_at),
                )
            )
    out().print(result)


@app.command()
def revoke(
    ctx: typer.Context,
    token_id: int = typer.Argument(..., metavar="ID", min=1, max=MAX_ID, help="The token's id."),
) -> None:
    """Revoke an API token: requests using it are refused from now on."""
    db = state(ctx).database()
    with db.transaction() as session:
        known = service.find_token(session, token_id)
        already = known is not None and known.revoked_at is not None
        record = service.revoke_token(session, CLI_ACTOR, token_id)
        revoked_at = when(record.revoked_at)
    if already:
        out().print(f"API token {token_id} was already revoked at {revoked_at}.", markup=False)
    else:
        out().print(f"Revoked API token {token_id}.", markup=False)
