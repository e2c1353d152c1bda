from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kassa.core.vocabulary import FieldType


class ListOption(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str = Field(max_length=200)
    value: str = Field(max_length=200)


class CustomFieldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=63)
    label: str = Field(max_length=200)
    type: FieldType
    min_length: int | None = Field(default=None, ge=0, le=100_000)
    max_length: int | None = Field(default=None, ge=1, le=100_000)
    min: Any = None
    max: Any = None
    options: list[ListOption] | None = Field(default=None, max_length=500)
    default: Any = None
    personal_data: bool = False


class CustomFieldPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str | None = Field(default=None, max_length=200)
    type: FieldType | None = None
    min_length: int | None = Field(default=None, ge=0, le=100_000)
    max_length: int | None = Field(default=None, ge=1, le=100_000)
    min: Any = None
    max: Any = None
    options: list[ListOption] | None = Field(default=None, max_length=500)
    default: Any = None
    personal_data: bool | None = None
    name: str | None = Field(default=None, max_length=63)


class CustomFieldOut(BaseModel):
    id: int
    name: str
    label: str
    type: str
    min_length: int | None
    max_length: int | None
    min: str | None
    max: str | None
    options: list[ListOption] | None
    default: Any
    personal_data: bool
    created_at: datetime
    updated_at: datetime


class CustomFieldPage(BaseModel):
    items: list[CustomFieldOut]
    next_cursor: str | None
