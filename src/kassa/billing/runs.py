"""Billing runs: close every period that ended before ``as_of``, then apply collection.

A run walks the due customers in id order, a batch per transaction, and no transaction closes
more than ``PERIODS_PER_TRANSACTION`` periods (a customer far behind gets the rest in the next
ones): a run of any size is many short transactions, and a real-time call for a customer in
the run waits at most for one of them (see ``REAL_TIME_WAIT``). Runs may overlap or be
killed: each batch locks and re-checks its customers, so nothing closes twice, and the next
run finishes whatever a dead one left. Every transaction of a run renews its lease; a run
whose lease has lapsed is dead and is marked ``interrupted``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from kassa.auth import audit
from kassa.auth.actor import SYSTEM, Actor
from kassa.billing.close import CloseResult, close_batch
from kassa.billing.collection import run_collection
from kassa.billing.numbering import check_format
from kassa.billing.run_status import (
    DEFAULT_LEASE_SECONDS,
    INTERRUPTED_BY_USER,
    STOPPED_ON_SHUTDOWN,
    end_run,
    expire_lapsed_runs,
    renew_lease,
)
from kassa.core.clock import utcnow
from kassa.core.errors import NotFound, ValidationFailed
from kassa.core.vocabulary import BillingRunStatus, BillingRunTrigger
from kassa.db.engine import Database
from kassa.db.models import AppSetting, BillingRun, Customer
from kassa.subscriptions.runs import post_all_due

# Customers per batch: each batch is one transaction, or more for customers far behind.
DEFAULT_BATCH = 500
# The most periods one transaction closes (or one per customer of a larger batch): with their
# invoices, lines and taxes some 0.2-0.5 s on a small, busy machine.
PERIODS_PER_TRANSACTION = 500
# The longest a real-time call (reserve, extend, commit, release, a payment) for a customer in
# a run waits for it, on a loaded 2-core machine: one transaction of the run, with room to spare.
REAL_TIME_WAIT = timedelta(seconds=1)
# A run this far ahead of now issues invoices for periods that have not happened yet; the web
# form and the CLI ask the operator to confirm it (a mistyped year would bill decades at once).
FAR_AHEAD = timedelta(days=31)
# No run goes further ahead than this many days (KASSA_BILLING_HORIZON_DAYS).
DEFAULT_HORIZON_DAYS = 366
LEASE_KEY = "billing_scheduler_lease"

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


@dataclass(frozen=True)
class StartedRun:
    """A run whose row exists: what carrying it out needs."""

    id: int
    as_of: datetime
    started_at: datetime
    customers_total: int
    number_format: str
    user_id: int | None
    lease: timedelta


def check_as_of(
    as_of: datetime | None, now: datetime, horizon_days: int = DEFAULT_HORIZON_DAYS
) -> datetime:
    """The run's instant: ``as_of`` (default now), never more than the horizon ahead."""
    if as_of is None:
        return now
    if as_of.tzinfo is None:
        raise ValidationFailed.field("as_of", "must include a time zone offset, e.g. Z")
    if as_of - now > timedelta(days=horizon_days):
        raise ValidationFailed.field(
            "as_of",
            f"is {(as_of - now).days} days ahead; a billing run may go at most "
            f"{horizon_days} days ahead of now (KASSA_BILLING_HORIZON_DAYS)",
            code="billing_horizon_exceeded",
        )
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


