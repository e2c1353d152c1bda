from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kassa.core.amounts import OptionalAmount
from kassa.core.ids import Id
from kassa.core.periods import BillingPeriod
from kassa.core.vocabulary import BalanceControl, CustomerAction, SuspensionReason


class CustomerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=200)
    balance_control: BalanceControl
    currency: str = Field(max_length=3)
    credit_limit: OptionalAmount = None
    available_funds: OptionalAmount = None
    business_model_id: Id
    customer_class_id: Id | None = None
    billing_period: BillingPeriod = BillingPeriod.MONTHLY
    billing_timezone: str = Field(default="UTC", max_length=64)
    email: str | None = Field(default=None, max_length=254)
    custom_data: dict[str, Any] = Field(default_factory=dict)


class CustomerPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, max_length=200)
    credit_limit: OptionalAmount = None
    business_model_id: Id | None = None
    customer_class_id: Id | None = None
    billing_period: BillingPeriod | None = None
    billing_timezone: str | None = Field(default=None, max_length=64)
    email: str | None = Field(default=None, max_length=254)
    custom_data: dict[str, Any] | None = None
    # Accepted only to be refused with a clear 'immutable_field' error.
    currency: Any = None
    balance_control: Any = None
    available_funds: Any = None


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: CustomerAction


class CustomerOut(BaseModel):
    id: int
    name: str
    balance_control: BalanceControl
    currency: str
    credit_limit: str | None
    balance: str
    reserved: str
    available_funds: str | None
    business_model_id: Id
    customer_class_id: int
    billing_period: str
    billing_timezone: str
    email: str | None
    custom_data: dict[str, Any]
    status: str
    # Why a suspended customer is: an overdue invoice, or subscription fees its funds did not
    # cover. None unless suspended.
    suspended_for: SuspensionReason | None = None
    created_at: datetime
    updated_at: datetime
    next_billing_date: date


class CustomerPage(BaseModel):
    items: list[CustomerOut]
    next_cursor: str | None
