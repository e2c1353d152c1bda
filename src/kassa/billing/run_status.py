"""A billing run's row while it runs and after: its lease, progress and end.

A run's every transaction renews its lease (``lease_expires_at``). A process that dies, is
killed or loses its database stops renewing it; once the lease has lapsed the run is
``interrupted``: readers show it so at once, and the next run records it. A run that was only
slow (a step longer than its lease) renews the lease again and is ``running`` once more.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from kassa.core.vocabulary import BillingRunStatus
from kassa.db.models import BillingRun

# How long a run stays alive without a transaction (KASSA_BILLING_RUN_LEASE_SECONDS): each of
# its transactions takes well under a second, so only a dead run goes this long without one.
DEFAULT_LEASE_SECONDS = 60
LAPSED = (
    "interrupted: the run stopped renewing its lease before it finished (its process died or "
    "was killed); the next run completes its work"
)
STOPPED_ON_SHUTDOWN = (
    "interrupted: the server shut down before the run finished; the next run completes its work"
)
INTERRUPTED_BY_USER = "interrupted by the user; the next run completes its work"


def shown_status(run: BillingRun, now: datetime) -> BillingRunStatus:
    """The run's status as readers see it: a running run whose lease has lapsed is dead even
    before the next run records it."""
    running = run.status == BillingRunStatus.RUNNING
    if running and run.lease_expires_at is not None and run.lease_expires_at < now:
        return BillingRunStatus.INTERRUPTED
    return BillingRunStatus(run.status)


def expire_lapsed_runs(session: Session, now: datetime) -> int:
    """Mark interrupted the running runs whose lease has lapsed; returns how many."""
    result = session.execute(
        update(BillingRun)
        .where(BillingRun.status == BillingRunStatus.RUNNING, BillingRun.lease_expires_at < now)
        .values(
            status=BillingRunStatus.INTERRUPTED,
            error=LAPSED,
            finished_at=now,
            lease_expires_at=None,
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def renew_lease(
    session: Session,
    run_id: int,
    until: datetime,
    *,
    periods_closed: int = 0,
    invoices_issued: int = 0,
    customers_done: int | None = None,
) -> None:
    """Renew the run's lease, adding what its transaction closed and issued."""
    values: dict[str, object] = {
        "status": BillingRunStatus.RUNNING,
        "error": None,
        "finished_at": None,
        "lease_expires_at": until,
    }
    if periods_closed:
        values["periods_closed"] = BillingRun.periods_closed + periods_closed
    if invoices_issued:
        values["invoices_issued"] = BillingRun.invoices_issued + invoices_issued
    if customers_done is not None:
        values["customers_done"] = customers_done
    session.execute(update(BillingRun).where(BillingRun.id == run_id).values(**values))


def end_run(
    session: Session,
    run_id: int,
    status: BillingRunStatus,
    finished_at: datetime,
    *,
    error: str | None = None,
    invoices_overdue: int | None = None,
    customers_suspended: int | None = None,
) -> None:
    values: dict[str, object] = {
        "status": status,
        "error": error,
        "finished_at": finished_at,
        "lease_expires_at": None,
        "invoices_overdue": invoices_overdue,
        "customers_suspended": customers_suspended,
    }
    if status == BillingRunStatus.FINISHED:
        values["customers_done"] = BillingRun.customers_total
    session.execute(update(BillingRun).where(BillingRun.id == run_id).values(**values))
