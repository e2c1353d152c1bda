"""The one place Kassa reads the time: always aware, always UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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
