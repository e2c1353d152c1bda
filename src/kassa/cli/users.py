"""``kassa users``: people who sign in to the web UI, and the service users of the network."""

from __future__ import annotations

import typer

from kassa.auth import service, throttle
from kassa.auth.passwords import hash_password
from kassa.cli.context import CLI_ACTOR, out, state
from kassa.cli.tables import row, table, when
from kassa.core.vocabulary import Role, ThrottleScope

app = typer.Typer(
    help="Users: create and list them, set passwords, disable and enable them, lift sign-in locks.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
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
    service.check_new_user(username, role.value, password)
    password_hash = hash_password(password) if password else None
    with db.transaction() as session:
        user = service.create_user(
            session, CLI_ACTOR, username=username, role=role.value, password_hash=password_hash
        )
        user_id = user.id
    out().print(f"Created user '{username}' (id {user_id}, role {role.value}).", markup=False)


@app.command("list")
def list_users(ctx: typer.Context) -> None:
    """List every user with their role, and whether sign-in is locked for them."""
    db = state(ctx).database()
    result = table(
        "ID", "Username", "Role", "Active", "Password", "Locked until", "Created", right=("ID",)
    )
    with db.reading() as session:
        users = service.list_users(session)
        locked = throttle.locked_until(session, [u.username for u in users])
        for user in users:
            result.add_row(
                *row(
                    user.id,
                    user.username,
                    user.role,
                    "yes" if user.active else "no",
                    "set" if user.password_hash else "none (tokens only)",
                    when(locked.get(user.username)),
                    when(user.created_at),
                )
            )
    out().print(result)


@app.command()
def passwd(
    ctx: typer.Context,
    username: str = typer.Argument(..., help="The user whose password to set."),
    password: str | None = typer.Option(
        None,
        "--password",
        help="The new password (8+ characters). Asked for, with confirmation, when left out; "
        "prefer that, as the command line is visible to other users of this machine.",
    ),
) -> None:
    """Set a user's password. Every web session of the user ends at once."""
    db = state(ctx).database()
    with db.reading() as session:
        plan = service.plan_password_change(
            session, CLI_ACTOR, service.get_user_by_name(session, username).id
        )
    if password is None:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    service.check_new_password(password)
    password_hash = hash_password(password)
    with db.transaction() as session:
        service.set_password(session, CLI_ACTOR, plan.user_id, password_hash)
    out().print(f"Set the password of '{username}'; their web sessions have ended.", markup=False)


def _set_active(ctx: typer.Context, username: str, active: bool) -> None:
    db = state(ctx).database()
    with db.transaction() as session:
        user = service.get_user_by_name(session, username)
        was_active = user.active
        service.set_active(session, CLI_ACTOR, user.id, active)
    if was_active == active:
        out().print(f"'{username}' is {'enabled' if active else 'disabled'} already.", markup=False)
    elif active:
        out().print(f"Enabled '{username}': they may sign in again.", markup=False)
    else:
        out().print(
            f"Disabled '{username}': their web sessions have ended and their API tokens are "
            "refused.",
            markup=False,
        )


@app.command()
def disable(
    ctx: typer.Context, username: str = typer.Argument(..., help="The user to disable.")
) -> None:
    """Disable a user: no sign-in, every web session ended, every API token refused.

    Nothing is deleted; 'kassa users enable' undoes it.
    """
    _set_active(ctx, username, False)


@app.command()
def enable(
    ctx: typer.Context, username: str = typer.Argument(..., help="The user to enable.")
) -> None:
    """Enable a disabled user again (their API tokens work again unless revoked)."""
    _set_active(ctx, username, True)


@app.command()
def unlock(
    ctx: typer.Context,
    username: str | None = typer.Argument(None, help="The user whose sign-in lock to lift."),
    address: str | None = typer.Option(
        None, "--address", help="Lift the lock of a client address instead (as 'lockouts' shows)."
    ),
) -> None:
    """Lift the lock that failed sign-ins put on a user (or on a client address)."""
    if (username is None) == (address is None):
        raise typer.BadParameter("give either a USERNAME or --address", param_hint="USERNAME")
    db = state(ctx).database()
    with db.transaction() as session:
        if username is not None:
            service.get_user_by_name(session, username)
            scope, key = ThrottleScope.USER, username
        else:
            assert address is not None
            scope, key = ThrottleScope.ADDRESS, address
        lifted = throttle.lift(session, CLI_ACTOR, scope, key)
    shown = f"'{username}'" if username is not None else f"address {address}"
    if lifted:
        out().print(f"Unlocked {shown}: its failed sign-ins are forgotten.", markup=False)
    else:
        out().print(
            f"{shown[0].upper()}{shown[1:]} has no failed sign-ins to forget.", markup=False
        )


@app.command()
def lockouts(ctx: typer.Context) -> None:
    """List the usernames and client addresses that failed sign-ins have locked."""
    db = state(ctx).database()
    result = table("Kind", "Username or address", "Failures", "Locked until", right=("Failures",))
    with db.reading() as session:
        found = throttle.lockouts(session)
    for lock in found:
        result.add_row(*row(lock.scope, lock.key, lock.failures, when(lock.locked_until)))
    if found:
        out().print(result)
    else:
        out().print("Nothing is locked.", markup=False)
