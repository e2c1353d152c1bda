"""Billing period boundaries: computed on local calendar dates first, converted to UTC last.

A customer's periods end where their local days start. Every rule (Mondays, the 1st and 16th,
the 1st, the clamped anniversary day, every 30 days) is therefore plain date arithmetic on local
dates, which DST cannot disturb. Only the final step turns each boundary date into the instant
its local day starts, in UTC. Adding hours or days to instants instead would let DST shift a
boundary off midnight, or land it on the wrong date, one hour at a time.

A local day starts at midnight; where DST skips midnight, at the first valid instant after it
(the jump itself); where midnight happens twice, at the first one. Where a whole local date is
skipped (Pacific/Apia, 2011-12-30), its boundary coincides with the next day's start and the two
collapse into one: periods are never empty, never overlap and never repeat.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from kassa.core.vocabulary import Vocabulary


class BillingPeriod(Vocabulary):
    DAILY = "daily"
    WEEKLY = "weekly"
    SEMIMONTHLY = "semimonthly"
    MONTHLY = "monthly"
    MONTHLY_ANNIVERSARY = "monthly_anniversary"
    THIRTY_DAYS = "thirty_days"


BILLING_PERIODS: tuple[str, ...] = tuple(kind.value for kind in BillingPeriod)

_ONE_DAY = timedelta(days=1)
_ONE_SECOND = timedelta(seconds=1)
# More than the longest period (31 local days, 32 if a date is skipped), so a boundary at or
# before any instant is found when scanning forward from this far back.
_LOOKBACK = timedelta(days=40)


def _kind(period: BillingPeriod | str) -> BillingPeriod:
    try:
        return BillingPeriod(period)
    except ValueError:
        raise ValueError(
            f"unknown billing period {period!r}; expected one of {', '.join(BILLING_PERIODS)}"
        ) from None


def _zone(tz: ZoneInfo | str) -> ZoneInfo:
    return tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)


def _utc(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")
    return value.astimezone(UTC)


def _wall(instant: datetime, tz: ZoneInfo) -> datetime:
    """Local wall-clock time of an instant, as a naive datetime."""
    return instant.astimezone(tz).replace(tzinfo=None)


def start_of_local_day(day: date, tz: ZoneInfo | str) -> datetime:
    """The earliest instant (UTC) whose local wall time is at or after `day` 00:00."""
    zone = _zone(tz)
    midnight = datetime.combine(day, time())
    # fold=0 picks the first of two midnights; for a skipped one it reads midnight with the
    # offset from before the jump, giving an instant at or after the jump.
    late = midnight.replace(tzinfo=zone).astimezone(UTC)
    if _wall(late, zone) == midnight:
        return late
    # Midnight was skipped: the day starts at the jump, which lies after `early` (midnight read
    # with the offset from after the jump) and no later than `late`. Offsets and transitions
    # are whole seconds, so bisect on seconds.
    early = midnight.replace(tzinfo=zone, fold=1).astimezone(UTC)
    while late - early > _ONE_SECOND:
        middle = early + (late - early) // _ONE_SECOND // 2 * _ONE_SECOND
        if _wall(middle, zone) >= midnight:
            late = middle
        else:
            early = middle
    return late


def anchor_day(created_at: datetime, tz: ZoneInfo | str) -> date:
    """The customer's local creation date."""
    return _utc(created_at, "created_at").astimezone(_zone(tz)).date()


def _month_day(year: int, month: int, day: int) -> date:
    """Day `day` of the month `month` (which may be 13) of `year`."""
    extra_years, month_index = divmod(month - 1, 12)
    return date(year + extra_years, month_index + 1, day)


