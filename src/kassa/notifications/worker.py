"""Delivering notifications from inside each server process.

Every process may run it: fan-out and delivery skip rows another process holds, so several
workers neither block each other nor deliver an event twice.
"""

from __future__ import annotations

import logging
import random
import threading

from kassa.core.settings import Settings
from kassa.db.engine import Database
from kassa.notifications.delivery import Summary, deliver_once
from kassa.notifications.email import CreditNotePdf, InvoicePdf

log = logging.getLogger("kassa.notifications")


class Notifier:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        invoice_pdf: InvoicePdf | None = None,
        credit_note_pdf: CreditNotePdf | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.invoice_pdf = invoice_pdf
        self.credit_note_pdf = credit_note_pdf
        self.interval = settings.notify_interval_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.interval <= 0 or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="kassa-notifier", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            # A round in flight may wait on a receiver's timeout; the thread is a daemon, so
            # shutdown does not hang on it.
            self._thread.join(timeout=15)
            self._thread = None

    def run_once(self) -> Summary:
        return deliver_once(
            self.db,
            self.settings,
            invoice_pdf=self.invoice_pdf,
            credit_note_pdf=self.credit_note_pdf,
        )

    def _run(self) -> None:
        # Spread the workers' rounds so they do not all wake at once.
        while not self._stop.wait(self.interval * random.uniform(0.8, 1.2)):
            try:
                summary = self.run_once()
                if summary:
                    log.info(
                        "notifications: %d events fanned out, %d delivered, %d to retry, %d failed",
                        summary.events_fanned_out,
                        summary.delivered,
                        summary.retrying,
                        summary.failed,
                    )
            except Exception:
                log.exception("notification round failed; trying again next round")
