"""Billing runs that overlap or die halfway still close each period once, with gapless numbers.

The runs go through ``run_billing`` in threads and through ``kassa bill-run`` in separate
processes on the same database, as an operator's cron and a colleague at the shell would.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import typer
from sqlalchemy import func, select

from kassa.auth.actor import SYSTEM
from kassa.billing.postings import post_transaction
from kassa.billing.run_status import LAPSED
from kassa.billing.runs import LEASE_KEY, run_billing
from kassa.billing.scheduler import BillingScheduler
from kassa.cli.billing import parse_as_of
from kassa.core import periods
from kassa.core.clock import as_utc, utcnow
from kassa.core.settings import Settings
from kassa.customer_classes.schemas import CustomerClassIn, TaxationIn, TaxIn
from kassa.customer_classes.service import create_customer_class
from kassa.customers.schemas import CustomerIn
from kassa.customers.service import create_customer
from kassa.db.engine import Database
from kassa.db.models import AppSetting, BillingPeriod, BillingRun, Customer, Invoice, LedgerEntry
from kassa.ledger.schemas import TransactionIn
from tests.billing.numbers import assert_gapless
from tests.conftest import Api

KINDS = ("daily", "weekly", "semimonthly", "monthly", "monthly_anniversary", "thirty_days")
ZONES = ("UTC", "Europe/Prague", "America/New_York", "Asia/Tokyo", "Australia/Sydney")
# The `kassa` command of this interpreter's environment, whatever its bin folder.
KASSA = (sys.executable, "-m", "kassa.cli")
# Short, so that a killed run is found interrupted within seconds.
LEASE_SECONDS_IN_TESTS = 4
pytestmark = pytest.mark.slow


def _populate(db: Database, count: int, kinds: tuple[str, ...]) -> None:
    """Customers with an exclusive tax, so closing also posts ledger entries."""
    with db.transaction() as session:
        taxed = create_customer_class(
            session,
            SYSTEM,
            CustomerClassIn(
                name="Taxed",
                taxation=TaxationIn(taxes=[TaxIn(name="VAT", rate=Decimal("21"))]),
            ),
        )
        for i in range(count):
            customer = create_customer(
                session,
                SYSTEM,
                CustomerIn(
                    name=f"Robust {i}",
                    balance_control="postpaid",
                    currency="USD",
                    business_model_id=1,
                    customer_class_id=taxed.id,
                    billing_period=kinds[i % len(kinds)],
                    billing_timezone=ZONES[i % len(ZONES)],
                ),
            )
            post_transaction(
                session,
                SYSTEM,
                customer.id,
                TransactionIn(type="manual_charge", amount=Decimal(f"{1 + i % 7}.25")),
            )


def _expected_periods(db: Database, as_of: datetime) -> int:
    with db.reading() as session:
        rows = session.execute(
            select(Customer.billing_period, Customer.billing_timezone, Customer.created_at)
        ).all()
    return sum(
        len(list(periods.iter_periods(kind, zone, as_utc(created), as_of)))
        for kind, zone, created in rows
    )


def _check_closed_once(db: Database, as_of: datetime, expected: int) -> None:
    with db.reading() as session:
        closed = session.scalar(select(func.count()).select_from(BillingPeriod))
        distinct = session.scalar(
            select(func.count()).select_from(
                select(BillingPeriod.customer_id, BillingPeriod.start_at).distinct().subquery()
            )
        )
        still_due = session.scalar(
            select(func.count()).select_from(Customer).where(Customer.period_end_at <= as_of)
        )
        invoices = session.execute(select(Invoice.number, Invoice.billing_period_id)).all()
        without_invoice = session.scalar(
            select(func.count())
            .select_from(BillingPeriod)
            .where(BillingPeriod.invoice_id.is_(None))
        )
        ledger = dict(
            session.execute(
                select(LedgerEntry.customer_id, func.sum(LedgerEntry.amount_micros)).group_by(
                    LedgerEntry.customer_id
                )
            ).all()
        )
        balances = dict(session.execute(select(Customer.id, Customer.balance_micros)).all())
        taxes = session.scalar(
            select(func.count()).select_from(LedgerEntry).where(LedgerEntry.type == "tax")
        )
    assert closed == distinct == expected
    assert still_due == 0
    assert len(invoices) == expected and without_invoice == 0
    assert len({period for _, period in invoices}) == expected
    assert_gapless(number for number, _ in invoices)
    assert taxes == len(balances)  # one tax entry on each customer's first, charged period
    assert {c: int(ledger.get(c) or 0) for c in balances} == balances


def _kassa_env(database_url: str, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KASSA_")}
    env["KASSA_DATABASE_URL"] = database_url
    env.update({f"KASSA_{name.upper()}": value for name, value in settings.items()})
    return env


def _bill_run(
    database_url: str, as_of: datetime, batch_size: int, **settings: str
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            *KASSA,
            "bill-run",
            "--as-of",
            as_of.isoformat(),
            "--batch-size",
            str(batch_size),
            "--yes",
        ],
        env=_kassa_env(database_url, **settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _kill_mid_way(db: Database, victim: subprocess.Popen[str]) -> None:
    """SIGKILL ``victim`` once its run has closed some periods."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and victim.poll() is None:
        with db.reading() as session:
            closed = int(session.scalar(select(func.max(BillingRun.periods_closed))) or 0)
        if closed > 0:
            victim.send_signal(signal.SIGKILL)
            break
        time.sleep(0.02)
    victim.communicate(timeout=60)
    assert victim.returncode == -signal.SIGKILL, "the run ended before it could be killed"


