"""Billing runs: close every period that ended before ``as_of``, then apply collection.

A run walks the due customers in id order, a batch per transaction. Runs may overlap or be
killed: each batch locks and re-checks its customers, so nothing closes twice, and the next
run finishes whatever a dead one left.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from kassa.auth import audit
from kassa.auth.actor import SYSTEM, Actor
from kassa.billing.close import close_batch
from kassa.billing.collection import run_collection
from kassa.billing.numbering import check_format
from kassa.core.clock import utcnow
from kassa.core.errors import NotFound, ValidationFailed
from kassa.db.engine import Database
from kassa.db.models import AppSetting, BillingRun, Customer

DEFAULT_BATCH = 500
# A run this far ahead of now issues invoices for periods that have not happened yet; the web
# form asks the operator to confirm it (a mistyped year would bill decades at once).
FAR_AHEAD = timedelta(days=31)
LEASE_KEY = "billing_scheduler_lease"
# A run still "running" this long after it started is taken for dead.
STALE_AFTER = timedelta(hours=6)

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RunSummary:
    id: int
    as_of: datetime
    status: str
    periods_closed: int
    invoices_issued: int
    invoices_overdue: int
    customers_suspended: int
    started_at: datetime
    finished_at: datetime | None


def check_as_of(as_of: datetime | None) -> datetime:
    if as_of is None:
        return utcnow()
    if as_of.tzinfo is None:
        raise ValidationFailed.field("as_of", "must include a time zone offset, e.g. Z")
    return as_of


def far_ahead_days(as_of: datetime | None, now: datetime) -> int | None:
    """How many days ahead of ``now`` a run as of ``as_of`` is, when more than ``FAR_AHEAD``;
    None for any nearer run (and for a run as of now)."""
    if as_of is None or as_of - now <= FAR_AHEAD:
        return None
    return (as_of - now).days


def count_due(session: Session, as_of: datetime) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(Customer).where(Customer.period_end_at <= as_of)
        )
        or 0
    )


def _due_ids(session: Session, as_of: datetime, after_id: int, limit: int) -> list[int]:
    return list(
        session.scalars(
            select(Customer.id)
            .where(Customer.period_end_at <= as_of, Customer.id > after_id)
            .order_by(Customer.id)
            .limit(limit)
        )
    )


def run_billing(
    db: Database,
    actor: Actor | None,
    as_of: datetime | None = None,
    *,
    triggered_by: str = "api",
    number_format: str = "INV-{year}-{seq:06}",
    batch_size: int = DEFAULT_BATCH,
    progress: Progress | None = None,
) -> RunSummary:
    """Run the whole billing as of ``as_of`` (default now); owns its transactions."""
    as_of = check_as_of(as_of)
    check_format(number_format)
    started = utcnow()
    with db.transaction() as session:
        session.execute(
            update(BillingRun)
            .where(BillingRun.status == "running", BillingRun.started_at < started - STALE_AFTER)
            .values(status="failed", error="did not finish", finished_at=started)
        )
        run_id = session.execute(
            insert(BillingRun)
            .values(
                as_of=as_of,
                status="running",
                triggered_by=triggered_by,
                user_id=actor.user_id if actor else None,
                periods_closed=0,
                invoices_issued=0,
                started_at=started,
            )
            .returning(BillingRun.id)
        ).scalar_one()
        audit.record(
            session,
            actor or SYSTEM,
            "create",
            "billing_run",
            run_id,
            after={"as_of": as_of.isoformat(), "triggered_by": triggered_by},
        )
    with db.reading() as session:
        total = count_due(session, as_of)
    closed = issued = done = 0
    after = 0
    try:
        while True:
            with db.reading() as session:
                ids = _due_ids(session, as_of, after, batch_size)
            if not ids:
                break
            with db.transaction() as session:
                result = close_batch(
                    session,
                    customer_ids=ids,
                    as_of=as_of,
                    run_id=run_id,
                    number_format=number_format,
                    user_id=actor.user_id if actor else None,
                )
                session.execute(
                    update(BillingRun)
                    .where(BillingRun.id == run_id)
                    .values(
                        periods_closed=BillingRun.periods_closed + result.periods_closed,
                        invoices_issued=BillingRun.invoices_issued + result.invoices_issued,
                    )
                )
            closed += result.periods_closed
            issued += result.invoices_issued
            done += len(ids)
            after = ids[-1]
            if progress:
                progress(min(done, total), total)
        collected = run_collection(db, as_of, batch_size=batch_size)
        overdue, suspended = collected.overdue, collected.suspended
    except Exception as exc:
        with db.transaction() as session:
            session.execute(
                update(BillingRun)
                .where(BillingRun.id == run_id)
                .values(status="failed", error=str(exc)[:2000], finished_at=utcnow())
            )
        raise
    finished = utcnow()
    with db.transaction() as session:
        session.execute(
            update(BillingRun)
            .where(BillingRun.id == run_id)
            .values(status="finished", finished_at=finished)
        )
    return RunSummary(
        id=run_id,
        as_of=as_of,
        status="finished",
        periods_closed=closed,
        invoices_issued=issued,
        invoices_overdue=overdue,
        customers_suspended=suspended,
        started_at=started,
        finished_at=finished,
    )


def get_run(session: Session, run_id: int) -> BillingRun:
    run = session.get(BillingRun, run_id)
    if run is None:
        raise NotFound(f"billing run {run_id} does not exist", code="billing_run_not_found")
    return run


def take_scheduler_lease(session: Session, owner: str, seconds: int) -> bool:
    """One process at a time runs the scheduled billing: it holds a lease row that expires,
    so a process that dies hands the job on without anyone cleaning up."""
    now = utcnow()
    until = (now + timedelta(seconds=seconds)).isoformat()
    row = session.get(AppSetting, LEASE_KEY, with_for_update=True)
    if row is None:
        session.add(AppSetting(key=LEASE_KEY, value=f"{owner} {until}"))
        session.flush()
        return True
    holder, _, expires = row.value.partition(" ")
    if holder != owner and expires and datetime.fromisoformat(expires) > now:
        return False
    row.value = f"{owner} {until}"
    return True
