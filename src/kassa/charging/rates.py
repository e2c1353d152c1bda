"""A rated authorization's rate, snapshotted on its row, and how it is shown."""

from __future__ import annotations

from typing import Any

from kassa.core.money import format_micros
from kassa.ledger.authorization_queries import AuthorizationRecord
from kassa.ledger.schemas import AppliedRate
from kassa.rating.cost import RateTerms
from kassa.rating.lookup import FoundRate


def terms_of(auth: AuthorizationRecord) -> RateTerms:
    """The rate terms reserved with a rated authorization: a later rate change leaves them."""
    assert auth.price_micros is not None and auth.per is not None
    assert auth.first_interval is not None and auth.next_interval is not None
    return RateTerms(
        price_micros=auth.price_micros,
        per=auth.per,
        first_interval=auth.first_interval,
        next_interval=auth.next_interval,
        connect_fee_micros=auth.connect_fee_micros or 0,
        free_units=auth.free_units or 0,
    )


def snapshot(rate: FoundRate) -> dict[str, Any]:
    """The rate's columns on an authorization's row."""
    terms = rate.terms
    return {
        "tariff_id": rate.tariff_id,
        "rate_prefix": rate.prefix,
        "rate_description": rate.description,
        "price_micros": terms.price_micros,
        "per": terms.per,
        "first_interval": terms.first_interval,
        "next_interval": terms.next_interval,
        "connect_fee_micros": terms.connect_fee_micros,
        "free_units": terms.free_units,
    }


def rate_out(
    tariff_id: int, prefix: str, description: str | None, terms: RateTerms, exponent: int
) -> AppliedRate:
    return AppliedRate(
        tariff_id=tariff_id,
        prefix=prefix,
        price=format_micros(terms.price_micros, exponent),
        per=terms.per,
        first_interval=terms.first_interval,
        next_interval=terms.next_interval,
        connect_fee=format_micros(terms.connect_fee_micros, exponent),
        free_units=terms.free_units,
        description=description,
    )


def found_rate_out(rate: FoundRate, exponent: int) -> AppliedRate:
    return rate_out(rate.tariff_id, rate.prefix, rate.description, rate.terms, exponent)


def authorization_rate_out(auth: AuthorizationRecord, exponent: int) -> AppliedRate | None:
    if auth.unit is None or auth.tariff_id is None:
        return None
    return rate_out(
        auth.tariff_id, auth.rate_prefix or "", auth.rate_description, terms_of(auth), exponent
    )
