"""Failures of the database itself, in words a user can act on (the CLI reports them)."""

from __future__ import annotations

from sqlalchemy.exc import ArgumentError, SQLAlchemyError


class DatabaseProblem(Exception):
    """The database cannot be used: its URL is malformed (``bad_url``), or the database
    refused or failed what was asked of it."""

    def __init__(self, message: str, *, bad_url: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.bad_url = bad_url


def database_problem(exc: BaseException) -> DatabaseProblem | None:
    """What ``exc`` says about the database, or None when it is not a database failure."""
    if isinstance(exc, ArgumentError):
        return DatabaseProblem(str(exc), bad_url=True)
    if isinstance(exc, SQLAlchemyError):
        # The driver's own words, first line only: the rest is SQL and parameters.
        cause = str(getattr(exc, "orig", None) or exc).strip()
        return DatabaseProblem(cause.splitlines()[0] if cause else type(exc).__name__)
    return None
