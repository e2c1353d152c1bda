"""The status a customer shows: stored states first, then what the balance says (DESIGN §5)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case

from kassa.db.models import Customer


def shown_status(
    status: str, balance_control: str, balance: int, reserved: int, credit_limit: int | None
) -> str:
    if status != "active":
        return status
    if balance_control == "postpaid":
        if credit_limit is not None and balance >= credit_limit:
            return "credit_exceeded"
        return "active"
    if (credit_limit or 0) - balance - reserved <= 0:
        return "no_available_funds"
    return "active"


def shown_status_sql() -> Any:
    """The same rule as :func:`shown_status`, as a SQL expression for filtering lists."""
    return case(
        (Customer.status != "active", Customer.status),
        (
            and_(
                Customer.balance_control == "postpaid",
                Customer.credit_limit_micros.is_not(None),
                Customer.balance_micros >= Customer.credit_limit_micros,
            ),
            "credit_exceeded",
        ),
        (
            and_(
                Customer.balance_control == "prepaid",
                Customer.credit_limit_micros - Customer.balance_micros - Customer.reserved_micros
                <= 0,
            ),
            "no_available_funds",
        ),
        else_="active",
    )
