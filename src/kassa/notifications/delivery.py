"""From the outbox to the receivers: fan-out, then delivery with retries.

Fan-out turns each undelivered outbox event into one delivery per receiver (each active webhook
endpoint subscribed to the event, and the customer's email address when its class lists the
event) and marks the event fanned out, in one transaction. Outbox rows are taken with
``FOR UPDATE SKIP LOCKED`` and deliveries are unique per (event, channel, target), so any number
of processes may run it at once and each receiver still gets each event once.

Delivery claims due deliveries in a short transaction by pushing their next attempt past a
lease, makes the network calls with no transaction open, and records each result only if the
claim is still its own (the lease time doubles as a fencing token). A process that dies
mid-send leaves its deliveries to be retried when the lease ends: receivers may see a message
twice, never zero times, and ``webhook-id`` lets them drop the repeat.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Result,
    String,
    cast,
    exists,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from kassa.core.clock import utcnow
from kassa.core.settings import Settings
from kassa.core.vocabulary import DeliveryChannel, DeliveryStatus
from kassa.db.engine import Database
from kassa.db.models import (
    Customer,
    CustomerClass,
    NotificationDelivery,
    OutboxEvent,
    WebhookEndpoint,
)
from kassa.notifications import email, webhooks
from kassa.notifications.service import webhook_target

log = logging.getLogger("kassa.notifications")

FAN_OUT_BATCH = 200
DELIVERY_BATCH = 32
SEND_THREADS = 8
MAX_ROUNDS = 50
# Longer than the slowest batch can take to send (SEND_THREADS at a time, each bounded by its
# timeout), so a live claim never lapses under another process.
LEASE = timedelta(minutes=5)
# Retry delays as multiples of the first one: 5 s, 30 s, 2 min, 10 min, 1 h, 2 h, 4 h, 8 h,
# then every 12 h (with the default first delay of 5 s).
BACKOFF_STEPS = (1, 6, 24, 120, 720, 1440, 2880, 5760, 8640)


def backoff(attempts: int, first_delay_seconds: float) -> timedelta:
    """The wait after the ``attempts``-th failed attempt."""
    step = BACKOFF_STEPS[min(max(attempts, 1), len(BACKOFF_STEPS)) - 1]
    return timedelta(seconds=step * first_delay_seconds)


@dataclass
class Summary:
    events_fanned_out: int = 0
    deliveries_created: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0

    def __bool__(self) -> bool:
        return any(vars(self).values())

    def add(self, other: Summary) -> None:
        for key, value in vars(other).items():
            setattr(self, key, getattr(self, key) + value)


# --- fan-out ---------------------------------------------------------------------------------


def fan_out(session: Session, settings: Settings, *, limit: int = FAN_OUT_BATCH) -> Summary:
    """Fan out up to ``limit`` undelivered outbox events; the caller commits."""
    events = session.execute(
        select(OutboxEvent.id, OutboxEvent.event_type, OutboxEvent.customer_id)
        .where(OutboxEvent.delivered_at.is_(None))
        .order_by(OutboxEvent.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if not events:
        return Summary()
    now = utcnow()
    endpoints = session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.events).where(WebhookEndpoint.active.is_(True))
    ).all()
    contacts = (
        _email_contacts(session, {e.customer_id for e in events}) if settings.smtp_host else {}
    )
    rows: list[dict[str, Any]] = []

    def add(event_id: int, channel: str, target: str) -> None:
        rows.append(
            {
                "outbox_event_id": event_id,
                "channel": channel,
                "target": target,
                "status": DeliveryStatus.PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
        )

    for event in events:
        for endpoint in endpoints:
            if event.event_type in endpoint.events:
                add(event.id, DeliveryChannel.WEBHOOK, webhook_target(endpoint.id))
        contact = contacts.get(event.customer_id)
        if contact is not None and event.event_type in contact[1]:
            add(event.id, DeliveryChannel.EMAIL, contact[0])
    created = _insert_new(session, rows)
    session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id.in_([e.id for e in events]))
        .values(delivered_at=now)
    )
    return Summary(events_fanned_out=len(events), deliveries_created=created)


def _email_contacts(
    session: Session, customer_ids: set[int | None]
) -> dict[int | None, tuple[str, list[str]]]:
    """Customer id -> (email, the events its class notifies of), for customers with an email."""
    ids = [i for i in customer_ids if i is not None]
    if not ids:
        return {}
    rows = session.execute(
        select(Customer.id, Customer.email, CustomerClass.notifications)
        .join(CustomerClass, CustomerClass.id == Customer.customer_class_id)
        .where(Customer.id.in_(ids), Customer.email.is_not(None), Customer.email != "")
    ).all()
    return {r.id: (str(r.email), list(r.notifications or [])) for r in rows}


def _insert_new(session: Session, rows: list[dict[str, Any]]) -> int:
    """Insert the deliveries that do not exist yet; returns how many were new."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(NotificationDelivery).on_conflict_do_nothing().returning(NotificationDelivery.id)
    return len(session.execute(stmt, rows).all())


