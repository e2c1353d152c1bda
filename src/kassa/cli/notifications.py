"""``kassa notifications``: deliver the outbox's emails and webhooks from the shell or cron."""

from __future__ import annotations

import time

import typer

from kassa.billing.credit_note_documents import credit_note_pdf
from kassa.billing.documents import invoice_pdf
from kassa.cli.context import err, out, state
from kassa.db.errors import database_problem
from kassa.notifications.delivery import Summary, deliver_once

DEFAULT_LOOP_SECONDS = 10

app = typer.Typer(
    help="Notifications: deliver emails and webhooks waiting in the outbox.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)


def _line(summary: Summary) -> str:
    return (
        f"{summary.events_fanned_out} events fanned out into {summary.deliveries_created} "
        f"deliveries; {summary.delivered} delivered, {summary.retrying} to retry later, "
        f"{summary.failed} failed for good."
    )


@app.command()
def deliver(
    ctx: typer.Context,
    loop: bool = typer.Option(
        False, "--loop", help="Keep delivering, one round every --interval seconds, until stopped."
    ),
    interval: int | None = typer.Option(
        None,
        "--interval",
        min=1,
        help="Seconds between rounds with --loop "
        f"(default: KASSA_NOTIFY_INTERVAL_SECONDS, or {DEFAULT_LOOP_SECONDS}).",
    ),
) -> None:
    """Fan out new events and attempt every delivery that is due.

    Safe to run from several places at once (cron, servers, a --loop): no event is delivered
    twice. Emails need KASSA_SMTP_HOST; webhooks go to the endpoints configured in the API.
    """
    cli = state(ctx)
    settings = cli.settings()
    db = cli.database()
    if not loop:
        out().print(
            _line(
                deliver_once(db, settings, invoice_pdf=invoice_pdf, credit_note_pdf=credit_note_pdf)
            ),
            markup=False,
        )
        return
    pause = interval or settings.notify_interval_seconds or DEFAULT_LOOP_SECONDS
    out().print(f"Delivering notifications every {pause} s; Ctrl+C stops.", markup=False)
    try:
        while True:
            try:
                summary = deliver_once(
                    db, settings, invoice_pdf=invoice_pdf, credit_note_pdf=credit_note_pdf
                )
                if summary:
                    out().print(_line(summary), markup=False)
            except Exception as exc:
                problem = database_problem(exc)
                if problem is None:
                    raise
                # A database restart should not end the loop; the next round tries again.
                err().print(f"database error: {problem.message}; retrying", markup=False)
            time.sleep(pause)
    except KeyboardInterrupt:
        out().print("Stopped.", markup=False)
