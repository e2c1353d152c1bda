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
    model_config = ConfigDict(extra="forbid")
    amount: Amount
    ttl_seconds: int | None = Field(default=None, ge=1, le=MAX_TTL_SECONDS)


class CommitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: Amount


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


class AuthorizationPage(BaseModel):
    items: list[AuthorizationOut]
    next_cursor: str | None


class UsageRecordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_id: Id
    service: str = Field(max_length=64)
    amount: Amount
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
