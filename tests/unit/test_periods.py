"""Billing periods (kassa.core.periods): worked examples, DST cases and Hypothesis properties."""

from __future__ import annotations

import calendar
import functools
import itertools
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from kassa.core.periods import (
    BILLING_PERIODS,
    BillingPeriod,
    anchor_day,
    iter_periods,
    next_billing_date,
    next_boundary,
    next_boundary_date,
    period_containing,
    start_of_local_day,
)

DAILY = BillingPeriod.DAILY
WEEKLY = BillingPeriod.WEEKLY
SEMIMONTHLY = BillingPeriod.SEMIMONTHLY
MONTHLY = BillingPeriod.MONTHLY
ANNIVERSARY = BillingPeriod.MONTHLY_ANNIVERSARY
THIRTY = BillingPeriod.THIRTY_DAYS

PRAGUE = ZoneInfo("Europe/Prague")
SANTIAGO = ZoneInfo("America/Santiago")
HAVANA = ZoneInfo("America/Havana")
ST_JOHNS = ZoneInfo("America/St_Johns")
KATHMANDU = ZoneInfo("Asia/Kathmandu")
KIRITIMATI = ZoneInfo("Pacific/Kiritimati")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
APIA = ZoneInfo("Pacific/Apia")
UTC_ZONE = ZoneInfo("UTC")

ONE_DAY = timedelta(days=1)
ONE_US = timedelta(microseconds=1)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


def local(
    tz: ZoneInfo, year: int, month: int, day: int, hour: int = 0, minute: int = 0
) -> datetime:
    """A wall time in `tz` (only for wall times that exist exactly once), as a UTC instant."""
    return datetime(year, month, day, hour, minute, tzinfo=tz).astimezone(UTC)


def end_dates(kind: BillingPeriod, tz: ZoneInfo, created: datetime, until: datetime) -> list[date]:
    return [end.astimezone(tz).date() for _, end in iter_periods(kind, tz, created, until)]


# --- API surface and validation -------------------------------------------------------------


def test_billing_periods_are_the_enum_values_in_order() -> None:
    assert BILLING_PERIODS == (
        "daily",
        "weekly",
        "semimonthly",
        "monthly",
        "monthly_anniversary",
        "thirty_days",
    )
    assert BillingPeriod("weekly") is WEEKLY
    assert next_boundary_date("monthly", date(2024, 1, 5), date(2024, 1, 5)) == date(2024, 2, 1)


def test_unknown_period_is_a_value_error_naming_it() -> None:
    with pytest.raises(ValueError, match="yearly"):
        next_boundary_date("yearly", date(2024, 1, 1), date(2024, 1, 1))
    with pytest.raises(ValueError, match="fortnightly"):
        iter_periods("fortnightly", "UTC", utc(2024, 1, 1), utc(2024, 2, 1))
    with pytest.raises(ValueError, match="Monthly"):
        period_containing("Monthly", "UTC", utc(2024, 1, 1), utc(2024, 2, 1))


@pytest.mark.parametrize(
    "call",
    [
        lambda naive: anchor_day(naive, PRAGUE),
        lambda naive: next_boundary(MONTHLY, PRAGUE, naive, utc(2024, 1, 2)),
        lambda naive: next_boundary(MONTHLY, PRAGUE, utc(2024, 1, 1), naive),
        lambda naive: period_containing(MONTHLY, PRAGUE, naive, utc(2024, 1, 2)),
        lambda naive: period_containing(MONTHLY, PRAGUE, utc(2023, 1, 1), naive),
        lambda naive: iter_periods(MONTHLY, PRAGUE, naive, utc(2024, 5, 1)),
        lambda naive: iter_periods(MONTHLY, PRAGUE, utc(2023, 1, 1), naive),
        lambda naive: next_billing_date(MONTHLY, PRAGUE, naive, utc(2024, 1, 2)),
        lambda naive: next_billing_date(MONTHLY, PRAGUE, utc(2023, 1, 1), naive),
    ],
)
def test_naive_datetimes_are_refused(call: Callable[[datetime], object]) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        call(datetime(2024, 1, 1, 12))


