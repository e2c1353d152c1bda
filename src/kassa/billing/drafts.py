"""What closing a period works on: the customers due, as locked, and the draft of each invoice
before it is numbered and issued."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from kassa.billing.taxes import TaxAmount


@dataclass
class DueCustomer:
    id: int
    name: str
    email: str | None
    currency: str
    exponent: int
    balance: int
    status: str
    class_id: int
    kind: str
    zone: str
    anchor: date
    start: datetime
    end: datetime
    custom_data: dict[str, Any]


class Sums(NamedTuple):
    """A closed period's entries of one service, type and unit (and for voice, destination
    group), summed: what an invoice line is made from."""

    service: str | None
    entry_type: str
    entries: int
    total: int
    # Rated usage only: the units summed and what they count; None for money usage.
    units: int | None
    unit: str | None
    # Voice only (kassa.billing.destinations): the rates' prefix and a description of one;
    # a subscription fee's description is its entry's (the plan and the dates it covers).
    prefix: str | None
    description: str | None


# An invoice line: position, description, service, entry type, quantity, amount in micros;
# and for rated usage its units, unit and destination prefix. Built as a tuple (an invoice run
# makes hundreds of thousands), completed by its invoice's id.
MoneyLine = tuple[int, str, str | None, str, int, int]
RatedLine = tuple[int, str, str | None, str, int, int, int | None, str | None, str | None]
Line = MoneyLine | RatedLine


@dataclass
class Draft:
    customer: DueCustomer
    period_id: int
    start: datetime
    end: datetime
    issue_date: date
    due_date: date
    template: str
    inclusive: bool
    lines: list[Line]
    taxes: list[TaxAmount]
    subtotal: int
    tax_total: int
    total: int
    previous_balance: int
    payments: int
    amount_due: int
    number: str = ""
    invoice_id: int = 0
