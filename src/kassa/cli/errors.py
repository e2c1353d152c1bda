"""The one place where failures become a red message and an exit code.

Exit codes: 0 done, 1 refused (invalid input, conflict, not found, database problem),
2 usage (an unknown option or a malformed value, reported by Click itself).
"""

from __future__ import annotations

from typing import Any

import typer
from pydantic import ValidationError
from rich.markup import escape
from typer.core import TyperGroup

from kassa.cli.context import CliProblem, err
from kassa.core.errors import FieldError, KassaError
from kassa.db.errors import DatabaseProblem, database_problem

EXIT_REFUSED = 1
EXIT_USAGE = 2

# Service errors name the fields of the API; a shell user also wants the option to fix.
OPTION_FOR_FIELD = {
    "name": "--name",
    "balance_control": "--balance-control",
    "currency": "--currency",
    "credit_limit": "--credit-limit",
    "available_funds": "--available-funds",
    "business_model_id": "--business-model",
    "customer_class_id": "--class",
    "billing_period": "--billing-period",
    "billing_timezone": "--timezone",
    "email": "--email",
    "status": "--status",
    "limit": "--limit",
    "cursor": "--cursor",
    "username": "USERNAME",
    "password": "--password",
    "role": "--role",
    "user": "--user",
    "as_of": "--as-of",
    "service": "--service",
    "unit": "--unit",
    "rating": "--rate",
    "description": "--description",
    "identifier": "--identifier",
    "product_id": "--product",
    "max_sessions": "--max-sessions",
    "reason": "--reason",
    "periodic_fee": "--periodic-fee",
    "activation_fee": "--activation-fee",
    "charged": "--charged",
    "prorate": "--prorate",
    "minimum_periods": "--minimum-periods",
    "cancellation_fee": "--cancellation-fee",
    "plan_id": "--plan",
    "account_id": "--account",
    "starts_at": "--starts-at",
    "ends_at": "--ends-at",
    "at": "--at",
}


def _option_for(field: str) -> str | None:
    if field.startswith("rating"):
        return "--rate"
    if field.startswith("custom_data."):
        return f"--custom {field.removeprefix('custom_data.')}=..."
    if field == "lines" or field.startswith("lines["):
        return "--line"
    return OPTION_FOR_FIELD.get(field)


def _pydantic_errors(exc: ValidationError) -> list[FieldError]:
    result = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error.get("loc", ())) or "input"
        message = str(error.get("msg", "is invalid")).removeprefix("Value error, ")
        if error.get("type") == "missing":
            message = "is required"
        result.append(FieldError(field, message))
    return result


def _print_fields(title: str, errors: list[FieldError]) -> None:
    console = err()
    console.print(f"[bold red]{escape(title)}:[/]")
    for item in errors:
        option = _option_for(item.field)
        where = f"{item.field} ({option})" if option else item.field
        console.print(f"[red]  {escape(where)}: {escape(item.message)}[/]")


def _print(message: str, hint: str | None = None) -> None:
    console = err()
    console.print(f"[bold red]Error:[/] [red]{escape(message)}[/]")
    if hint:
        console.print(f"  {escape(hint)}")


def report(exc: Exception) -> int:
    """Tell the user what went wrong; return the exit code."""
    if isinstance(exc, KassaError):
        if exc.errors:
            _print_fields(f"{exc.title} [{exc.code}]", exc.errors)
        else:
            _print(f"{exc.detail} [{exc.code}]")
        return EXIT_REFUSED
    if isinstance(exc, ValidationError):
        _print_fields("Invalid input", _pydantic_errors(exc))
        return EXIT_REFUSED
    if isinstance(exc, CliProblem):
        _print(exc.message, exc.hint)
        return exc.exit_code
    if isinstance(exc, DatabaseProblem):
        if exc.bad_url:
            _print(
                f"--database-url: {exc.message}",
                "e.g. sqlite:///./kassa.db or postgresql+psycopg://...",
            )
            return EXIT_USAGE
        _print(f"database error: {exc.message}", "check --database-url / KASSA_DATABASE_URL")
        return EXIT_REFUSED
    raise exc


HANDLED = (KassaError, ValidationError, CliProblem, DatabaseProblem)


class KassaGroup(TyperGroup):
    """The root command: every subcommand runs inside its ``invoke``, so errors stop here."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except HANDLED as exc:
            raise typer.Exit(report(exc)) from None
        except Exception as exc:
            problem = database_problem(exc)
            if problem is None:
                raise
            raise typer.Exit(report(problem)) from None
