"""What every command shares: settings, the database, the acting user and the consoles."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

import typer
from rich.console import Console

from kassa.auth.actor import Actor
from kassa.core.settings import Settings
from kassa.core.vocabulary import Role
from kassa.db import migrate
from kassa.db.engine import Database
from kassa.db.urls import shown_url, sqlite_file

# Whoever can run the CLI can read the database file or URL, so the shell acts as an admin.
CLI_ACTOR = Actor(user_id=None, username="cli", role=Role.ADMIN)
# Piped output (files, CI logs) has no terminal width; wide enough that tables stay one line.
PIPED_WIDTH = 160


class CliProblem(Exception):
    """A problem with the environment rather than with the input: no schema, a bad setting."""

    def __init__(self, message: str, *, hint: str | None = None, exit_code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.exit_code = exit_code


def _console(stderr: bool) -> Console:
    console = Console(stderr=stderr, highlight=False, soft_wrap=True)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = PIPED_WIDTH
    return console


def out() -> Console:
    return _console(stderr=False)


def err() -> Console:
    return _console(stderr=True)


@dataclass
class CliState:
    database_url: str | None = None
    _db: Database | None = None

    def settings(self) -> Settings:
        try:
            settings = Settings.from_env()
        except ValueError as exc:
            raise CliProblem(str(exc)) from exc
        if self.database_url:
            settings = replace(settings, database_url=self.database_url)
        return settings

    def open_database(self, settings: Settings | None = None) -> Database:
        """The database as it is, schema or not (for ``serve`` and ``db``)."""
        if self._db is None:
            self._db = Database.from_settings(settings or self.settings())
        return self._db

    def database(self) -> Database:
        """The database, once it is known to carry the schema this Kassa expects."""
        settings = self.settings()
        path = sqlite_file(settings.database_url)
        if path is not None and not path.exists():
            # Opening it would leave an empty file behind.
            raise CliProblem(
                f"there is no database at {path}",
                hint="run 'kassa db upgrade' (or 'kassa serve') to create it, "
                "or point --database-url at an existing one",
            )
        db = self.open_database(settings)
        current = migrate.current_revision(db.engine)
        head = migrate.head_revision(db.engine)
        if current is None:
            raise CliProblem(
                f"the database {shown_url(db.url)} has no Kassa schema yet",
                hint="run 'kassa db upgrade' (or 'kassa serve') first",
            )
        if current != head:
            raise CliProblem(
                f"the database is at schema revision {current}; this Kassa needs {head}",
                hint="run 'kassa db upgrade'",
            )
        return db

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()
            self._db = None


def state(ctx: typer.Context) -> CliState:
    found = ctx.find_object(CliState)
    if found is None:
        found = ctx.ensure_object(CliState)
    return found