def test_at_before_creation_is_refused() -> None:
    with pytest.raises(ValueError, match="before created_at"):
        period_containing(DAILY, "UTC", utc(2024, 1, 2), utc(2024, 1, 1))


def test_zone_may_be_a_name_and_inputs_may_be_in_any_zone() -> None:
    created = local(PRAGUE, 2024, 3, 5, 10)
    until = utc(2024, 7, 1)
    expected = list(iter_periods(MONTHLY, PRAGUE, created, until))
    tokyo = ZoneInfo("Asia/Tokyo")
    got = list(iter_periods("monthly", "Europe/Prague", created.astimezone(tokyo), until))
    assert got == expected
    assert all(s.utcoffset() == e.utcoffset() == timedelta(0) for s, e in got)
    assert expected[1] == (local(PRAGUE, 2024, 4, 1), local(PRAGUE, 2024, 5, 1))


# --- one example per kind -------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(BillingPeriod))
def test_first_period_is_partial_and_starts_at_creation_exactly(kind: BillingPeriod) -> None:
    created = utc(2024, 3, 13, 17, 45, 12, 345678)
    first = next(iter_periods(kind, PRAGUE, created, utc(2025, 1, 1)))
    assert first[0] == created
    assert first[1] == next_boundary(kind, PRAGUE, created, created)
    assert period_containing(kind, PRAGUE, created, created) == first
    assert period_containing(kind, PRAGUE, created, first[1] - ONE_US) == first


def test_daily() -> None:
    created = local(PRAGUE, 2024, 1, 10, 15, 30)
    assert list(iter_periods(DAILY, PRAGUE, created, local(PRAGUE, 2024, 1, 13))) == [
        (created, utc(2024, 1, 10, 23)),
        (utc(2024, 1, 10, 23), utc(2024, 1, 11, 23)),
        (utc(2024, 1, 11, 23), utc(2024, 1, 12, 23)),
    ]


def test_weekly_periods_start_on_monday() -> None:
    created = utc(2024, 5, 15, 10)  # a Wednesday
    assert end_dates(WEEKLY, UTC_ZONE, created, utc(2024, 6, 5)) == [
        date(2024, 5, 20),
        date(2024, 5, 27),
        date(2024, 6, 3),
    ]
    monday = utc(2024, 5, 20)
    assert period_containing(WEEKLY, "UTC", monday, monday) == (monday, utc(2024, 5, 27))
    sunday_night = utc(2024, 5, 19, 23, 59)
    assert next_boundary(WEEKLY, "UTC", sunday_night, sunday_night) == monday


def test_semimonthly_splits_on_the_1st_and_16th_including_end_of_february() -> None:
    created = utc(2023, 2, 3, 12)
    assert end_dates(SEMIMONTHLY, UTC_ZONE, created, utc(2023, 4, 1)) == [
        date(2023, 2, 16),
        date(2023, 3, 1),
        date(2023, 3, 16),
        date(2023, 4, 1),
    ]
    assert period_containing(SEMIMONTHLY, "UTC", created, utc(2023, 2, 28, 23)) == (
        utc(2023, 2, 16),
        utc(2023, 3, 1),
    )
    leap = period_containing(SEMIMONTHLY, "UTC", created, utc(2024, 2, 29, 12))
    assert leap == (utc(2024, 2, 16), utc(2024, 3, 1))
    assert next_boundary_date(SEMIMONTHLY, date(2024, 1, 1), date(2100, 2, 16)) == date(2100, 3, 1)
    assert next_boundary_date(SEMIMONTHLY, date(2024, 1, 1), date(2024, 12, 31)) == date(2025, 1, 1)


def test_monthly_follows_calendar_months_and_leap_years() -> None:
    created = utc(2024, 1, 31, 18)
    assert end_dates(MONTHLY, UTC_ZONE, created, utc(2024, 4, 1)) == [
        date(2024, 2, 1),
        date(2024, 3, 1),
        date(2024, 4, 1),
    ]
    start, end = period_containing(MONTHLY, "UTC", created, utc(2024, 2, 29, 23, 59))
    assert end - start == timedelta(days=29)
    start, end = period_containing(MONTHLY, "UTC", utc(2023, 1, 1), utc(2023, 2, 10))
    assert end - start == timedelta(days=28)
    assert next_boundary(MONTHLY, "UTC", utc(2024, 12, 5), utc(2024, 12, 5)) == utc(2025, 1, 1)


