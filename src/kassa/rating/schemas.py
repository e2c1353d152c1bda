"""The rating API's input and output: tariffs, their rates, rate imports and products."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from kassa.core.amounts import Amount
from kassa.core.clock import InputDateTime
from kassa.core.ids import Id
from kassa.core.vocabulary import RatingUnit

# Units counted by a rate (per, intervals, free units) stay far inside BIGINT, so that the
# cost arithmetic (billed * price) never overflows in the database or in Python's hands.
MAX_UNITS = 10**12


class TariffIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=200)
    currency: str = Field(max_length=3)
    service: str = Field(max_length=64)
    unit: RatingUnit


class TariffPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, max_length=200)
    currency: str | None = Field(default=None, max_length=3)
    service: str | None = Field(default=None, max_length=64)
    unit: RatingUnit | None = None


class TariffOut(BaseModel):
    id: int
    name: str
    currency: str
    service: str
    unit: RatingUnit
    created_at: datetime
    updated_at: datetime


class TariffPage(BaseModel):
    items: list[TariffOut]
    next_cursor: str | None


class RateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    prefix: str = Field(max_length=32, description='Digits, or "" for every other destination')
    price: Amount = Field(description="The price of `per` units, up to 6 decimals")
    per: int = Field(ge=1, le=MAX_UNITS, description="How many units `price` buys, e.g. 60")
    first_interval: int = Field(default=1, ge=1, le=MAX_UNITS)
    next_interval: int = Field(default=1, ge=1, le=MAX_UNITS)
    connect_fee: Amount = Field(default=Decimal(0))
    free_units: int = Field(default=0, ge=0, le=MAX_UNITS)
    effective_from: InputDateTime | None = Field(
        default=None, description="null: the rate has always been effective"
    )
    description: str | None = Field(default=None, max_length=200)


class RateOut(BaseModel):
    id: int
    tariff_id: int
    prefix: str
    price: str
    per: int
    first_interval: int
    next_interval: int
    connect_fee: str
    free_units: int
    effective_from: datetime | None
    description: str | None
    created_at: datetime


class RatePage(BaseModel):
    items: list[RateOut]
    next_cursor: str | None


class RateImportOut(BaseModel):
    imported: int


class ProductRatingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    service: str = Field(max_length=64)
    tariff_id: Id


class ProductIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=200)
    currency: str = Field(max_length=3)
    description: str = Field(default="", max_length=2000)
    rating: list[ProductRatingIn] = Field(default_factory=list, max_length=50)


class ProductPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, max_length=200)
    currency: str | None = Field(default=None, max_length=3)
    description: str | None = Field(default=None, max_length=2000)
    rating: list[ProductRatingIn] | None = Field(default=None, max_length=50)


class ProductRatingOut(BaseModel):
    service: str
    tariff_id: int
    tariff_name: str


class ProductOut(BaseModel):
    id: int
    name: str
    currency: str
    description: str
    rating: list[ProductRatingOut]
    created_at: datetime
    updated_at: datetime


class ProductPage(BaseModel):
    items: list[ProductOut]
    next_cursor: str | None