def _as_of(days: int) -> datetime:
    return (utcnow() + timedelta(days=days)).replace(microsecond=0)


def test_overlapping_runs_in_threads_close_each_period_once(db: Database) -> None:
    _populate(db, 50, KINDS)
    as_of = _as_of(35)
    expected = _expected_periods(db, as_of)
    assert expected >= 150
    start = threading.Barrier(2)
    summaries = []
    failures: list[BaseException] = []

    def run() -> None:
        start.wait(timeout=30)
        try:
            summaries.append(run_billing(db, None, as_of, batch_size=3))
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not failures, failures
    assert sum(s.periods_closed for s in summaries) == expected
    assert sum(s.invoices_issued for s in summaries) == expected
    _check_closed_once(db, as_of, expected)


def test_two_bill_run_processes_at_once_close_each_period_once(
    db: Database, database_url: str
) -> None:
    _populate(db, 50, KINDS)
    as_of = _as_of(35)
    expected = _expected_periods(db, as_of)
    runs = [_bill_run(database_url, as_of, batch_size=3) for _ in range(2)]
    for proc in runs:
        stdout, stderr = proc.communicate(timeout=600)
        assert proc.returncode == 0, stderr
        assert "Periods closed" in stdout
    with db.reading() as session:
        finished = session.execute(
            select(BillingRun.status, BillingRun.periods_closed, BillingRun.triggered_by)
        ).all()
    assert [(status, by) for status, _, by in finished] == [("finished", "cli")] * 2
    assert sum(closed for _, closed, _ in finished) == expected
    _check_closed_once(db, as_of, expected)


def test_a_killed_bill_run_is_completed_by_the_next(db: Database, database_url: str) -> None:
    _populate(db, 80, ("daily",))
    as_of = _as_of(20)
    expected = _expected_periods(db, as_of)
    _kill_mid_way(db, _bill_run(database_url, as_of, batch_size=2))
    with db.reading() as session:
        (status, partial), *_ = session.execute(
            select(BillingRun.status, BillingRun.periods_closed)
        ).all()
        assert session.scalar(select(func.count()).select_from(BillingPeriod)) == partial
    assert status == "running" and 0 < partial < expected
    survivor = _bill_run(database_url, as_of, batch_size=2)
    _, stderr = survivor.communicate(timeout=600)
    assert survivor.returncode == 0, stderr
    with db.reading() as session:
        second = session.execute(
            select(BillingRun.status, BillingRun.periods_closed).order_by(BillingRun.id.desc())
        ).first()
    assert second is not None and tuple(second) == ("finished", expected - partial)
    _check_closed_once(db, as_of, expected)