# --- delivery --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    id: int
    channel: str
    target: str
    attempts: int
    lease: datetime
    outbox_event_id: int
    event_type: str
    payload: dict[str, Any]
    occurred_at: datetime
    customer_id: int | None
    # Webhooks: where to and with which key. Emails: who the customer is.
    url: str | None = None
    secret: str | None = None
    recipient: email.Recipient | None = None


@dataclass(frozen=True)
class Attempt:
    claim: Claim
    ok: bool
    status: int | None = None
    error: str | None = None
    permanent: bool = False


def claim_due(session: Session, settings: Settings, due_by: datetime, limit: int) -> list[Claim]:
    """Take up to ``limit`` deliveries due by ``due_by`` for this process; the caller commits."""
    endpoint_active = exists().where(
        WebhookEndpoint.active.is_(True),
        cast(WebhookEndpoint.id, String) == NotificationDelivery.target,
    )
    channels: list[ColumnElement[bool]] = [
        (NotificationDelivery.channel == DeliveryChannel.WEBHOOK) & endpoint_active
    ]
    if settings.smtp_host:
        channels.append(NotificationDelivery.channel == DeliveryChannel.EMAIL)
    rows = session.execute(
        select(NotificationDelivery, OutboxEvent)
        .join(OutboxEvent, OutboxEvent.id == NotificationDelivery.outbox_event_id)
        .where(
            NotificationDelivery.status == DeliveryStatus.PENDING,
            NotificationDelivery.next_attempt_at <= due_by,
            or_(*channels),
        )
        .order_by(NotificationDelivery.next_attempt_at, NotificationDelivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=NotificationDelivery)
    ).all()
    if not rows:
        return []
    lease = utcnow() + LEASE
    session.execute(
        update(NotificationDelivery)
        .where(NotificationDelivery.id.in_([d.id for d, _ in rows]))
        .values(next_attempt_at=lease)
    )
    endpoints = _endpoints(
        session, [d.target for d, _ in rows if d.channel == DeliveryChannel.WEBHOOK]
    )
    recipients = _recipients(
        session, [e.customer_id for d, e in rows if d.channel == DeliveryChannel.EMAIL]
    )
    claims = []
    for delivery, event in rows:
        url = secret = None
        if delivery.channel == DeliveryChannel.WEBHOOK:
            if delivery.target not in endpoints:
                # Its endpoint is being deleted, and the delivery with it.
                continue
            url, secret = endpoints[delivery.target]
        claims.append(
            Claim(
                id=delivery.id,
                channel=delivery.channel,
                target=delivery.target,
                attempts=delivery.attempts,
                lease=lease,
                outbox_event_id=event.id,
                event_type=event.event_type,
                payload=dict(event.payload),
                occurred_at=event.created_at,
                customer_id=event.customer_id,
                url=url,
                secret=secret,
                recipient=recipients.get(event.customer_id, email.Recipient(None, None, None)),
            )
        )
    return claims


def _endpoints(session: Session, targets: list[str]) -> dict[str, tuple[str, str]]:
    ids = [int(t) for t in set(targets)]
    if not ids:
        return {}
    rows = session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.url, WebhookEndpoint.secret).where(
            WebhookEndpoint.id.in_(ids)
        )
    ).all()
    return {webhook_target(r.id): (r.url, r.secret) for r in rows}


def _recipients(
    session: Session, customer_ids: list[int | None]
) -> dict[int | None, email.Recipient]:
    ids = [i for i in set(customer_ids) if i is not None]
    if not ids:
        return {}
    rows = session.execute(
        select(Customer.id, Customer.name, Customer.currency).where(Customer.id.in_(ids))
    ).all()
    return {r.id: email.Recipient(r.id, r.name, r.currency) for r in rows}


def send_webhook(client: httpx.Client, claim: Claim) -> Attempt:
    assert claim.url is not None and claim.secret is not None
    message = webhooks.WebhookMessage(
        url=claim.url,
        secret=claim.secret,
        msg_id=webhooks.message_id(claim.outbox_event_id),
        body=webhooks.body_of(claim.event_type, claim.occurred_at, claim.payload),
    )
    outcome = webhooks.send(client, message, utcnow())
    return Attempt(claim, outcome.ok, outcome.status, outcome.error)


