"""Customers with one issued invoice, made through the services, for the credit note tests."""

from __future__ import annotations

import os
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from kassa.auth.actor import SYSTEM
from kassa.billing.postings import post_transaction
from kassa.billing.runs import run_billing
from kassa.core.clock import as_utc
from kassa.customer_classes.schemas import CustomerClassIn, TaxationIn, TaxIn
from kassa.customer_classes.service import create_customer_class
from kassa.customers.schemas import CustomerIn
from kassa.customers.service import create_customer
from kassa.db.engine import Database
from kassa.db.models import Customer, Invoice
from kassa.ledger.schemas import TransactionIn


def invoiced_customers(
    db: Database,
    charges: list[str],
    *,
    taxes: dict[str, str] | None = None,
    inclusive: bool = False,
    email: str | None = None,
    notifications: list[str] | None = None,
) -> list[tuple[int, int]]:
    """A customer per charge, each with one issued invoice of that charge (plus the class's
    taxes); returns (customer id, invoice id) pairs in the order of ``charges``."""
    with db.transaction() as session:
        cls = create_customer_class(
            session,
            SYSTEM,
            CustomerClassIn(
                name=f"Invoiced {os.urandom(4).hex()}",
                grace_period_days=14,
                taxation=TaxationIn(
                    inclusive=inclusive,
                    taxes=[TaxIn(name=n, rate=Decimal(r)) for n, r in (taxes or {}).items()],
                ),
                notifications=notifications or [],
            ),
        )
        ids = []
        for charge in charges:
            customer = create_customer(
                session,
                SYSTEM,
                CustomerIn(
                    name=f"Invoiced {os.urandom(4).hex()}",
                    balance_control="postpaid",
                    currency="USD",
                    business_model_id=1,
                    customer_class_id=cls.id,
                    billing_period="monthly",
                    billing_timezone="UTC",
                    email=email,
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
        ends = [
            as_utc(end)
            for end in session.scalars(select(Customer.period_end_at).where(Customer.id.in_(ids)))
            if end is not None
        ]
    run_billing(db, None, max(ends) + timedelta(minutes=1))
    with db.reading() as session:
        invoice_of = dict(
            session.execute(
                select(Invoice.customer_id, Invoice.id).where(Invoice.customer_id.in_(ids))
            ).all()
        )
    assert set(invoice_of) == set(ids)
    return [(customer_id, invoice_of[customer_id]) for customer_id in ids]


def invoiced_customer(db: Database, charge: str, **kwargs: object) -> tuple[int, int]:
    (pair,) = invoiced_customers(db, [charge], **kwargs)  # type: ignore[arg-type]
    return pair
