"""Credit notes in the API: what staff send to issue one, and what Kassa answers."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from kassa.billing.schemas import InvoiceTaxOut
from kassa.core.amounts import Amount

MAX_LINES = 100


class CreditNoteLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: str = Field(max_length=200)
    # In the invoice's currency, at most its decimals, greater than zero; tax included.
    amount: Amount


class CreditNoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lines: list[CreditNoteLineIn] = Field(max_length=MAX_LINES)
    reason: str = Field(default="", max_length=1000)


class CreditNoteLineOut(BaseModel):
    position: int
    description: str
    amount: str


class CreditNoteOut(BaseModel):
    id: int
    number: str
    invoice_id: int
    invoice_number: str
    customer_id: int
    currency: str
    issue_date: date
    reason: str
    lines: list[CreditNoteLineOut]
    # What the customer is credited, taxes included; ``taxes`` are the part of it that is tax.
    total: str
    taxes: list[InvoiceTaxOut]
    # The manual_credit entry that credited the total.
    transaction_id: int
    user_id: int | None
    created_at: datetime


class CreditNotePage(BaseModel):
    items: list[CreditNoteOut]
    next_cursor: str | None
