"""Billing runs: the log of runs, and Run billing now."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from kassa.auth.actor import Actor, Permission
from kassa.auth.service import usernames
from kassa.billing import queries, runs
from kassa.billing.run_status import shown_status
from kassa.core.clock import as_utc, utcnow
from kassa.core.errors import KassaError, ValidationFailed
from kassa.core.vocabulary import BillingRunStatus, BillingRunTrigger
from kassa.db.engine import DbSession
from kassa.db.models import BillingRun
from kassa.web.customer_form import LOCAL_DATETIME_RE
from kassa.web.errors import WebProblem, problem_for
from kassa.web.forms import FormView, text
from kassa.web.render import redirect, render
from kassa.web.routing import web_router
from kassa.web.session import CheckedForm, Reader, database, flash, require

router = web_router()
Biller = Depends(require(Permission.MOVE_MONEY))
PAGE_SIZE = 25
TRIGGERS: dict[str, str] = {
    BillingRunTrigger.WEB: "Web UI",
    BillingRunTrigger.API: "API",
    BillingRunTrigger.CLI: "Command line",
    BillingRunTrigger.SCHEDULER: "Schedule",
}


def _minute(moment: datetime) -> str:
    return as_utc(moment).strftime("%Y-%m-%d %H:%M")


def _finished(run: BillingRun) -> str:
    """The time of day when the run ended the day it started, else the full date."""
    if run.finished_at is None:
        return "—"
    started, finished = as_utc(run.started_at), as_utc(run.finished_at)
    if finished.date() == started.date():
        return finished.strftime("%H:%M:%S")
    return finished.strftime("%Y-%m-%d %H:%M:%S")


def _progress(run: BillingRun) -> str:
    """How far a running run has got, in customers."""
    if run.status != BillingRunStatus.RUNNING or run.customers_total is None:
        return ""
    return f"{run.customers_done:,} of {run.customers_total:,} customers"


def _page(session: DbSession, cursor: str) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first, keyset-paged on the run id."""
    found, next_cursor = queries.list_billing_runs(
        session, limit=PAGE_SIZE, cursor=cursor or None, newest_first=True
    )
    names = usernames(session, {r.user_id for r in found if r.user_id is not None})
    now = utcnow()
    rows = [
        {
            "run": run,
            "status": shown_status(run, now),
            "progress": _progress(run),
            "as_of": _minute(run.as_of),
            "started": _minute(run.started_at),
            "finished": _finished(run),
            "trigger": TRIGGERS.get(run.triggered_by, run.triggered_by),
            "user": names.get(run.user_id) if run.user_id is not None else None,
        }
        for run in found
    ]
    return rows, next_cursor


def _runs_page(
    request: Request,
    form: FormView | None = None,
    cursor: str = "",
    done: str = "",
    status_code: int = 200,
    confirm_ahead: bool = False,
) -> Response:
    with database(request).reading() as session:
        rows, next_cursor = _page(session, cursor)
    return render(
        request,
        "billing/runs.html",
        {
            "rows": rows,
            "form": form or FormView(),
            "cursor": cursor,
            "next_cursor": next_cursor,
            "done": done,
            "confirm_ahead": confirm_ahead,
        },
        status_code=status_code,
    )


@router.get("/billing-runs", response_class=HTMLResponse)
def billing_runs(request: Request, cursor: str = "", run: str = "", _: Actor = Reader) -> Response:
    return _runs_page(request, cursor=cursor, done=run)


def parse_as_of(raw: str) -> datetime | None:
    """What a datetime-local input sends, read as UTC; blank is now."""
    if not raw:
        return None
    if not LOCAL_DATETIME_RE.match(raw):
        raise ValidationFailed.field("as_of", "Enter a date and time, e.g. 2026-12-01T06:00")
    try:
        return datetime.fromisoformat(raw).replace(tzinfo=UTC)
    except ValueError as exc:
        raise ValidationFailed.field("as_of", "is not a valid date and time") from exc


@router.post("/billing-runs", response_class=HTMLResponse)
def run_billing_now(
    request: Request, actor: Actor = Biller, form: FormData = CheckedForm
) -> Response:
    values = {"as_of": text(form, "as_of"), "bill_ahead": text(form, "bill_ahead")}
    settings = request.app.state.settings
    problem: WebProblem
    try:
        as_of = parse_as_of(values["as_of"])
        now = utcnow()
        runs.check_as_of(as_of, now, settings.billing_horizon_days)
        ahead = runs.far_ahead_days(as_of, now)
        if as_of is not None and ahead is not None and not values["bill_ahead"]:
            return _confirm_far_ahead(request, values, as_of, ahead)
        summary = runs.run_billing(
            database(request),
            actor,
            as_of,
            triggered_by=BillingRunTrigger.WEB,
            number_format=settings.invoice_number_format,
            horizon_days=settings.billing_horizon_days,
            lease_seconds=settings.billing_run_lease_seconds,
        )
    except KassaError as exc:
        problem = problem_for(exc)
    else:
        flash(
            request,
            f"Billing run #{summary.id} finished as of "
            f"{summary.as_of.strftime('%Y-%m-%d %H:%M UTC')}: "
            f"{summary.periods_closed} period{'s' if summary.periods_closed != 1 else ''} closed, "
            f"{summary.invoices_issued} invoice{'s' if summary.invoices_issued != 1 else ''} "
            f"issued, {summary.invoices_overdue} newly overdue, "
            f"{summary.customers_suspended} customer"
            f"{'s' if summary.customers_suspended != 1 else ''} suspended.",
        )
        return redirect(f"/billing-runs?run={summary.id}")
    view = FormView.failed(values, problem, {"as_of"})
    return _runs_page(request, view, status_code=problem.status)


def _confirm_far_ahead(
    request: Request, values: dict[str, str], as_of: datetime, days: int
) -> Response:
    """Nothing runs yet: the form comes back saying what such a run would do."""
    with database(request).reading() as session:
        due = runs.count_due(session, as_of)
    customers = f"{due} customer has" if due == 1 else f"{due} customers have"
    message = (
        f"{as_of.strftime('%Y-%m-%d %H:%M')} UTC is {days} days ahead. Every billing period that "
        f"ends before it closes now and is invoiced now: {customers} a period ending by then, "
        "and a monthly customer gets about one invoice per month ahead. Tick “Yes, bill ahead” "
        "and run again to go on."
    )
    view = FormView(
        values=values,
        errors={"as_of": message},
        message="Nothing has run yet: confirm a run this far ahead.",
    )
    return _runs_page(request, view, status_code=422, confirm_ahead=True)
