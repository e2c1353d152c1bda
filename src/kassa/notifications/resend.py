"""Sending an invoice's email again, when staff ask.

The invoice's ``invoice_issued`` email is queued anew as it was first: an outbox event of the
invoice (marked ``resent``) and one email delivery of it to the customer's address as it is now,
which the delivery rounds send like any other, with the invoice's PDF. The event is written
already fanned out, so webhooks hear nothing of a resend, and the customer class's list of
notifications does not apply: staff asked for this email.
"""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.orm import Session

from kassa.auth import audit
from kassa.auth.actor import Actor
from kassa.core.clock import utcnow
from kassa.core.errors import Conflict, NotFound
from kassa.core.money import format_micros
from kassa.core.vocabulary import DeliveryChannel, DeliveryStatus
from kassa.currencies.service import currency_exponent
from kassa.db.models import Customer, Invoice, NotificationDelivery, OutboxEvent
from kassa.events.types import EVENTS
from kassa.notifications.schemas import InvoiceEmailQueued

EVENT = "invoice_issued"
assert EVENT in EVENTS


def queue_invoice_email(
    session: Session, actor: Actor, invoice_id: int, *, email_enabled: bool
) -> InvoiceEmailQueued:
    """Queue the invoice's email again (see the module docstring); the caller commits.

    404 for an unknown invoice; 409 when the customer has no email address, or when Kassa
    sends no email (``email_enabled`` False: no SMTP host is configured)."""
    invoice = session.get(Invoice, invoice_id)
    if invoice is None:
        raise NotFound(f"invoice {invoice_id} does not exist", code="invoice_not_found")
    customer = session.get_one(Customer, invoice.customer_id)
    address = (customer.email or "").strip()
    if not address:
        raise Conflict(
            f"customer {customer.id} has no email address to send invoice {invoice.number} to",
            code="customer_has_no_email",
        )
    if not email_enabled:
        raise Conflict(
            "Kassa sends no email: KASSA_SMTP_HOST is not set", code="email_not_configured"
        )
    now = utcnow()
    payload = {
        "customer_id": customer.id,
        "invoice_id": invoice.id,
        "number": invoice.number,
        "currency": invoice.currency,
        "amount_due": format_micros(
            invoice.amount_due_micros, currency_exponent(session, invoice.currency)
        ),
        "due_date": invoice.due_date.isoformat(),
        "resent": True,
    }
    event_id = session.execute(
        insert(OutboxEvent)
        .values(
            customer_id=customer.id,
            event_type=EVENT,
            payload=payload,
            created_at=now,
            delivered_at=now,
            dedupe_key=None,
        )
        .returning(OutboxEvent.id)
    ).scalar_one()
    delivery_id = session.execute(
        insert(NotificationDelivery)
        .values(
            outbox_event_id=event_id,
            channel=DeliveryChannel.EMAIL,
            target=address,
            status=DeliveryStatus.PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        .returning(NotificationDelivery.id)
    ).scalar_one()
    audit.record(
        session,
        actor,
        "send",
        "invoice",
        invoice.id,
        after={"number": invoice.number, "email": address, "delivery_id": delivery_id},
    )
    return InvoiceEmailQueued(
        invoice_id=invoice.id, number=invoice.number, email=address, delivery_id=delivery_id
    )
