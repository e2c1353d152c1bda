from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kassa.core.amounts import Amount, OptionalAmount
from kassa.core.clock import InputDateTime
from kassa.core.ids import Id
from kassa.core.vocabulary import AuthorizationStatus, TransactionType

DEFAULT_TTL_SECONDS = 900
MAX_TTL_SECONDS = 86_400
# The most units one call may name: a petabyte in bytes, some thirty million years in seconds.
MAX_UNITS = 10**15


class TransactionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: TransactionType
    amount: Amount
    visible_comment: str = Field(default="", max_length=1000)
    internal_comment: str = Field(default="", max_length=1000)


class TransactionOut(BaseModel):
    id: int
    customer_id: int
    type: str
    amount: str
    currency: str
    balance_after: str
    service: str | None
    visible_comment: str
    internal_comment: str
    user_id: int | None
    authorization_id: int | None
    external_id: str | None
    occurred_at: datetime | None
    created_at: datetime
    # Rated usage only: the account, the units and what they count, the destination, and the
    # prefix and description of the rate that priced them.
    account_id: int | None = None
    units: int | None = None
    unit: str | None = None
    destination: str | None = None
    rate_prefix: str | None = None
    rate_description: str | None = None


class TransactionPage(BaseModel):
    items: list[TransactionOut]
    next_cursor: str | None


class ReserveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: Amount
    min_amount: OptionalAmount = None
    service: str = Field(max_length=64)
    session_id: str | None = Field(default=None, max_length=200)
    ttl_seconds: int = Field(default=DEFAULT_TTL_SECONDS, ge=1, le=MAX_TTL_SECONDS)


class ExtendIn(BaseModel):
    """More for an open authorization: ``amount`` for a money one, ``units`` for a rated one."""

    model_config = ConfigDict(extra="forbid")
    amount: OptionalAmount = None
    units: int | None = Field(default=None, ge=1, le=MAX_UNITS)
    ttl_seconds: int | None = Field(default=None, ge=1, le=MAX_TTL_SECONDS)


class CommitIn(BaseModel):
    """What was used: ``amount`` for a money authorization, ``units`` for a rated one."""

    model_config = ConfigDict(extra="forbid")
    amount: OptionalAmount = None
    units: int | None = Field(default=None, ge=0, le=MAX_UNITS)


class AppliedRate(BaseModel):
    """The rate a rated authorization or quote is priced at, as it was when it was asked."""

    tariff_id: int
    prefix: str
    price: str
    per: int
    first_interval: int
    next_interval: int
    connect_fee: str
    free_units: int
    description: str | None


class AuthorizationOut(BaseModel):
    id: int
    customer_id: int
    status: AuthorizationStatus
    service: str
    session_id: str | None
    currency: str
    amount: str
    committed_amount: str | None
    transaction_id: int | None
    available_funds: str | None
    created_at: datetime
    updated_at: datetime
    expires_at: datetime
    # Rated authorizations only (null on money ones). ``amount`` is the cost of the units
    # granted, and once committed the cost of the units used; ``units`` are those used, and
    # ``overrun_units`` those used beyond the grant (posted all the same).
    account_id: int | None = None
    destination: str | None = None
    unit: str | None = None
    granted_units: int | None = None
    units: int | None = None
    overrun_units: int | None = None
    rate: AppliedRate | None = None


class AuthorizationPage(BaseModel):
    items: list[AuthorizationOut]
    next_cursor: str | None


class UsageRecordIn(BaseModel):
    """Usage that happened: either rated already (``customer_id`` and ``amount``) or to be
    rated by an account's product (``account``, ``units`` and, for services priced by
    destination, ``destination``)."""

    model_config = ConfigDict(extra="forbid")
    customer_id: Id | None = None
    account: str | None = Field(default=None, min_length=1, max_length=128)
    service: str = Field(max_length=64)
    amount: OptionalAmount = None
    destination: str | None = Field(default=None, min_length=1, max_length=64)
    units: int | None = Field(default=None, ge=0, le=MAX_UNITS)
    occurred_at: InputDateTime
    external_id: str = Field(min_length=1, max_length=128)
    description: str = Field(default="", max_length=1000)


class UsageBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    records: list[UsageRecordIn] = Field(min_length=1, max_length=1000)


class UsageResult(BaseModel):
    index: int
    external_id: str
    status: Literal["posted", "duplicate", "rejected"]
    transaction_id: int | None = None
    code: str | None = None
    errors: list[dict[str, str]] = Field(default_factory=list)


class UsageBatchOut(BaseModel):
    posted: int
    duplicates: int
    rejected: int
    results: list[UsageResult]