@pytest.mark.parametrize("day", [28, 29, 30, 31])
def test_anniversary_days_29_30_31_are_clamped_to_28(day: int) -> None:
    created = utc(2024, 1, day, 9)
    assert end_dates(ANNIVERSARY, UTC_ZONE, created, utc(2024, 5, 1)) == [
        date(2024, 2, 28),
        date(2024, 3, 28),
        date(2024, 4, 28),
    ]


def test_anniversary_examples() -> None:
    assert end_dates(ANNIVERSARY, UTC_ZONE, utc(2024, 1, 15, 9), utc(2024, 3, 20)) == [
        date(2024, 2, 15),
        date(2024, 3, 15),
    ]
    # Created on a leap day or on a 30th: the first period is shorter than a month.
    assert next_billing_date(ANNIVERSARY, "UTC", utc(2024, 2, 29, 9), utc(2024, 3, 1)) == date(
        2024, 3, 28
    )
    for anchor, after_day, boundary in [
        (date(2024, 3, 30), date(2024, 3, 30), date(2024, 4, 28)),
        (date(2024, 12, 31), date(2024, 12, 31), date(2025, 1, 28)),
        (date(2024, 1, 10), date(2024, 3, 9), date(2024, 3, 10)),
    ]:
        assert next_boundary_date(ANNIVERSARY, anchor, after_day) == boundary


def test_thirty_days_counts_from_the_creation_date() -> None:
    assert end_dates(THIRTY, UTC_ZONE, utc(2024, 1, 31, 10), utc(2024, 5, 1)) == [
        date(2024, 3, 1),
        date(2024, 3, 31),
        date(2024, 4, 30),
    ]
    assert end_dates(THIRTY, UTC_ZONE, utc(2023, 1, 31, 10), utc(2023, 5, 2)) == [
        date(2023, 3, 2),
        date(2023, 4, 1),
        date(2023, 5, 1),
    ]
    periods = list(iter_periods(THIRTY, "UTC", utc(2023, 1, 31, 10), utc(2024, 1, 1)))
    assert all(end - start == timedelta(days=30) for start, end in periods[1:])


def test_next_billing_date_is_the_local_end_date() -> None:
    created = utc(2024, 1, 10)
    # 23:30 UTC on March 31st is already April 1st in Prague: the March period has ended.
    assert next_billing_date(MONTHLY, PRAGUE, created, utc(2024, 3, 31, 23, 30)) == date(2024, 5, 1)
    assert next_billing_date(MONTHLY, "UTC", created, utc(2024, 3, 31, 23, 30)) == date(2024, 4, 1)
    assert next_billing_date(WEEKLY, PRAGUE, created, utc(2024, 1, 10)) == date(2024, 1, 15)


# --- DST and odd offsets --------------------------------------------------------------------


def test_prague_spring_and_autumn_days_are_23_and_25_hours() -> None:
    created = utc(2024, 1, 1)
    spring = period_containing(DAILY, PRAGUE, created, local(PRAGUE, 2024, 3, 31, 12))
    assert spring == (utc(2024, 3, 30, 23), utc(2024, 3, 31, 22))
    autumn = period_containing(DAILY, PRAGUE, created, local(PRAGUE, 2024, 10, 27, 12))
    assert autumn == (utc(2024, 10, 26, 22), utc(2024, 10, 27, 23))
    assert autumn[1] - autumn[0] == timedelta(hours=25)
    march = period_containing(MONTHLY, PRAGUE, created, utc(2024, 3, 15))
    assert march == (utc(2024, 2, 29, 23), utc(2024, 3, 31, 22))
    week = period_containing(WEEKLY, PRAGUE, created, utc(2024, 3, 28))
    assert week == (utc(2024, 3, 24, 23), utc(2024, 3, 31, 22))


