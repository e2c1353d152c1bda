"""What units would cost an account, nothing held."""

from __future__ import annotations

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from kassa.charging.authorizations import account_not_found, service_not_rated
from kassa.charging.rates import found_rate_out
from kassa.charging.schemas import QuoteIn, QuoteOut
from kassa.core.clock import utcnow
from kassa.core.money import format_micros
from kassa.currencies.service import currency_exponent
from kassa.db.models import Account, Customer, ProductRating, Tariff
from kassa.rating.cost import cost_micros
from kassa.rating.lookup import destination_digits, find_rate, no_rate


def quote(session: Session, data: QuoteIn) -> QuoteOut:
    now = utcnow()
    digits = destination_digits(data.destination)
    row = session.execute(
        select(Account.id, Customer.currency, Tariff.id, Tariff.unit)
        .join(Customer, Customer.id == Account.customer_id)
        .outerjoin(
            ProductRating,
            and_(
                ProductRating.product_id == Account.product_id,
                ProductRating.service == data.service,
            ),
        )
        .outerjoin(Tariff, Tariff.id == ProductRating.tariff_id)
        .where(Account.identifier == data.account)
    ).first()
    if row is None:
        raise account_not_found(data.account)
    _, currency, tariff_id, unit = row
    if tariff_id is None:
        raise service_not_rated(data.service)
    rate = find_rate(session, tariff_id, digits, now)
    if rate is None:
        raise no_rate(tariff_id, digits)
    exponent = currency_exponent(session, currency)
    return QuoteOut(
        amount=format_micros(cost_micros(rate.terms, data.units), exponent),
        currency=currency,
        units=data.units,
        unit=unit,
        rate=found_rate_out(rate, exponent),
    )
