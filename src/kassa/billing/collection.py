"""Collection: invoices fall overdue after their due date, customers are suspended after their
class's grace, and a payment that covers what is overdue settles it and lifts the suspension.

An invoice's amount due already carries the balance before it, so an invoice is settled once
the credits posted since it was issued reach its amount due.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from kassa.core import periods
from kassa.core.clock import utcnow
from kassa.core.money import format_micros
from kassa.currencies.service import currency_exponent
from kassa.db.models import Customer, CustomerClass, Invoice, LedgerEntry
from kassa.notifications.outbox import emit

UNPAID = ("issued", "overdue")
CREDIT_TYPES = ("payment", "manual_credit", "promotional_credit")


def settle_invoices(session: Session, customer_id: int) -> list[int]:
    """Mark paid the unpaid invoices the customer's credits now cover; lift a suspension
    once nothing is overdue. The caller holds the customer's row. Returns the invoices paid."""
    unpaid = session.execute(
        select(Invoice.id, Invoice.created_at, Invoice.amount_due_micros)
        .where(Invoice.customer_id == customer_id, Invoice.status.in_(UNPAID))
        .order_by(Invoice.id)
    ).all()
    if not unpaid:
        return []
    now = utcnow()
    paid: list[int] = []
    for invoice_id, created_at, amount_due in unpaid:
        credited = -int(
            session.scalar(
                select(func.coalesce(func.sum(LedgerEntry.amount_micros), 0)).where(
                    LedgerEntry.customer_id == customer_id,
                    LedgerEntry.type.in_(CREDIT_TYPES),
                    LedgerEntry.created_at >= created_at,
                )
            )
            or 0
        )
        if credited >= amount_due:
            paid.append(invoice_id)
    if paid:
        session.execute(
            update(Invoice).where(Invoice.id.in_(paid)).values(status="paid", paid_at=now)
        )
    still_overdue = session.scalar(
        select(func.count())
        .select_from(Invoice)
        .where(Invoice.customer_id == customer_id, Invoice.status == "overdue")
    )
    status = session.scalar(select(Customer.status).where(Customer.id == customer_id))
    if status == "suspended" and not still_overdue:
        session.execute(
            update(Customer)
            .where(Customer.id == customer_id)
            .values(status="active", updated_at=now)
        )
        emit(
            session,
            "customer_status_changed",
            customer_id,
            {"customer_id": customer_id, "from": "suspended", "to": "active", "reason": "paid"},
        )
    return paid


def apply_collection(session: Session, as_of: datetime) -> tuple[int, int]:
    """Mark invoices overdue and suspend customers as of ``as_of``; returns (overdue, suspended)."""
    candidates = session.execute(
        select(
            Invoice.id,
            Invoice.customer_id,
            Invoice.number,
            Invoice.due_date,
            Invoice.billing_timezone,
            Invoice.amount_due_micros,
            Invoice.currency,
        )
        .where(Invoice.status == "issued", Invoice.due_date < as_of.date() + timedelta(days=1))
        .order_by(Invoice.id)
    ).all()
    overdue: list[int] = []
    for row in candidates:
        # Overdue once the due date has passed in the customer's billing time zone.
        if as_of >= periods.start_of_local_day(
            row.due_date + timedelta(days=1), row.billing_timezone
        ):
            overdue.append(row.id)
            emit(
                session,
                "invoice_overdue",
                row.customer_id,
                {
                    "customer_id": row.customer_id,
                    "invoice_id": row.id,
                    "number": row.number,
                    "amount_due": format_micros(
                        row.amount_due_micros, currency_exponent(session, row.currency)
                    ),
                    "currency": row.currency,
                    "due_date": row.due_date.isoformat(),
                },
            )
    if overdue:
        session.execute(update(Invoice).where(Invoice.id.in_(overdue)).values(status="overdue"))
    suspended = 0
    rows = session.execute(
        select(
            Customer.id,
            CustomerClass.suspend_after_days,
            func.min(Invoice.due_date),
            Invoice.billing_timezone,
        )
        .join(Invoice, Invoice.customer_id == Customer.id)
        .join(CustomerClass, CustomerClass.id == Customer.customer_class_id)
        .where(
            Invoice.status == "overdue",
            Customer.status == "active",
            CustomerClass.suspend_after_days.is_not(None),
        )
        .group_by(Customer.id, CustomerClass.suspend_after_days, Invoice.billing_timezone)
    ).all()
    for customer_id, after_days, oldest_due, zone in rows:
        limit = periods.start_of_local_day(oldest_due + timedelta(days=1 + (after_days or 0)), zone)
        if as_of < limit:
            continue
        changed = session.execute(
            update(Customer)
            .where(Customer.id == customer_id, Customer.status == "active")
            .values(status="suspended", updated_at=utcnow())
        ).rowcount  # type: ignore[attr-defined]
        if changed:
            suspended += 1
            emit(
                session,
                "customer_suspended",
                customer_id,
                {"customer_id": customer_id, "oldest_due_date": oldest_due.isoformat()},
            )
    return len(overdue), suspended
