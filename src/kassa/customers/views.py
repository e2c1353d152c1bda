"""A customer as the API and the web pages show it."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from kassa.core.clock import utcnow
from kassa.core.money import format_micros
from kassa.core.periods import next_billing_date
from kassa.customers.schemas import CustomerOut
from kassa.customers.status import shown_status
from kassa.db.models import Customer


def available_funds_micros(customer: Customer, lapsed_micros: int = 0) -> int | None:
    if customer.credit_limit_micros is None:
        return None
    reserved = customer.reserved_micros - lapsed_micros
    return customer.credit_limit_micros - customer.balance_micros - reserved


def upcoming_billing_date(customer: Customer) -> date:
    """The local date the open period ends: its invoice's issue date."""
    if customer.period_end_at is not None:
        return customer.period_end_at.astimezone(ZoneInfo(customer.billing_timezone)).date()
    return next_billing_date(
        customer.billing_period, customer.billing_timezone, customer.created_at, utcnow()
    )


def customer_out(customer: Customer, exponent: int, lapsed_micros: int = 0) -> CustomerOut:
    """``lapsed_micros``: holds of expired reservations not yet swept, which no longer count."""
    funds = available_funds_micros(customer, lapsed_micros)
    reserved = customer.reserved_micros - lapsed_micros
    return CustomerOut(
        id=customer.id,
        name=customer.name,
        balance_control=customer.balance_control,
        currency=customer.currency,
        credit_limit=None
        if customer.credit_limit_micros is None
        else format_micros(customer.credit_limit_micros, exponent),
        balance=format_micros(customer.balance_micros, exponent),
        reserved=format_micros(reserved, exponent),
        available_funds=None if funds is None else format_micros(funds, exponent),
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
            reserved,
            customer.credit_limit_micros,
        ),
        created_at=customer.created_at,
        updated_at=customer.updated_at,
        next_billing_date=upcoming_billing_date(customer),
    )
