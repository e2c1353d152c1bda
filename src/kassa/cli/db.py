"""``kassa db``: the schema, from the migrations."""

from __future__ import annotations

import typer

from kassa.bootstrap import seed_reference_data
from kassa.cli.context import out, state
from kassa.db import migrate
from kassa.db.urls import shown_url, sqlite_file

app = typer.Typer(
    help="Database schema: apply the migrations, show the current revision.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)


@app.command()
def upgrade(ctx: typer.Context) -> None:
    """Migrate the database to the latest schema and add missing reference data.

    The reference data are the currencies, the business models and the Default customer class.
    Safe to run again.
    """
    db = state(ctx).open_database()
    before = migrate.current_revision(db.engine)
    migrate.upgrade(db.engine)
    after = migrate.current_revision(db.engine)
    with db.transaction() as session:
        seed_reference_data(session)
    note = " (already up to date)" if before == after else ""
    out().print(
        f"Database {shown_url(db.url)} upgraded from {before or 'empty'} to {after}{note}.",
        markup=False,
    )


@app.command()
def current(ctx: typer.Context) -> None:
    """Show the database's schema revision and whether it is the latest."""
    cli = state(ctx)
    url = cli.settings().database_url
    path = sqlite_file(url)
    console = out()
    if path is not None and not path.exists():
        console.print(f"No database at {path} yet: run 'kassa db upgrade'.", markup=False)
        return
    db = cli.open_database()
    revision = migrate.current_revision(db.engine)
    head = migrate.head_revision(db.engine)
    if revision is None:
        console.print(
            f"empty (no Kassa schema; latest is {head}): run 'kassa db upgrade'.", markup=False
        )
    elif revision == head:
        console.print(f"{revision} (latest)", markup=False)
    else:
        console.print(f"{revision} (latest is {head}: run 'kassa db upgrade')", markup=False)
