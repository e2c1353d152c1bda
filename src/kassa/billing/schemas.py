from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from kassa.core.clock import InputDateTime
from kassa.core.vocabulary import BillingRunStatus


class BillingRunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    as_of: InputDateTime | None = None
    # False: answer 202 with the run at once and carry it out in the background.
    wait: bool = True


class BillingRunOut(BaseModel):
    id: int
    as_of: datetime
    status: BillingRunStatus
    triggered_by: str
    periods_closed: int
    invoices_issued: int
    # Progress: the customers with periods due when the run started, and those gone through.
    customers_total: int | None = None
    customers_done: int = 0
    # What collection did; null until the run has finished.
    invoices_overdue: int | None = None
    customers_suspended: int | None = None
    error: str | None = None
    started_at: datetime
    finished_at: datetime | None


class BillingRunPage(BaseModel):
    items: list[BillingRunOut]
    next_cursor: str | None


class InvoiceLineOut(BaseModel):
    description: str
    service: str | None
    entry_type: str
    # How many entries the line sums.
    quantity: int
    amount: str
    # Rated usage: the units the entries add up to and what they count ("second", "byte",
    # "message", "unit"), and those units as the invoice shows them ("12.5 min"); null for
    # lines of money.
    units: int | None = None
    unit: str | None = None
    units_display: str | None = None
    # Voice usage: the rate prefix of the destination group the line sums ("" for the rate
    # that matches every other destination); null for other lines.
    destination_prefix: str | None = None


class InvoiceTaxOut(BaseModel):
    name: str
    rate: str
    amount: str


class InvoiceOut(BaseModel):
    id: int
    number: str
    customer_id: int
    customer_name: str
    period_start: datetime
    period_end: datetime
    billing_timezone: str
    issue_date: date
    due_date: date
    currency: str
    lines: list[InvoiceLineOut]
    subtotal: str
    taxes: list[InvoiceTaxOut]
    tax_inclusive: bool
    total: str
    previous_balance: str
    payments: str
    amount_due: str
    status: str
    paid_at: datetime | None
    created_at: datetime


class InvoiceSummary(BaseModel):
    id: int
    number: str
    customer_id: int
    issue_date: date
    due_date: date
    currency: str
    total: str
    amount_due: str
    status: str


class InvoicePage(BaseModel):
    items: list[InvoiceOut]
    next_cursor: str | None