@pytest.mark.parametrize("fold", [0, 1])
def test_prague_created_inside_the_repeated_hour(fold: int) -> None:
    created = datetime(2024, 10, 27, 2, 30, fold=fold, tzinfo=PRAGUE)
    first = next(iter_periods(DAILY, PRAGUE, created, utc(2024, 11, 1)))
    assert first == (created.astimezone(UTC), utc(2024, 10, 27, 23))


def test_santiago_skipped_midnight_starts_the_day_at_one_oclock() -> None:
    start = start_of_local_day(date(2024, 9, 8), SANTIAGO)
    assert start == utc(2024, 9, 8, 4)
    assert start.astimezone(SANTIAGO).replace(tzinfo=None) == datetime(2024, 9, 8, 1)
    assert (start - ONE_US).astimezone(SANTIAGO).date() == date(2024, 9, 7)

    created = local(SANTIAGO, 2024, 9, 6, 12)
    periods = iter_periods(DAILY, SANTIAGO, created, utc(2024, 9, 11))
    ends = [end.astimezone(SANTIAGO) for _, end in periods]
    assert [(e.date(), e.time()) for e in ends] == [
        (date(2024, 9, 7), time(0)),
        (date(2024, 9, 8), time(1)),
        (date(2024, 9, 9), time(0)),
        (date(2024, 9, 10), time(0)),
    ]
    assert period_containing(DAILY, SANTIAGO, created, utc(2024, 9, 8, 12)) == (
        utc(2024, 9, 8, 4),
        utc(2024, 9, 9, 3),
    )
    # A thirty-day boundary that falls on the skipped midnight.
    created = local(SANTIAGO, 2024, 8, 9, 15)
    assert next_boundary(THIRTY, SANTIAGO, created, created) == utc(2024, 9, 8, 4)
    assert next_billing_date(THIRTY, SANTIAGO, created, created) == date(2024, 9, 8)


def test_santiago_autumn_midnight_is_after_the_repeated_hour() -> None:
    created = utc(2024, 1, 1)
    day = period_containing(DAILY, SANTIAGO, created, local(SANTIAGO, 2024, 4, 6, 12))
    assert day == (utc(2024, 4, 6, 3), utc(2024, 4, 7, 4))


def test_havana_skipped_and_doubled_midnights() -> None:
    assert start_of_local_day(date(2024, 3, 10), HAVANA) == utc(2024, 3, 10, 5)  # 01:00 CDT
    # On 2024-11-03 midnight happens at 04:00Z (CDT) and again at 05:00Z (CST): the first wins.
    assert start_of_local_day(date(2024, 11, 3), HAVANA) == utc(2024, 11, 3, 4)
    period = period_containing(DAILY, HAVANA, utc(2024, 1, 1), utc(2024, 11, 3, 5))
    assert period == (utc(2024, 11, 3, 4), utc(2024, 11, 4, 5))


def test_st_johns_midnight_followed_by_the_previous_evening() -> None:
    # Until 2011 Newfoundland fell back at 00:01 to 23:01: a minute of 29 October, then an hour
    # of 28 October again. The day starts at the first midnight, so an instant whose wall clock
    # says 28 October 23:30 already belongs to the 29 October period.
    start = start_of_local_day(date(2006, 10, 29), ST_JOHNS)
    assert start == utc(2006, 10, 29, 2, 30)
    moment = utc(2006, 10, 29, 3)
    assert moment.astimezone(ST_JOHNS).date() == date(2006, 10, 28)
    assert period_containing(DAILY, ST_JOHNS, utc(2006, 1, 1), moment) == (
        start,
        start_of_local_day(date(2006, 10, 30), ST_JOHNS),
    )
    assert next_billing_date(DAILY, ST_JOHNS, utc(2006, 1, 1), moment) == date(2006, 10, 30)


def test_gap_that_starts_before_midnight() -> None:
    # Toronto, 1919-03-30: clocks jumped from 23:30 to 00:30, so the 31st began at 00:30.
    start = start_of_local_day(date(1919, 3, 31), ZoneInfo("America/Toronto"))
    assert start == utc(1919, 3, 31, 4, 30)