def send_email(
    db: Database,
    settings: Settings,
    claim: Claim,
    invoice_pdf: email.InvoicePdf | None = None,
    credit_note_pdf: email.CreditNotePdf | None = None,
) -> Attempt:
    try:
        attachments: list[email.Attachment] = []
        if claim.event_type == "invoice_issued" and invoice_pdf is not None:
            # Making the PDF the first time also keeps it, so it needs a writing transaction.
            with db.transaction() as session:
                attachments = email.invoice_attachments(session, claim.payload, invoice_pdf)
        if claim.event_type == "credit_note_issued" and credit_note_pdf is not None:
            with db.transaction() as session:
                attachments = email.credit_note_attachments(session, claim.payload, credit_note_pdf)
        rendered = email.render(
            claim.event_type,
            claim.occurred_at,
            claim.payload,
            claim.recipient or email.Recipient(None, None, None),
            attached=bool(attachments),
        )
        email.send(settings, email.build_message(settings, claim.target, rendered, attachments))
    except email.PermanentFailure as exc:
        return Attempt(claim, ok=False, error=str(exc)[:500], permanent=True)
    except Exception as exc:
        # Whatever failed (the server, the network, the invoice document), another attempt
        # later may succeed; the error is kept on the delivery for the operator to read.
        return Attempt(claim, ok=False, error=f"{type(exc).__name__}: {exc}"[:500])
    return Attempt(claim, ok=True)


def _changed_rows(result: Result[Any]) -> int:
    """Rows an UPDATE changed (a DML statement's result is always a cursor result)."""
    assert isinstance(result, CursorResult)
    return int(result.rowcount or 0)


def record(session: Session, settings: Settings, results: list[Attempt]) -> Summary:
    """Store each attempt's outcome, unless another process has since taken the delivery."""
    summary = Summary()
    now = utcnow()
    for result in results:
        claim = result.claim
        attempts = claim.attempts + 1
        values: dict[str, Any] = {
            "attempts": attempts,
            "response_status": result.status,
            "last_error": result.error,
        }
        if result.ok:
            values.update(status=DeliveryStatus.DELIVERED, delivered_at=now)
        elif result.permanent or attempts >= settings.webhook_max_attempts:
            values.update(status=DeliveryStatus.FAILED)
        else:
            values.update(next_attempt_at=now + backoff(attempts, settings.webhook_backoff_seconds))
        outcome = session.execute(
            update(NotificationDelivery)
            .where(
                NotificationDelivery.id == claim.id,
                NotificationDelivery.status == DeliveryStatus.PENDING,
                NotificationDelivery.next_attempt_at == claim.lease,
            )
            .values(**values)
        )
        if not _changed_rows(outcome):
            continue
        if result.ok:
            summary.delivered += 1
        elif values.get("status") == DeliveryStatus.FAILED:
            summary.failed += 1
            log.warning(
                "delivery %d to %s failed for good: %s", claim.id, claim.target, result.error
            )
        else:
            summary.retrying += 1
    return summary


def deliver_due(
    db: Database,
    settings: Settings,
    *,
    invoice_pdf: email.InvoicePdf | None = None,
    credit_note_pdf: email.CreditNotePdf | None = None,
    limit: int = DELIVERY_BATCH,
) -> Summary:
    """Attempt every delivery due now, each at most once; ``invoice_pdf`` and
    ``credit_note_pdf`` make the PDFs an invoice's and a credit note's emails carry."""
    summary = Summary()
    due_by = utcnow()

    def attempt(claim: Claim) -> Attempt:
        if claim.channel == DeliveryChannel.WEBHOOK:
            return send_webhook(client, claim)
        return send_email(db, settings, claim, invoice_pdf, credit_note_pdf)

    with webhooks.client() as client, ThreadPoolExecutor(SEND_THREADS) as pool:
        for _ in range(MAX_ROUNDS):
            with db.transaction() as session:
                claims = claim_due(session, settings, due_by, limit)
            if not claims:
                break
            results = list(pool.map(attempt, claims))
            with db.transaction() as session:
                summary.add(record(session, settings, results))
            if len(claims) < limit:
                break
    return summary


def deliver_once(
    db: Database,
    settings: Settings,
    *,
    invoice_pdf: email.InvoicePdf | None = None,
    credit_note_pdf: email.CreditNotePdf | None = None,
) -> Summary:
    """Fan out every waiting event, then attempt every delivery that is due (``invoice_pdf``,
    ``credit_note_pdf``: as for :func:`deliver_due`)."""
    summary = Summary()
    for _ in range(MAX_ROUNDS):
        with db.transaction() as session:
            batch = fan_out(session, settings)
        summary.add(batch)
        if batch.events_fanned_out < FAN_OUT_BATCH:
            break
    summary.add(deliver_due(db, settings, invoice_pdf=invoice_pdf, credit_note_pdf=credit_note_pdf))
    return summary
