from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from kassa.core.ids import Id

SUSPEND_WHEN_FEES_UNPAID = (
    "A prepaid customer whose available funds do not cover an in-advance subscription fee is "
    "suspended until a payment covers it"
)
SKIP_IDLE_INVOICES = "A billing period without a single entry closes without an invoice"


class TaxIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=64)
    rate: Decimal = Field(allow_inf_nan=False)


class TaxationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    inclusive: bool = False
    taxes: list[TaxIn] = Field(default_factory=list, max_length=20)


class ClassFieldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    custom_field_id: Id
    mandatory: bool = False


class CustomerClassIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=100)
    currency: str | None = None
    grace_period_days: int = Field(default=0, ge=0, le=3650)
    suspend_after_days: int | None = Field(default=None, ge=0, le=3650)
    invoice_template: str = Field(default="standard", max_length=100)
    taxation: TaxationIn = Field(default_factory=TaxationIn)
    notifications: list[str] = Field(default_factory=list, max_length=50)
    credit_limit_warnings: list[Decimal] = Field(default_factory=list, max_length=10)
    custom_fields: list[ClassFieldIn] = Field(default_factory=list, max_length=200)
    suspend_when_fees_unpaid: bool = Field(default=False, description=SUSPEND_WHEN_FEES_UNPAID)
    skip_idle_invoices: bool = Field(default=False, description=SKIP_IDLE_INVOICES)


class CustomerClassPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, max_length=100)
    currency: str | None = None
    grace_period_days: int | None = Field(default=None, ge=0, le=3650)
    suspend_after_days: int | None = Field(default=None, ge=0, le=3650)
    invoice_template: str | None = Field(default=None, max_length=100)
    taxation: TaxationIn | None = None
    notifications: list[str] | None = Field(default=None, max_length=50)
    credit_limit_warnings: list[Decimal] | None = Field(default=None, max_length=10)
    custom_fields: list[ClassFieldIn] | None = Field(default=None, max_length=200)
    suspend_when_fees_unpaid: bool | None = Field(
        default=None, description=SUSPEND_WHEN_FEES_UNPAID
    )
    skip_idle_invoices: bool | None = Field(default=None, description=SKIP_IDLE_INVOICES)


class TaxOut(BaseModel):
    name: str
    rate: str


class TaxationOut(BaseModel):
    inclusive: bool
    taxes: list[TaxOut]


class ClassFieldOut(BaseModel):
    custom_field_id: int
    mandatory: bool


class CustomerClassOut(BaseModel):
    id: int
    name: str
    is_default: bool
    currency: str | None
    grace_period_days: int
    suspend_after_days: int | None
    invoice_template: str
    taxation: TaxationOut
    notifications: list[str]
    credit_limit_warnings: list[str]
    custom_fields: list[ClassFieldOut]
    suspend_when_fees_unpaid: bool = Field(description=SUSPEND_WHEN_FEES_UNPAID)
    skip_idle_invoices: bool = Field(description=SKIP_IDLE_INVOICES)
    created_at: datetime
    updated_at: datetime


class CustomerClassPage(BaseModel):
    items: list[CustomerClassOut]
    next_cursor: str | None