def test_casablanca_month_starting_at_a_skipped_midnight() -> None:
    tz = ZoneInfo("Africa/Casablanca")
    created = utc(2008, 5, 10, 12)
    assert next_boundary(MONTHLY, tz, created, created) == utc(2008, 6, 1)  # 01:00 local
    assert next_billing_date(MONTHLY, tz, created, created) == date(2008, 6, 1)


def test_kathmandu_quarter_hour_offset() -> None:
    created = utc(2023, 12, 1)
    assert period_containing(DAILY, KATHMANDU, created, utc(2024, 6, 15, 12)) == (
        utc(2024, 6, 14, 18, 15),
        utc(2024, 6, 15, 18, 15),
    )
    assert period_containing(MONTHLY, KATHMANDU, created, utc(2024, 1, 10)) == (
        utc(2023, 12, 31, 18, 15),
        utc(2024, 1, 31, 18, 15),
    )


def test_kiritimati_plus_fourteen() -> None:
    created = utc(2024, 1, 15)
    assert next_boundary(MONTHLY, KIRITIMATI, created, created) == utc(2024, 1, 31, 10)
    # 10:30 UTC on January 31st is already February 1st on Kiritimati.
    now = utc(2024, 1, 31, 10, 30)
    assert next_billing_date(MONTHLY, KIRITIMATI, created, now) == date(2024, 3, 1)
    assert next_billing_date(MONTHLY, "UTC", created, now) == date(2024, 2, 1)


def test_lord_howe_half_hour_dst() -> None:
    created = utc(2024, 1, 1)
    april = period_containing(DAILY, LORD_HOWE, created, local(LORD_HOWE, 2024, 4, 7, 12))
    assert april == (utc(2024, 4, 6, 13), utc(2024, 4, 7, 13, 30))
    october = period_containing(DAILY, LORD_HOWE, created, local(LORD_HOWE, 2024, 10, 6, 12))
    assert october == (utc(2024, 10, 5, 13, 30), utc(2024, 10, 6, 13))
    assert october[1] - october[0] == timedelta(hours=23, minutes=30)


def test_apia_skipped_a_whole_day_without_an_empty_period() -> None:
    # Samoa crossed the date line: 2011-12-29 was followed by 2011-12-31.
    assert start_of_local_day(date(2011, 12, 30), APIA) == start_of_local_day(
        date(2011, 12, 31), APIA
    )
    created = local(APIA, 2011, 12, 28, 12)
    periods = list(iter_periods(DAILY, APIA, created, utc(2012, 1, 1)))
    assert [end.astimezone(APIA).date() for _, end in periods] == [
        date(2011, 12, 29),
        date(2011, 12, 31),
        date(2012, 1, 1),
    ]
    assert all(end - start == ONE_DAY for start, end in periods[1:])
    # A thirty-day boundary on the missing date falls at the start of the next one.
    created = local(APIA, 2011, 11, 30, 9)
    assert next_billing_date(THIRTY, APIA, created, created) == date(2011, 12, 31)


# --- properties -----------------------------------------------------------------------------

ZONES = (
    "UTC",
    "Europe/Prague",
    "America/New_York",
    "America/Santiago",
    "Asia/Kathmandu",
    "Pacific/Kiritimati",
    "Pacific/Apia",
    "Australia/Lord_Howe",
    "America/St_Johns",
    "Asia/Tehran",
    "Africa/Casablanca",
    "America/Havana",
    "Asia/Beirut",
    "America/Sao_Paulo",
    "Africa/Cairo",
    "Pacific/Chatham",
    "Antarctica/Troll",
    "Antarctica/Casey",
    "Europe/Dublin",
)
PROPERTY = settings(max_examples=200, deadline=None)


@functools.cache
def offset_change_days(name: str, year: int) -> tuple[date, ...]:
    """Local dates around which `name` changed its UTC offset during `year` (within a day)."""
    tz = ZoneInfo(name)
    moment = utc(year, 1, 1)
    previous = moment.astimezone(tz).utcoffset()
    days = []
    while moment.year == year:
        moment += ONE_DAY
        offset = moment.astimezone(tz).utcoffset()
        if offset != previous:
            days.append(moment.astimezone(tz).date())
            previous = offset
    return tuple(days)


