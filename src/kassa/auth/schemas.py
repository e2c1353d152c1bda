from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(max_length=100)
    role: str
    password: str | None = Field(default=None, max_length=200)


class UserOut(BaseModel):
    id: int
    username: str
    role: str
    active: bool
    created_at: datetime
    locked_until: datetime | None = Field(
        default=None, description="Until when failed sign-ins have locked this user, if they have"
    )


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    active: bool | None = Field(
        default=None,
        description="false disables the user: no sign-in, every web session ended, every API "
        "token refused; true enables them again",
    )


class PasswordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: str = Field(max_length=200, description="The new password, 8 characters or more")
    current_password: str | None = Field(
        default=None,
        max_length=200,
        description="Required to change your own password; an admin resets another user's "
        "without it",
    )


class LockoutOut(BaseModel):
    scope: str = Field(description="user or address")
    key: str = Field(description="The username as typed, or the client address")
    failures: int
    locked_until: datetime


class UserPage(BaseModel):
    items: list[UserOut]
    next_cursor: str | None


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(default="api", max_length=100)


class TokenOut(BaseModel):
    id: int
    user_id: int
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None
    token: str | None = Field(default=None, description="Shown once, when the token is created")


class AuditEntryOut(BaseModel):
    id: int
    user_id: int | None
    action: str
    entity_type: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    created_at: datetime


class AuditPage(BaseModel):
    items: list[AuditEntryOut]
    next_cursor: str | None
