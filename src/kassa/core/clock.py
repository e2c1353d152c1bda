"""The one place Kassa reads the time: always aware, always UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator

OUT_OF_RANGE = "is out of range: in UTC it must fall within the years 1 to 9999"

# How far this process's clock is moved from the system's. Only tests set it, to run the
# calendar-bound tests on a chosen day; Kassa has no setting for it.
_shift = timedelta(0)


def utcnow() -> datetime:
    return datetime.now(UTC) + _shift


def run_clock_from(moment: datetime) -> None:
    """Make ``utcnow`` read ``moment`` now, and run on from there at the normal pace."""
    global _shift
    _shift = as_utc(moment) - datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Values read back from SQLite come naive; they were written as UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def instant_in_utc(value: datetime) -> datetime:
    """An aware input moment in UTC, where every one is stored; ValueError when it has none
    there (9999-12-31T23:59:59-12:00 is already year 10000). Naive values pass unchanged,
    for the caller to refuse with its own words."""
    if value.tzinfo is None or value.utcoffset() is None:
        return value
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError(OUT_OF_RANGE) from None


# Every datetime the API reads: one that cannot be told in UTC is refused as its field's error.
InputDateTime = Annotated[datetime, AfterValidator(instant_in_utc)]
