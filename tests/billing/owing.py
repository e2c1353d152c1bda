"""Customers who each owe one issued invoice, for the collection tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from kassa.auth.actor import SYSTEM
from kassa.billing.postings import post_transaction
from kassa.billing.runs import run_billing
from kassa.core.clock import as_utc
from kassa.customer_classes.schemas import CustomerClassIn
from kassa.customer_classes.service import create_customer_class
from kassa.customers.schemas import CustomerIn
from kassa.customers.service import create_customer
from kassa.db.engine import Database
from kassa.db.models import Customer, Invoice
from kassa.ledger.schemas import TransactionIn


def customers_owing(
    db: Database, count: int, charge: str, *, suspend_after_days: int | None = 0
) -> tuple[list[int], datetime]:
    """``count`` customers of a class with no days of grace, each owing one issued invoice of
    ``charge``, due on the day it was issued. Returns them, and a moment at which every one of
    those invoices is overdue and no new period has ended."""
    with db.transaction() as session:
        strict = create_customer_class(
            session,
            SYSTEM,
            CustomerClassIn(
                name="Pay on receipt",
                grace_period_days=0,
                suspend_after_days=suspend_after_days,
            ),
        )
        ids = []
        for i in range(count):
            customer = create_customer(
                session,
                SYSTEM,
                CustomerIn(
                    name=f"Owing {i}",
                    balance_control="postpaid",
                    currency="USD",
                    business_model_id=1,
                    customer_class_id=strict.id,
                    billing_period="monthly",
                    billing_timezone="UTC",
                ),
            )
            post_transaction(
                session,
                SYSTEM,
                customer.id,
                TransactionIn(type="manual_charge", amount=Decimal(charge)),
            )
            ids.append(customer.id)
    with db.reading() as session:
        period_end = as_utc(session.scalar(select(func.max(Customer.period_end_at))))
    run_billing(db, None, period_end + timedelta(minutes=1))
    with db.reading() as session:
        issued = session.execute(select(Invoice.status, Invoice.due_date)).all()
    assert len(issued) == count and {status for status, _ in issued} == {"issued"}
    # The monthly periods that followed end weeks after this.
    day_after = max(due for _, due in issued) + timedelta(days=1)
    return ids, datetime(day_after.year, day_after.month, day_after.day, 1, tzinfo=UTC)
