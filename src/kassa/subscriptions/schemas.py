"""The subscriptions API's input and output: plans, subscriptions and the fees they posted."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from kassa.core.amounts import Amount
from kassa.core.clock import InputDateTime
from kassa.core.ids import Id
from kassa.core.vocabulary import FeeCharging, FeeKind, SubscriptionStatus

# More periods of commitment than anyone signs (a century of months).
MAX_MINIMUM_PERIODS = 1200


class PlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=200)
    currency: str = Field(max_length=3)
    periodic_fee: Amount = Field(description="The fee of one whole billing period")
    activation_fee: Amount = Field(default=Decimal(0), description="Posted once, at the start")
    charged: FeeCharging = FeeCharging.IN_ADVANCE
    prorate: bool = Field(
        default=True, description="A partial period pays its share of the fee, else all of it"
    )
    minimum_periods: int = Field(default=0, ge=0, le=MAX_MINIMUM_PERIODS)
    cancellation_fee: Amount = Field(
        default=Decimal(0), description="Posted once when it ends before its minimum periods"
    )
    description: str = Field(default="", max_length=2000)


class PlanPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, max_length=200)
    currency: str | None = Field(default=None, max_length=3)
    periodic_fee: Amount | None = Field(
        default=None, description="A change applies from each subscription's next period"
    )
    activation_fee: Amount | None = None
    charged: FeeCharging | None = None
    prorate: bool | None = None
    minimum_periods: int | None = Field(default=None, ge=0, le=MAX_MINIMUM_PERIODS)
    cancellation_fee: Amount | None = None
    description: str | None = Field(default=None, max_length=2000)


class PlanOut(BaseModel):
    id: int
    name: str
    currency: str
    periodic_fee: str
    activation_fee: str
    charged: FeeCharging
    prorate: bool
    minimum_periods: int
    cancellation_fee: str
    description: str
    subscriptions: int = Field(description="How many subscriptions, of any status, use it")
    created_at: datetime
    updated_at: datetime


class PlanPage(BaseModel):
    items: list[PlanOut]
    next_cursor: str | None


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    plan_id: Id
    account_id: Id | None = None
    starts_at: InputDateTime | None = Field(default=None, description="null: now")
    ends_at: InputDateTime | None = Field(default=None, description="null: until cancelled")


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    at: InputDateTime | None = Field(default=None, description="null: now")


class SubscriptionOut(BaseModel):
    id: int
    customer_id: int
    account_id: int | None
    plan_id: int
    plan_name: str
    status: SubscriptionStatus
    starts_at: datetime
    ends_at: datetime | None
    charged_through: datetime
    commitment_ends_at: datetime
    next_charge_at: datetime | None
    currency: str
    periodic_fee: str
    cancelled_at: datetime | None
    created_at: datetime
    updated_at: datetime


class SubscriptionPage(BaseModel):
    items: list[SubscriptionOut]
    next_cursor: str | None


class FeeOut(BaseModel):
    id: int
    subscription_id: int
    kind: FeeKind
    period_start: datetime
    period_end: datetime
    amount: str
    full_fee: str = Field(description="A periodic fee's whole-period fee; else the amount")
    currency: str
    transaction_id: int | None
    created_at: datetime


class FeePage(BaseModel):
    items: list[FeeOut]
    next_cursor: str | None
