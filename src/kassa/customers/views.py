"""A customer as the API and the web pages show it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from kassa.core.clock import utcnow
from kassa.core.money import format_micros
from kassa.core.periods import next_billing_date
from kassa.core.vocabulary import CustomerStatus, SuspensionReason
from kassa.currencies.service import currency_exponent
from kassa.customers.schemas import CustomerOut
from kassa.customers.status import shown_status
from kassa.db.models import Customer
from kassa.ledger.holds import Funds, customer_funds


def upcoming_billing_date(customer: Customer) -> date:
    """The local date the open period ends: its invoice's issue date."""
    if customer.period_end_at is not None:
        return customer.period_end_at.astimezone(ZoneInfo(customer.billing_timezone)).date()
    return next_billing_date(
        customer.billing_period, customer.billing_timezone, customer.created_at, utcnow()
    )


def customer_views(session: Session, customers: Sequence[Customer]) -> list[CustomerOut]:
    """The customers as every reader shows them: reservations that have expired no longer
    count in their reserved and available funds, swept or not."""
    funds = customer_funds(session, customers)
    return [
        _customer_out(c, currency_exponent(session, c.currency), funds[c.id]) for c in customers
    ]


def customer_view(session: Session, customer: Customer) -> CustomerOut:
    return customer_views(session, [customer])[0]


def _customer_out(customer: Customer, exponent: int, funds: Funds) -> CustomerOut:
    available = funds.available_micros
    return CustomerOut(
        id=customer.id,
        name=customer.name,
        balance_control=customer.balance_control,
        currency=customer.currency,
        credit_limit=None
        if customer.credit_limit_micros is None
        else format_micros(customer.credit_limit_micros, exponent),
        balance=format_micros(customer.balance_micros, exponent),
        reserved=format_micros(funds.reserved_micros, exponent),
        available_funds=None if available is None else format_micros(available, exponent),
        business_model_id=customer.business_model_id,
        customer_class_id=customer.customer_class_id,
        billing_period=customer.billing_period,
        billing_timezone=customer.billing_timezone,
        email=customer.email,
        custom_data=customer.custom_data or {},
        status=shown_status(
            customer.status,
            customer.balance_control,
            customer.balance_micros,
            funds.reserved_micros,
            customer.credit_limit_micros,
        ),
        suspended_for=_suspension_reason(customer),
        created_at=customer.created_at,
        updated_at=customer.updated_at,
        next_billing_date=upcoming_billing_date(customer),
    )


def _suspension_reason(customer: Customer) -> SuspensionReason | None:
    if customer.status != CustomerStatus.SUSPENDED:
        return None
    # Suspensions from before reasons were kept were all for overdue invoices.
    return SuspensionReason(customer.suspended_for or SuspensionReason.OVERDUE_INVOICE)
