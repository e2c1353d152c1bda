"""Periodic housekeeping inside each server process.

Every process may run it: sweeping skips rows another process holds, so several workers
sweeping at once neither block each other nor free a reservation twice.
"""

from __future__ import annotations

import logging
import random
import threading

from kassa.auth import throttle, web_sessions
from kassa.db.engine import Database
from kassa.ledger.idempotency import purge_expired
from kassa.ledger.sweeper import sweep_expired

log = logging.getLogger("kassa.background")


class Housekeeper:
    def __init__(
        self, db: Database, interval_seconds: int, login_window_seconds: int = 900
    ) -> None:
        self.db = db
        self.interval = interval_seconds
        self.login_window_seconds = login_window_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.interval <= 0 or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="kassa-housekeeper", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def run_once(self) -> tuple[int, int]:
        swept = 0
        while True:
            with self.db.transaction() as session:
                batch = sweep_expired(session)
            swept += batch
            if batch == 0 or self._stop.is_set():
                break
        with self.db.transaction() as session:
            purged = purge_expired(session)
            purged += web_sessions.purge_expired(session)
            purged += throttle.purge_stale(session, self.login_window_seconds)
        return swept, purged

    def _run(self) -> None:
        # Spread the workers' rounds so they do not all wake at once.
        while not self._stop.wait(self.interval * random.uniform(0.8, 1.2)):
            try:
                swept, purged = self.run_once()
                if swept or purged:
                    log.info(
                        "released %d lapsed reservations, purged %d stale rows "
                        "(idempotency keys, ended web sessions, old failed sign-ins)",
                        swept,
                        purged,
                    )
            except Exception:
                log.exception("housekeeping round failed; trying again next round")
