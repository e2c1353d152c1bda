"""A customer as the API and the web pages show it."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from kassa.core.clock import utcnow
from kassa.core.money import format_micros
from kassa.core.periods import next_billing_date
from kassa.customers.schemas import CustomerOut
from kassa.customers.status import shown_status
from kassa.db.models import Currency, Customer


_EXPONENTS: dict[str, int] = {}


def currency_exponent(session: Session, code: str) -> int:
    """ISO 4217 exponents never change, so each process reads them once."""
    if code not in _EXPONENTS:
        rows = session.execute(select(Currency.code, Currency.exponent))
        _EXPONENTS.update({c: e or 0 for c, e in rows})
    return _EXPONENTS.get(code, 2)


def available_funds_micros(customer: Customer) -> int | None:
    if customer.credit_limit_micros is None:
        return None
    return customer.credit_limit_micros - customer.balance_micros - customer.reserved_micros


def upcoming_billing_date(customer: Customer) -> date:
    return next_billing_date(
        customer.billing_period, customer.billing_timezone, customer.created_at, utcnow()
    )


def customer_out(customer: Customer, exponent: int) -> CustomerOut:
    funds = available_funds_micros(customer)
    return CustomerOut(
        id=customer.id,
        name=customer.name,
        balance_control=customer.balance_control,  # type: ignore[arg-type]
        currency=customer.currency,
        credit_limit=None
        if customer.credit_limit_micros is None
        else format_micros(customer.credit_limit_micros, exponent),
        balance=format_micros(customer.balance_micros, exponent),
        reserved=format_micros(customer.reserved_micros, exponent),
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
            customer.reserved_micros,
            customer.credit_limit_micros,
        ),
        created_at=customer.created_at,
        updated_at=customer.updated_at,
        next_billing_date=upcoming_billing_date(customer),
    )
