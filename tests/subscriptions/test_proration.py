"""Shares of a period's fee: however a period is cut, its parts pay its fee exactly."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kassa.core.periods import whole_period_around
from kassa.subscriptions.describe import share
from kassa.subscriptions.proration import prorated_micros

MONTHS = [
    ("2027-02-10", 28),
    ("2028-02-10", 29),
    ("2027-04-10", 30),
    ("2027-03-10", 31),
]


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@given(
    fee=st.integers(min_value=0, max_value=10**15).map(lambda units: units * 10_000),
    cuts=st.lists(st.integers(min_value=0, max_value=31 * 86_400), max_size=12),
    month=st.sampled_from(MONTHS),
    exponent=st.sampled_from([0, 2, 3, 6]),
)
def test_the_parts_of_any_split_add_up_to_the_fee(
    fee: int, cuts: list[int], month: tuple[str, int], exponent: int
) -> None:
    fee -= fee % 10 ** (6 - exponent)
    start, end = whole_period_around("monthly", "UTC", date(2020, 1, 1), _utc(month[0]))
    seconds = sorted({min(c, int((end - start).total_seconds())) for c in cuts})
    edges = [start, *(start + timedelta(seconds=s) for s in seconds), end]
    parts = [prorated_micros(fee, (start, end), (a, b), exponent) for a, b in pairwise(edges)]
    assert sum(parts) == fee
    assert all(p >= 0 and p % 10 ** (6 - exponent) == 0 for p in parts)


@pytest.mark.parametrize(("inside", "days"), MONTHS)
def test_a_day_pays_its_share_of_its_own_month(inside: str, days: int) -> None:
    whole = whole_period_around("monthly", "UTC", date(2020, 1, 1), _utc(inside))
    assert (whole[1] - whole[0]).days == days
    day = (whole[0], whole[0] + timedelta(days=1))
    fee = days * 1_000_000
    assert prorated_micros(fee, whole, day, 2) == 1_000_000
    assert share(day, whole, "monthly", "UTC") == f"1/{days} of the month"


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        ("Europe/Prague", "2027-03-28", 23),
        ("Europe/Prague", "2027-10-31", 25),
        ("America/New_York", "2027-03-14", 23),
        ("America/New_York", "2027-11-07", 25),
        ("Europe/Prague", "2027-06-01", 24),
    ],
)
def test_a_dst_day_is_a_daily_period_of_its_true_length(zone: str, day: str, hours: int) -> None:
    tz = ZoneInfo(zone)
    noon = datetime.fromisoformat(f"{day}T12:00:00").replace(tzinfo=tz).astimezone(UTC)
    whole = whole_period_around("daily", zone, date(2020, 1, 1), noon)
    assert whole[1] - whole[0] == timedelta(hours=hours)
    # From noon to midnight: twelve of the day's real hours, DST or not.
    fee = hours * 1_000_000
    assert prorated_micros(fee, whole, (noon, whole[1]), 2) == 12_000_000
    assert prorated_micros(fee, whole, (whole[0], noon), 2) == (hours - 12) * 1_000_000
    assert share((noon, whole[1]), whole, "daily", zone) == f"{1200 / hours:.2f}% of the day"


def test_rounding_is_to_the_currency_and_loses_nothing() -> None:
    whole = whole_period_around("monthly", "UTC", date(2020, 1, 1), _utc("2027-03-10"))
    thirds = [whole[0], whole[0] + timedelta(days=10), whole[0] + timedelta(days=20), whole[1]]
    parts = [prorated_micros(10_000_000, whole, (a, b), 2) for a, b in pairwise(thirds)]
    # Cut where the rounded fee up to each edge falls: 3.23, 6.45 and 10.00.
    assert parts == [3_230_000, 3_220_000, 3_550_000]
    assert sum(parts) == 10_000_000
