from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from kassa.ledger.schemas import DEFAULT_TTL_SECONDS, MAX_TTL_SECONDS, MAX_UNITS, AppliedRate

Identifier = Field(min_length=1, max_length=128)
Destination = Field(default=None, min_length=1, max_length=64)


class RatedReserveIn(BaseModel):
    """A reservation in units: as many of ``units`` as the funds cover, at least ``min_units``
    (default: the rate's first interval, or ``units`` when fewer)."""

    model_config = ConfigDict(extra="forbid")
    account: str = Identifier
    service: str = Field(max_length=64)
    destination: str | None = Destination
    units: int = Field(ge=1, le=MAX_UNITS)
    min_units: int | None = Field(default=None, ge=1, le=MAX_UNITS)
    session_id: str | None = Field(default=None, max_length=200)
    ttl_seconds: int = Field(default=DEFAULT_TTL_SECONDS, ge=1, le=MAX_TTL_SECONDS)


class QuoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    account: str = Identifier
    service: str = Field(max_length=64)
    destination: str | None = Destination
    units: int = Field(ge=0, le=MAX_UNITS)


class QuoteOut(BaseModel):
    amount: str
    currency: str
    units: int
    unit: str
    rate: AppliedRate