def next_boundary_date(period: BillingPeriod | str, anchor: date, after_day: date) -> date:
    """The first boundary local date strictly after `after_day`, for a customer anchored at
    `anchor` (their local creation date)."""
    kind = _kind(period)
    if kind is BillingPeriod.DAILY:
        return after_day + _ONE_DAY
    if kind is BillingPeriod.WEEKLY:
        return after_day + timedelta(days=7 - after_day.weekday())
    if kind is BillingPeriod.THIRTY_DAYS:
        return anchor + timedelta(days=30 * ((after_day - anchor).days // 30 + 1))
    if kind is BillingPeriod.SEMIMONTHLY and after_day.day < 16:
        return after_day.replace(day=16)
    day = min(anchor.day, 28) if kind is BillingPeriod.MONTHLY_ANNIVERSARY else 1
    if after_day.day < day:
        return after_day.replace(day=day)
    return _month_day(after_day.year, after_day.month + 1, day)


def _boundaries(
    kind: BillingPeriod, tz: ZoneInfo, anchor: date, after: datetime
) -> Iterator[datetime]:
    """Boundary instants strictly after the UTC instant `after`, increasing, each once."""
    # Days dated on or before the local date of `after` start at or before it. (The converse
    # fails: where midnight is followed by a repeated hour of the previous evening, the wall
    # clock shows the previous date after the next day has started; `last` skips that day.)
    day = after.astimezone(tz).date()
    last = after
    while True:
        day = next_boundary_date(kind, anchor, day)
        boundary = start_of_local_day(day, tz)
        if boundary > last:  # a skipped date starts with the next one: yield that only once
            yield boundary
            last = boundary


def next_boundary(
    period: BillingPeriod | str, tz: ZoneInfo | str, created_at: datetime, after: datetime
) -> datetime:
    """The first boundary instant (UTC) strictly after the instant `after`."""
    kind, zone, created = _kind(period), _zone(tz), _utc(created_at, "created_at")
    return next(_boundaries(kind, zone, anchor_day(created, zone), _utc(after, "after")))


def period_containing(
    period: BillingPeriod | str, tz: ZoneInfo | str, created_at: datetime, at: datetime
) -> tuple[datetime, datetime]:
    """The period [start, end) containing `at`; the first one starts at `created_at`."""
    kind, zone, created = _kind(period), _zone(tz), _utc(created_at, "created_at")
    moment = _utc(at, "at")
    if moment < created:
        raise ValueError(f"at ({at.isoformat()}) is before created_at ({created_at.isoformat()})")
    start = created
    scan_from = max(created, moment - _LOOKBACK)
    for boundary in _boundaries(kind, zone, anchor_day(created, zone), scan_from):
        if boundary > moment:
            return start, boundary
        start = boundary
    raise AssertionError("unreachable: boundaries never run out")  # pragma: no cover


def iter_periods(
    period: BillingPeriod | str, tz: ZoneInfo | str, created_at: datetime, until: datetime
) -> Iterator[tuple[datetime, datetime]]:
    """All periods [start, end) from creation whose end is at or before `until`, in order."""
    kind, zone, created = _kind(period), _zone(tz), _utc(created_at, "created_at")
    limit = _utc(until, "until")  # checked now, not on the first next()

    def periods() -> Iterator[tuple[datetime, datetime]]:
        start = created
        for end in _boundaries(kind, zone, anchor_day(created, zone), created):
            if end > limit:
                return
            yield start, end
            start = end

    return periods()


def next_billing_date(
    period: BillingPeriod | str, tz: ZoneInfo | str, created_at: datetime, now: datetime
) -> date:
    """The local date on which the period containing `now` ends."""
    zone = _zone(tz)
    return period_containing(period, zone, created_at, now)[1].astimezone(zone).date()


def boundary_after(
    period: BillingPeriod | str, tz: ZoneInfo | str, anchor: date, after: datetime
) -> datetime:
    """The first boundary instant (UTC) strictly after `after`, for a customer whose anchor
    (local creation date) is kept from creation even if the zone changes later."""
    return next(_boundaries(_kind(period), _zone(tz), anchor, _utc(after, "after")))


def whole_period_around(
    period: BillingPeriod | str, tz: ZoneInfo | str, anchor: date, at: datetime
) -> tuple[datetime, datetime]:
    """The whole period [start, end) of this kind containing `at`, bounded by boundaries on
    both sides: the calendar month for monthly, however late a customer or a subscription
    began in it. A share of a period's fee is a share of this."""
    kind, zone, moment = _kind(period), _zone(tz), _utc(at, "at")
    start: datetime | None = None
    # The longest period is shorter than the lookback: some boundary lies at or before `at`.
    for boundary in _boundaries(kind, zone, anchor, moment - _LOOKBACK):
        if boundary > moment:
            assert start is not None
            return start, boundary
        start = boundary
    raise AssertionError("unreachable: boundaries never run out")  # pragma: no cover
