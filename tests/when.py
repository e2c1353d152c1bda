"""Dates relative to what a test created, so that the suite passes on any day.

A customer's first period starts when the test creates it; fixed calendar dates in a test
would close that period on some days and not on others.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from kassa.core.clock import as_utc, utcnow
from kassa.db.engine import Database
from kassa.db.models import Customer

# Long enough for any first period (the longest, monthly, is at most 31 days plus a time
# zone's offset) to have ended, and well inside the billing horizon.
FIRST_PERIODS_ENDED_DAYS = 40


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def days_ahead(days: float) -> str:
    """An ``as_of`` that many days after now."""
    return iso(utcnow() + timedelta(days=days))


def after_first_periods() -> str:
    """An ``as_of`` by which the first period of every customer created so far has ended."""
    return days_ahead(FIRST_PERIODS_ENDED_DAYS)


def period_end(db: Database, customer: int) -> datetime:
    """The end of the customer's open period (UTC)."""
    with db.reading() as session:
        row = session.get(Customer, customer)
        assert row is not None and row.period_end_at is not None
        return as_utc(row.period_end_at)