def start_run(
    db: Database,
    actor: Actor | None,
    as_of: datetime | None = None,
    *,
    triggered_by: str = BillingRunTrigger.API,
    number_format: str = "INV-{year}-{seq:06}",
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    lease_seconds: int = DEFAULT_LEASE_SECONDS,
) -> StartedRun:
    """Check the input and record the run as running (owns its transaction); nothing is
    written when the input is refused. Runs whose lease has lapsed are marked interrupted."""
    started = utcnow()
    as_of = check_as_of(as_of, started, horizon_days)
    check_format(number_format)
    lease = timedelta(seconds=lease_seconds)
    with db.reading() as session:
        total = count_due(session, as_of)
    with db.transaction() as session:
        expire_lapsed_runs(session, started)
        run_id = session.execute(
            insert(BillingRun)
            .values(
                as_of=as_of,
                status=BillingRunStatus.RUNNING,
                triggered_by=triggered_by,
                user_id=actor.user_id if actor else None,
                periods_closed=0,
                invoices_issued=0,
                customers_total=total,
                customers_done=0,
                lease_expires_at=started + lease,
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
    return StartedRun(
        id=run_id,
        as_of=as_of,
        started_at=started,
        customers_total=total,
        number_format=number_format,
        user_id=actor.user_id if actor else None,
        lease=lease,
    )


def carry_out(
    db: Database,
    run: StartedRun,
    *,
    batch_size: int = DEFAULT_BATCH,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
) -> RunSummary:
    """Close the run's periods and apply collection, in short transactions of its own. With
    ``stop`` set, the run ends ``interrupted`` after its current transaction."""
    tally = CloseResult()

    def renewed(session: Session) -> bool:
        # Fee posting and collection may take a while: each batch keeps the run alive.
        renew_lease(session, run.id, utcnow() + run.lease)
        return not _stopped(stop)

    try:
        # Subscription fees due in the open periods first, then those of the periods being
        # closed (posted by the close, on their periods), then those of the periods it opened.
        fees = post_all_due(db, run.as_of, batch_size=batch_size, in_each_batch=renewed)
        if not fees.complete or not _close_periods(db, run, tally, batch_size, progress, stop):
            return _ended(db, run, tally, BillingRunStatus.INTERRUPTED, STOPPED_ON_SHUTDOWN)
        fees = post_all_due(db, run.as_of, batch_size=batch_size, in_each_batch=renewed)
        if not fees.complete or _stopped(stop):
            return _ended(db, run, tally, BillingRunStatus.INTERRUPTED, STOPPED_ON_SHUTDOWN)

        collected = run_collection(db, run.as_of, batch_size=batch_size, in_each_batch=renewed)
        if not collected.complete:
            return _ended(db, run, tally, BillingRunStatus.INTERRUPTED, STOPPED_ON_SHUTDOWN)
        overdue, suspended = collected.overdue, collected.suspended
    except KeyboardInterrupt:
        _ended(db, run, tally, BillingRunStatus.INTERRUPTED, INTERRUPTED_BY_USER)
        raise
    except Exception as exc:
        _ended(db, run, tally, BillingRunStatus.FAILED, str(exc)[:2000])
        raise
    return _ended(
        db, run, tally, BillingRunStatus.FINISHED, None, overdue=overdue, suspended=suspended
    )


def _stopped(stop: threading.Event | None) -> bool:
    return stop is not None and stop.is_set()


def _close_periods(
    db: Database,
    run: StartedRun,
    tally: CloseResult,
    batch_size: int,
    progress: Progress | None,
    stop: threading.Event | None,
) -> bool:
    """Close every due period, a batch of customers at a time, each batch in as many bounded
    transactions as its customers need; adds to ``tally``. False when stopped before the end."""
    done = 0
    after = 0
    while True:
        with db.reading() as session:
            ids = _due_ids(session, run.as_of, after, batch_size)
        if not ids:
            return True
        pending = ids
        while pending:
            if _stopped(stop):
                return False
            with db.transaction() as session:
                result = close_batch(
                    session,
                    customer_ids=pending,
                    as_of=run.as_of,
                    run_id=run.id,
                    number_format=run.number_format,
                    max_periods=max(batch_size, PERIODS_PER_TRANSACTION),
                    user_id=run.user_id,
                )
                renew_lease(
                    session,
                    run.id,
                    utcnow() + run.lease,
                    periods_closed=result.periods_closed,
                    invoices_issued=result.invoices_issued,
                    customers_done=min(
                        done + len(ids) - len(result.unfinished), run.customers_total
                    ),
                )
            tally.periods_closed += result.periods_closed
            tally.invoices_issued += result.invoices_issued
            pending = result.unfinished
            db.make_way_for_writers()
        done += len(ids)
        after = ids[-1]
        if progress:
            progress(min(done, run.customers_total), run.customers_total)


def _ended(
    db: Database,
    run: StartedRun,
    tally: CloseResult,
    status: BillingRunStatus,
    error: str | None,
    *,
    overdue: int = 0,
    suspended: int = 0,
) -> RunSummary:
    finished = utcnow()
    collected = status == BillingRunStatus.FINISHED
    with db.transaction() as session:
        end_run(
            session,
            run.id,
            status,
            finished,
            error=error,
            invoices_overdue=overdue if collected else None,
            customers_suspended=suspended if collected else None,
        )
    return RunSummary(
        id=run.id,
        as_of=run.as_of,
        status=status,
        periods_closed=tally.periods_closed,
        invoices_issued=tally.invoices_issued,
        invoices_overdue=overdue,
        customers_suspended=suspended,
        started_at=run.started_at,
        finished_at=finished,
    )


def run_billing(
    db: Database,
    actor: Actor | None,
    as_of: datetime | None = None,
    *,
    triggered_by: str = BillingRunTrigger.API,
    number_format: str = "INV-{year}-{seq:06}",
    batch_size: int = DEFAULT_BATCH,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    lease_seconds: int = DEFAULT_LEASE_SECONDS,
    progress: Progress | None = None,
) -> RunSummary:
    """Run the whole billing as of ``as_of`` (default now); owns its transactions."""
    run = start_run(
        db,
        actor,
        as_of,
        triggered_by=triggered_by,
        number_format=number_format,
        horizon_days=horizon_days,
        lease_seconds=lease_seconds,
    )
    return carry_out(db, run, batch_size=batch_size, progress=progress)


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
