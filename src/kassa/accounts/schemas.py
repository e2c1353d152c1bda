from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from kassa.core.ids import Id
from kassa.core.vocabulary import AccountAction, AccountStatus

# Room for blanks around an identifier and for a password past its own limit: both are
# refused by the domain, naming the field, rather than by the schema.
RAW_TEXT_LIMIT = 1000


class AccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    identifier: str = Field(
        max_length=RAW_TEXT_LIMIT,
        description="A phone number (+ and digits) or a login of letters, digits and . _ @ -, "
        "up to 128 characters; unique across the system",
    )
    product_id: Id
    password: str | None = Field(
        default=None, max_length=RAW_TEXT_LIMIT, description="Stored hashed, never returned"
    )
    max_sessions: int | None = Field(
        default=None, description="Sessions the account may hold at once; null for no limit"
    )


class AccountPatch(BaseModel):
    """The fields to change; a password of null clears it."""

    model_config = ConfigDict(extra="forbid")
    identifier: str | None = Field(default=None, max_length=RAW_TEXT_LIMIT)
    product_id: Id | None = None
    password: str | None = Field(default=None, max_length=RAW_TEXT_LIMIT)
    max_sessions: int | None = None


class AccountStatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: AccountAction


class AccountOut(BaseModel):
    id: int
    customer_id: int
    identifier: str
    product_id: int
    status: AccountStatus
    max_sessions: int | None
    has_password: bool
    created_at: datetime
    updated_at: datetime


class AccountPage(BaseModel):
    items: list[AccountOut]
    next_cursor: str | None