@st.composite
def local_days(draw: st.DrawFn, name: str) -> date:
    """A date in 2000-2040, half of the time within a few days of an offset change."""
    year = draw(st.integers(2000, 2040))
    changes = offset_change_days(name, year)
    near_change = draw(st.booleans())
    if changes and near_change:
        return draw(st.sampled_from(changes)) + draw(st.integers(-3, 1)) * ONE_DAY
    return draw(st.dates(date(year, 1, 1), date(year, 12, 31)))


@st.composite
def instants(draw: st.DrawFn, name: str) -> datetime:
    """A UTC instant: anywhere, near an offset change, or exactly at a local day start."""
    day = draw(local_days(name))
    if draw(st.booleans()):
        return start_of_local_day(day, ZoneInfo(name))
    shift: timedelta = draw(durations(2))
    return datetime.combine(day, time(), tzinfo=UTC) + shift


def durations(max_days: int) -> st.SearchStrategy[timedelta]:
    """Up to `max_days` days, drawn part by part: one huge integer would mostly be tiny."""
    return st.builds(
        timedelta,
        days=st.integers(0, max_days - 1),
        seconds=st.integers(0, 86399),
        microseconds=st.integers(0, 999_999),
    )


@st.composite
def customers(draw: st.DrawFn) -> tuple[BillingPeriod, str, datetime, timedelta]:
    """A period kind, a zone name, a creation instant and a span of time to look at."""
    kind = draw(st.sampled_from(BillingPeriod))
    name = draw(st.sampled_from(ZONES))
    created = draw(instants(name))
    max_days = {DAILY: 120, WEEKLY: 400}.get(kind, 1200)
    span = draw(durations(max_days))
    return kind, name, created, span


def follows_rule(kind: BillingPeriod, anchor: date, day: date) -> bool:
    """The kind's rule, written independently of next_boundary_date."""
    if kind is DAILY:
        return True
    if kind is WEEKLY:
        return day.isoweekday() == 1
    if kind is SEMIMONTHLY:
        return day.day in (1, 16)
    if kind is MONTHLY:
        return day.day == 1
    if kind is ANNIVERSARY:
        return day.day == min(anchor.day, 28)
    return (day - anchor).days % 30 == 0


def midnight_exists(day: date, tz: ZoneInfo) -> bool:
    midnight = datetime.combine(day, time())
    return any(
        midnight.replace(tzinfo=tz, fold=fold).astimezone(UTC).astimezone(tz).replace(tzinfo=None)
        == midnight
        for fold in (0, 1)
    )


def assert_is_day_start(boundary: datetime, tz: ZoneInfo) -> None:
    wall = boundary.astimezone(tz)
    assert start_of_local_day(wall.date(), tz) == boundary
    assert (boundary - ONE_US).astimezone(tz).date() < wall.date()
    assert wall.time() == time(0) or not midnight_exists(wall.date(), tz)


@PROPERTY
@given(customers(), st.sampled_from(ZONES), st.booleans())
@example((DAILY, "Pacific/Apia", utc(2011, 12, 27, 22), timedelta(days=5)), "UTC", False)
@example((THIRTY, "Pacific/Apia", utc(2011, 11, 30, 19), timedelta(days=70)), "Asia/Tokyo", True)
@example((DAILY, "America/St_Johns", utc(2006, 10, 29, 3), timedelta(days=3)), "UTC", False)
def test_iter_periods_tile_time_with_local_day_boundaries(
    customer: tuple[BillingPeriod, str, datetime, timedelta], input_zone: str, zone_as_name: bool
) -> None:
    kind, name, created, span = customer
    tz = ZoneInfo(name)
    until = created + span
    periods = list(
        iter_periods(
            kind.value if zone_as_name else kind,
            name if zone_as_name else tz,
            created.astimezone(ZoneInfo(input_zone)),
            until.astimezone(ZoneInfo(input_zone)),
        )
    )

    # Oracle: every local date following the rule, mapped to its day start, deduplicated.
    anchor = created.astimezone(tz).date()
    assert anchor_day(created, tz) == anchor
    days = (anchor + n * ONE_DAY for n in range(-1, (until - created).days + 3))
    starts = {start_of_local_day(day, tz) for day in days if follows_rule(kind, anchor, day)}
    expected_ends = sorted(s for s in starts if created < s <= until)
    assert [end for _, end in periods] == expected_ends

    if not periods:
        assert next_boundary(kind, tz, created, created) > until
        return
    assert periods[0][0] == created
    for (_, end), (next_start, _) in itertools.pairwise(periods):
        assert end == next_start
    for start, end in periods:
        assert start < end
        assert end.utcoffset() == timedelta(0)
        assert_is_day_start(end, tz)
        end_day = end.astimezone(tz).date()
        # Either the rule's own date, or the rule's date was skipped entirely (Apia 2011).
        assert follows_rule(kind, anchor, end_day) or (
            start_of_local_day(end_day - ONE_DAY, tz) == end
            and follows_rule(kind, anchor, end_day - ONE_DAY)
        )
    assert next_boundary(kind, tz, created, periods[-1][1]) > until


