"""Tariffs, rates and products written straight to the database, for tests of what uses them
(accounts, rated authorizations, invoices) that do not exercise the rating API itself."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime

from kassa.core.clock import utcnow
from kassa.core.names import name_key
from kassa.db.engine import Database
from kassa.db.models import Product, ProductRating, Rate, Tariff
from kassa.db.models.rate import ALWAYS_EFFECTIVE


@dataclass
class RateRow:
    prefix: str
    price_micros: int = 12_000
    per: int = 60
    first_interval: int = 60
    next_interval: int = 6
    connect_fee_micros: int = 0
    free_units: int = 0
    effective_from: datetime = ALWAYS_EFFECTIVE
    description: str | None = None


@dataclass
class TariffRows:
    service: str = "voice"
    unit: str = "second"
    rates: list[RateRow] = field(default_factory=lambda: [RateRow("")])


def make_product(db: Database, currency: str = "USD", *tariffs: TariffRows) -> int:
    """A product with one tariff per entry of ``tariffs`` (default: voice at 0.012 a minute,
    60/6, for every destination); returns the product's id."""
    now = utcnow()
    suffix = os.urandom(4).hex()
    with db.transaction() as session:
        product = Product(
            name=f"Product {suffix}",
            name_key=name_key(f"Product {suffix}"),
            currency=currency,
            description="",
            created_at=now,
            updated_at=now,
        )
        session.add(product)
        session.flush()
        for spec in tariffs or (TariffRows(),):
            name = f"Tariff {spec.service} {os.urandom(4).hex()}"
            tariff = Tariff(
                name=name,
                name_key=name_key(name),
                currency=currency,
                service=spec.service,
                unit=spec.unit,
                created_at=now,
                updated_at=now,
            )
            session.add(tariff)
            session.flush()
            session.add(
                ProductRating(product_id=product.id, service=spec.service, tariff_id=tariff.id)
            )
            for rate in spec.rates:
                session.add(Rate(tariff_id=tariff.id, created_at=now, **rate.__dict__))
        session.flush()
        return product.id
