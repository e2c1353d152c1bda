"""``kassa bill-run``: close every billing period that has ended, issue invoices, collect."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from kassa.billing.numbering import check_format
from kassa.billing.runs import (
    DEFAULT_BATCH,
    FAR_AHEAD,
    PERIODS_PER_TRANSACTION,
    check_as_of,
    far_ahead_days,
    run_billing,
)
from kassa.cli.context import CLI_ACTOR, CliProblem, err, out, state
from kassa.cli.tables import fields, when
from kassa.core.clock import instant_in_utc, utcnow
from kassa.core.vocabulary import BillingRunTrigger

EXIT_INTERRUPTED = 130
AS_OF_EXAMPLE = "2026-12-01T06:00:00Z"


def parse_as_of(value: str | None) -> datetime | None:
    if value is None:
        return None
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"'{value}' is not a date and time; use ISO 8601 with a zone, e.g. {AS_OF_EXAMPLE}",
            param_hint="--as-of",
        ) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise typer.BadParameter(
            f"'{value}' has no time zone; add one, e.g. {AS_OF_EXAMPLE}", param_hint="--as-of"
        )
    try:
        return instant_in_utc(parsed)
    except ValueError as exc:
        raise typer.BadParameter(f"'{value}' {exc}", param_hint="--as-of") from None


def _confirm_far_ahead(days: int) -> None:
    """A run far ahead issues invoices for periods that have not happened yet: asked first."""
    what = (
        f"--as-of is {days} days ahead: every billing period that ends before it closes and is "
        "invoiced now"
    )
    if not sys.stdin.isatty():
        raise CliProblem(f"{what}.", hint="add --yes to run it anyway")
    if not typer.confirm(f"{what}. Go on?", err=True):
        raise typer.Exit(1)


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.2f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


def bill_run(
    ctx: typer.Context,
    as_of: str | None = typer.Option(
        None,
        "--as-of",
        help="Close the periods that ended before this instant, ISO 8601 with a zone "
        f"(e.g. {AS_OF_EXAMPLE}). Default: now. A later instant closes periods early, up to "
        "KASSA_BILLING_HORIZON_DAYS (default 366) days ahead.",
    ),
    batch_size: int = typer.Option(
        DEFAULT_BATCH,
        "--batch-size",
        min=1,
        max=100_000,
        help="Customers per database transaction, when closing periods and then in collection. "
        f"A transaction closes at most {PERIODS_PER_TRANSACTION} periods (or one per customer of "
        "a larger batch): a customer far behind gets the rest in the next ones.",
    ),
    yes: bool = typer.Option(
        False,
        "--yes",
        "-y",
        help=f"Run without asking when --as-of is more than {FAR_AHEAD.days} days ahead "
        "(needed when not run from a terminal).",
    ),
) -> None:
    """Run the billing: close every billing period that ended before --as-of (once, even if
    another run overlaps or an earlier one was killed), issue its invoice, then mark unpaid
    invoices overdue and suspend customers as their classes say.

    Prints a progress bar on the terminal and a summary at the end.
    """
    moment = parse_as_of(as_of)
    cli = state(ctx)
    settings = cli.settings()
    now = utcnow()
    check_as_of(moment, now, settings.billing_horizon_days)
    ahead = far_ahead_days(moment, now)
    if ahead is not None and not yes:
        _confirm_far_ahead(ahead)
    try:
        check_format(settings.invoice_number_format)
    except ValueError as exc:
        raise CliProblem(
            f"KASSA_INVOICE_NUMBER_FORMAT: {exc}", hint="e.g. INV-{year}-{seq:06}"
        ) from exc
    db = cli.database()
    started = time.monotonic()
    progress = Progress(
        SpinnerColumn(),
        TextColumn("[bold]Billing[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("customers"),
        TimeElapsedColumn(),
        console=err(),
    )
    try:
        with progress:
            task = progress.add_task("billing", total=None)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            summary = run_billing(
                db,
                CLI_ACTOR,
                moment,
                triggered_by=BillingRunTrigger.CLI,
                number_format=settings.invoice_number_format,
                batch_size=batch_size,
                horizon_days=settings.billing_horizon_days,
                lease_seconds=settings.billing_run_lease_seconds,
                progress=advance,
            )
            task_total = progress.tasks[0].total or 0
            progress.update(task, completed=task_total, total=task_total)
    except KeyboardInterrupt:
        err().print(
            "Interrupted. What was closed stays closed; the run is marked interrupted and the "
            "next run completes the rest.",
            markup=False,
        )
        raise typer.Exit(EXIT_INTERRUPTED) from None
    elapsed = time.monotonic() - started
    out().print(f"Billing run {summary.id} finished.", markup=False)
    out().print(
        fields(
            [
                ("As of", when(summary.as_of.astimezone(UTC))),
                ("Periods closed", summary.periods_closed),
                ("Invoices issued", summary.invoices_issued),
                ("Invoices overdue", summary.invoices_overdue),
                ("Customers suspended", summary.customers_suspended),
                ("Duration", _duration(elapsed)),
            ]
        )
    )