def test_a_killed_run_is_interrupted_once_its_lease_lapses(
    api: Api, db: Database, database_url: str
) -> None:
    """A run's lease outlives its transactions by the lease; killed, it stops renewing it."""
    _populate(db, 80, ("daily",))
    as_of = _as_of(20)
    expected = _expected_periods(db, as_of)
    lease = LEASE_SECONDS_IN_TESTS
    _kill_mid_way(
        db, _bill_run(database_url, as_of, batch_size=2, billing_run_lease_seconds=str(lease))
    )
    killed_at = time.monotonic()
    with db.reading() as session:
        victim = session.scalars(select(BillingRun)).one()
    partial = victim.periods_closed
    assert 0 < partial < expected
    assert victim.lease_expires_at is not None
    assert victim.lease_expires_at - victim.started_at <= timedelta(seconds=lease + 60)
    lapses = as_utc(victim.lease_expires_at)

    def read() -> tuple[datetime, str, datetime]:
        asked = utcnow()
        status = api.get(f"/billing-runs/{victim.id}").json()["status"]
        return asked, status, utcnow()

    seen = [read()]
    while seen[-1][1] == "running" and time.monotonic() < killed_at + lease + 30:
        time.sleep(0.2)
        seen.append(read())
    assert seen[0][1] == "running" and seen[-1][1] == "interrupted", seen
    # Running while the stored lease held, interrupted only once it had lapsed.
    assert all(asked <= lapses for asked, status, _ in seen if status == "running"), seen
    assert seen[-1][2] > lapses
    survivor = _bill_run(database_url, as_of, batch_size=2, billing_run_lease_seconds=str(lease))
    _, stderr = survivor.communicate(timeout=600)
    assert survivor.returncode == 0, stderr
    dead = api.get(f"/billing-runs/{victim.id}").json()
    assert dead["status"] == "interrupted" and dead["periods_closed"] == partial
    assert dead["error"] == LAPSED and dead["finished_at"] is not None
    with db.reading() as session:
        rows = session.execute(
            select(BillingRun.status, BillingRun.periods_closed).order_by(BillingRun.id)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("interrupted", partial),
        ("finished", expected - partial),
    ]
    _check_closed_once(db, as_of, expected)


def test_bad_as_of_exits_non_zero_naming_the_option(db: Database, database_url: str) -> None:
    proc = subprocess.run(
        [*KASSA, "bill-run", "--as-of", "tomorrow"],
        env=_kassa_env(database_url),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "--as-of" in proc.stderr and "tomorrow" in proc.stderr
    with pytest.raises(typer.BadParameter, match="no time zone") as naive:
        parse_as_of("2026-12-01T06:00:00")
    assert naive.value.param_hint == "--as-of"
    assert parse_as_of("2026-12-01T06:00:00Z") == datetime(2026, 12, 1, 6, tzinfo=UTC)
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(BillingRun)) == 0


def test_a_run_far_ahead_needs_yes_when_nobody_can_be_asked(
    db: Database, database_url: str
) -> None:
    _populate(db, 2, ("monthly",))
    proc = subprocess.run(
        [*KASSA, "bill-run", "--as-of", _as_of(200).isoformat()],
        env=_kassa_env(database_url),
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 1
    assert "days ahead" in proc.stderr and "--yes" in proc.stderr
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(BillingRun)) == 0


def test_only_the_lease_holder_runs_the_scheduled_billing(db: Database, settings: Settings) -> None:
    _populate(db, 3, ("daily",))
    first = BillingScheduler(db, replace(settings, billing_interval_seconds=60))
    second = BillingScheduler(db, replace(settings, billing_interval_seconds=60))
    assert first.run_once() is not None
    assert second.run_once() is None
    assert first.run_once() is not None  # the holder renews its lease
    with db.transaction() as session:
        # The holder died: its lease lapses and the next process takes over.
        lease = session.get_one(AppSetting, LEASE_KEY)
        lease.value = f"{first.owner} {(utcnow() - timedelta(seconds=1)).isoformat()}"
    assert second.run_once() is not None
    assert first.run_once() is None
    with db.reading() as session:
        by = session.scalars(select(BillingRun.triggered_by)).all()
    assert by == ["scheduler"] * 3


def test_the_scheduler_thread_runs_and_stops(db: Database, settings: Settings) -> None:
    scheduler = BillingScheduler(db, replace(settings, billing_interval_seconds=1))
    scheduler.start()
    try:
        deadline = time.monotonic() + 60
        runs = 0
        while time.monotonic() < deadline and runs < 2:
            time.sleep(0.2)
            with db.reading() as session:
                runs = int(session.scalar(select(func.count()).select_from(BillingRun)) or 0)
    finally:
        scheduler.stop()
    assert runs >= 2
    assert scheduler._thread is None
    idle = BillingScheduler(db, replace(settings, billing_interval_seconds=0))
    idle.start()
    assert idle._thread is None
