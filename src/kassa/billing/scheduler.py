"""Scheduled billing inside the server processes.

Every process may start a scheduler; each round, the one holding the lease (a row that
expires, see ``runs.take_scheduler_lease``) runs the billing as of now and the others skip.
The lease outlives a few rounds, so the holder keeps it by renewing it, and a holder that
dies hands the job on once its lease has lapsed. Runs are safe to overlap anyway: the lease
only saves the others from doing the same work.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import uuid

from sqlalchemy.exc import IntegrityError

from kassa.billing.runs import RunSummary, carry_out, start_run, take_scheduler_lease
from kassa.core.clock import utcnow
from kassa.core.settings import Settings
from kassa.core.vocabulary import BillingRunTrigger
from kassa.db.engine import Database

log = logging.getLogger("kassa.billing.scheduler")

# How many rounds a lease covers: enough that the holder renews it before it lapses even
# when a round starts late, short enough that another process takes over soon after a death.
LEASE_ROUNDS = 3
# The first round comes soon after start, so that frequent restarts cannot postpone billing.
FIRST_ROUND_MAX_SECONDS = 60


class BillingScheduler:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.interval = settings.billing_interval_seconds
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def lease_seconds(self) -> int:
        return max(self.interval * LEASE_ROUNDS, 30)

    def start(self) -> None:
        if self.interval <= 0 or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, name="kassa-billing-scheduler", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            # A run in progress ends after its current transaction, interrupted; the next run
            # completes what it did not.
            self._thread.join(timeout=5)
            self._thread = None

    def take_lease(self) -> bool:
        try:
            with self.db.transaction() as session:
                return take_scheduler_lease(session, self.owner, self.lease_seconds)
        except IntegrityError:
            # Another process created the lease row at the same moment: it holds the lease.
            return False

    def run_once(self) -> RunSummary | None:
        """One round: the billing as of now if this process holds the lease, else None."""
        if not self.take_lease():
            return None
        run = start_run(
            self.db,
            None,
            as_of=utcnow(),
            triggered_by=BillingRunTrigger.SCHEDULER,
            number_format=self.settings.invoice_number_format,
            lease_seconds=self.settings.billing_run_lease_seconds,
        )
        # Stopping the server stops the run after its current transaction.
        return carry_out(self.db, run, stop=self._stop)

    def _pause(self, first: bool) -> float:
        # Spread the processes' rounds so they do not all wake at once.
        base = min(self.interval, FIRST_ROUND_MAX_SECONDS) if first else self.interval
        return float(base) * random.uniform(0.8, 1.2)

    def _run(self) -> None:
        first = True
        while not self._stop.wait(self._pause(first)):
            first = False
            try:
                summary = self.run_once()
            except Exception:
                log.exception("scheduled billing run failed; trying again next round")
                continue
            if summary is not None and (summary.periods_closed or summary.invoices_overdue):
                log.info(
                    "billing run %d: %d periods closed, %d invoices issued, %d overdue, "
                    "%d customers suspended",
                    summary.id,
                    summary.periods_closed,
                    summary.invoices_issued,
                    summary.invoices_overdue,
                    summary.customers_suspended,
                )
