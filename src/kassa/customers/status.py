"""The status a customer shows: stored states first, then what the balance says.

The order is docs/architecture.md §2's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, case

from kassa.core.vocabulary import BalanceControl, CustomerStatus
from kassa.db.models import Customer
from kassa.ledger.holds import lapsed_micros


def shown_status(
    status: str, balance_control: str, balance: int, reserved: int, credit_limit: int | None
) -> str:
    if status != CustomerStatus.ACTIVE:
        return status
    if balance_control == BalanceControl.POSTPAID:
        if credit_limit is not None and balance >= credit_limit:
            return CustomerStatus.CREDIT_EXCEEDED
        return CustomerStatus.ACTIVE
    if (credit_limit or 0) - balance - reserved <= 0:
        return CustomerStatus.NO_AVAILABLE_FUNDS
    return CustomerStatus.ACTIVE


def shown_status_sql(now: datetime) -> Any:
    """The same rule as :func:`shown_status`, as a SQL expression for filtering lists; like
    every reader it leaves out the holds of reservations expired by ``now``."""
    return case(
        (Customer.status != CustomerStatus.ACTIVE, Customer.status),
        (
            and_(
                Customer.balance_control == BalanceControl.POSTPAID,
                Customer.credit_limit_micros.is_not(None),
                Customer.balance_micros >= Customer.credit_limit_micros,
            ),
            CustomerStatus.CREDIT_EXCEEDED.value,
        ),
        (
            and_(
                Customer.balance_control == BalanceControl.PREPAID,
                Customer.credit_limit_micros
                - Customer.balance_micros
                - (Customer.reserved_micros - lapsed_micros(Customer.id, now))
                <= 0,
            ),
            CustomerStatus.NO_AVAILABLE_FUNDS.value,
        ),
        else_=CustomerStatus.ACTIVE.value,
    )
