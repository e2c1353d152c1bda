"""Billing runs the server carries on with after answering (``POST /billing-runs`` with
``"wait": false``), each in a thread of the process that took the request.

When the server shuts down, each stops after its current transaction and ends
``interrupted``; one that dies with its process is found interrupted once its lease lapses.
Either way the next run completes its work.
"""

from __future__ import annotations

import logging
import threading

from kassa.billing.runs import DEFAULT_BATCH, StartedRun, carry_out
from kassa.db.engine import Database

log = logging.getLogger("kassa.billing.background")

# How long shutting down waits for the runs to end their current transaction.
STOP_WAIT_SECONDS = 10


class BackgroundRuns:
    def __init__(self, db: Database, batch_size: int = DEFAULT_BATCH) -> None:
        self.db = db
        self.batch_size = batch_size
        self._stop = threading.Event()
        self._threads: set[threading.Thread] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        self._stop.clear()

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout=STOP_WAIT_SECONDS)

    def launch(self, run: StartedRun) -> None:
        """Carry out ``run`` (already recorded as running) in a thread of its own."""
        thread = threading.Thread(
            target=self._carry_out, args=(run,), name=f"kassa-billing-run-{run.id}", daemon=True
        )
        with self._lock:
            self._threads.add(thread)
        thread.start()

    def _carry_out(self, run: StartedRun) -> None:
        try:
            summary = carry_out(self.db, run, batch_size=self.batch_size, stop=self._stop)
            log.info(
                "billing run %d %s: %d periods closed, %d invoices issued",
                summary.id,
                summary.status,
                summary.periods_closed,
                summary.invoices_issued,
            )
        except Exception:
            # carry_out has recorded the run as failed, with the error.
            log.exception("billing run %d failed", run.id)
        finally:
            with self._lock:
                self._threads.discard(threading.current_thread())
