"""Two runners at once (as two server processes would be): every event fanned out once, every
receiver given every message once."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from kassa.auth.actor import SYSTEM
from kassa.billing.postings import post_transaction
from kassa.core.settings import Settings
from kassa.db.engine import Database
from kassa.db.models import OutboxEvent
from kassa.ledger.schemas import TransactionIn
from kassa.notifications.delivery import Summary, deliver_due, fan_out
from tests.notifications.conftest import deliveries
from tests.notifications.servers import SmtpServer, WebhookReceiver

PAYMENTS = 24
RUNNERS = 2


def _in_parallel(work: Callable[[Database], Summary], url: str) -> list[Summary]:
    """Run ``work`` in RUNNERS threads, each with its own engine, started together."""
    barrier = threading.Barrier(RUNNERS)
    results: list[Summary] = []
    errors: list[BaseException] = []

    def runner() -> None:
        db = Database(url)
        try:
            barrier.wait()
            results.append(work(db))
        except BaseException as exc:
            errors.append(exc)
        finally:
            db.dispose()

    threads = [threading.Thread(target=runner) for _ in range(RUNNERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    assert len(results) == RUNNERS
    return results


def test_two_runners_deliver_every_event_exactly_once(
    db: Database,
    mail_settings: Settings,
    smtp: SmtpServer,
    make_endpoint: Callable[..., dict[str, Any]],
    make_customer: Callable[..., dict[str, Any]],
) -> None:
    settings = replace(mail_settings, webhook_backoff_seconds=60)
    receivers = [WebhookReceiver(), WebhookReceiver()]
    try:
        for hook in receivers:
            hook.secret = make_endpoint(hook.url, ["payment_received"])["secret"]
            hook.start()
        customer = make_customer(email="billing@acme.example")
        for i in range(PAYMENTS):
            with db.transaction() as session:
                post_transaction(
                    session,
                    SYSTEM,
                    customer["id"],
                    TransactionIn(type="payment", amount=Decimal(f"{i + 1}.00")),
                )
        with db.reading() as session:
            events = int(session.scalar(select(func.count()).select_from(OutboxEvent)) or 0)

        def fan_out_in_small_batches(runner_db: Database) -> Summary:
            total = Summary()
            while True:
                with runner_db.transaction() as session:
                    batch = fan_out(session, settings, limit=3)
                total.add(batch)
                if not batch.events_fanned_out:
                    return total

        fanned = _in_parallel(fan_out_in_small_batches, db.url)

        assert sum(s.events_fanned_out for s in fanned) == events
        assert sum(s.deliveries_created for s in fanned) == PAYMENTS * 3
        with db.reading() as session:
            waiting = select(func.count()).where(OutboxEvent.delivered_at.is_(None))
            assert session.scalar(waiting) == 0

        delivered = _in_parallel(
            lambda runner_db: deliver_due(runner_db, settings, limit=4), db.url
        )

        assert sum(s.delivered for s in delivered) == PAYMENTS * 3
        assert sum(s.retrying + s.failed for s in delivered) == 0
        for hook in receivers:
            assert all(h.verified for h in hook.hits)
            counts = Counter(h.headers["webhook-id"] for h in hook.accepted)
            assert len(counts) == PAYMENTS
            assert set(counts.values()) == {1}
        assert len(smtp.mails) == PAYMENTS
        subjects = Counter(m.message["Subject"] for m in smtp.mails)
        assert set(subjects.values()) == {1}
        rows = deliveries(db)
        assert {(r.status, r.attempts) for r in rows} == {("delivered", 1)}
    finally:
        for hook in receivers:
            hook.stop()