@PROPERTY
@given(customers(), durations(1200))
def test_period_containing_contains_the_instant(
    customer: tuple[BillingPeriod, str, datetime, timedelta], offset: timedelta
) -> None:
    kind, name, created, span = customer
    tz = ZoneInfo(name)
    moment = created + offset % (span + ONE_US)
    start, end = period_containing(kind, name, created, moment)
    assert start <= moment < end
    assert end == next_boundary(kind, tz, created, moment)
    assert next_billing_date(kind, tz, created, moment) == end.astimezone(tz).date()
    if start != created:
        assert start > created
        assert_is_day_start(start, tz)
        assert next_boundary(kind, tz, created, start - ONE_US) == start
    assert list(iter_periods(kind, tz, created, end))[-1] == (start, end)


@st.composite
def calendar_days(draw: st.DrawFn) -> date:
    """A date in 2000-2040, often one of the days where months and their halves turn."""
    if draw(st.booleans()):
        return draw(st.dates(date(2000, 1, 1), date(2040, 12, 31)))
    year, month = draw(st.integers(2000, 2040)), draw(st.integers(1, 12))
    day = draw(st.sampled_from([1, 14, 15, 16, 17, 27, 28, 29, 30, 31]))
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


@PROPERTY
@given(st.sampled_from(ZONES).flatmap(lambda name: st.tuples(st.just(name), local_days(name))))
@example(("America/Toronto", date(1919, 3, 31)))  # skipped from 23:30 to 00:30
@example(("Pacific/Kiritimati", date(1994, 12, 31)))  # a whole day skipped
def test_start_of_local_day_is_the_first_instant_at_or_after_local_midnight(
    zone_and_day: tuple[str, date],
) -> None:
    name, day = zone_and_day
    tz = ZoneInfo(name)
    midnight = datetime.combine(day, time())
    start = start_of_local_day(day, tz)
    assert start.utcoffset() == timedelta(0)
    wall = start.astimezone(tz)
    assert wall.fold == 0  # the first of two midnights
    assert wall.replace(tzinfo=None) >= midnight
    assert (start - ONE_US).astimezone(tz).replace(tzinfo=None) < midnight
    if wall.replace(tzinfo=None) != midnight:
        assert not midnight_exists(day, tz)
        assert (start - ONE_US).astimezone(tz).utcoffset() != wall.utcoffset()  # at the jump
    following = start_of_local_day(day + ONE_DAY, tz)
    assert following > start or wall.date() > day


@PROPERTY
@given(st.sampled_from(BillingPeriod), calendar_days(), calendar_days())
def test_next_boundary_date_is_the_first_rule_date_after(
    kind: BillingPeriod, anchor: date, after_day: date
) -> None:
    boundary = next_boundary_date(kind, anchor, after_day)
    assert boundary > after_day
    assert follows_rule(kind, anchor, boundary)
    assert (boundary - after_day).days <= 31
    day = after_day + ONE_DAY
    while day < boundary:
        assert not follows_rule(kind, anchor, day)
        day += ONE_DAY
