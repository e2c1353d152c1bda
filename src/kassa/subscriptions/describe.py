"""What a fee's ledger entry says to the customer: the plan, the account, the local dates it
covers and, for a part of a period, the share of it paid: "Fibre 300, 1-15 Mar 2027 (15/31
of the month)", with an en dash."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from kassa.core.vocabulary import FeeKind

_UNITS = {
    "daily": "day",
    "weekly": "week",
    "semimonthly": "half-month",
    "monthly": "month",
    "monthly_anniversary": "month",
    "thirty_days": "30 days",
}
_ONE_SECOND = timedelta(seconds=1)
DASH = "\N{EN DASH}"


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _day(value: date, year: bool = True) -> str:
    text = f"{value.day} {_MONTHS[value.month - 1]}"
    return f"{text} {value.year}" if year else text


def local_dates(start: datetime, end: datetime, zone: str) -> str:
    """The local dates of [start, end): "1-15 Mar 2027", "20 Feb - 5 Mar 2027", "1 Mar 2027"."""
    tz = ZoneInfo(zone)
    first = start.astimezone(tz).date()
    last = max(end - _ONE_SECOND, start).astimezone(tz).date()
    if first == last:
        return _day(first)
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}{DASH}{_day(last)}"
    if first.year == last.year:
        return f"{_day(first, year=False)} {DASH} {_day(last)}"
    return f"{_day(first)} {DASH} {_day(last)}"


def _midnight(moment: datetime, tz: ZoneInfo) -> bool:
    local = moment.astimezone(tz)
    return (local.hour, local.minute, local.second) == (0, 0, 0)


def share(
    part: tuple[datetime, datetime], whole: tuple[datetime, datetime], kind: str, zone: str
) -> str:
    """The share of the whole period a part is, in days when it is whole local days ("15/31
    of the month"), else as a percentage of its time."""
    unit = _UNITS.get(kind, "period")
    tz = ZoneInfo(zone)
    if all(_midnight(m, tz) for m in (*part, *whole)):
        days = (part[1].astimezone(tz).date() - part[0].astimezone(tz).date()).days
        total = (whole[1].astimezone(tz).date() - whole[0].astimezone(tz).date()).days
        if total > 1:
            return f"{days}/{total} of the {unit}"
    fraction = Fraction(
        int((part[1] - part[0]).total_seconds()), int((whole[1] - whole[0]).total_seconds())
    )
    return f"{float(fraction) * 100:.2f}% of the {unit}"


def fee_comment(
    *,
    plan_name: str,
    account: str | None,
    kind: FeeKind,
    start: datetime,
    end: datetime,
    zone: str,
    whole: tuple[datetime, datetime] | None = None,
    period_kind: str = "",
) -> str:
    """The visible comment of a fee's entry. ``whole`` is given for a part of a period."""
    name = f"{plan_name} ({account})" if account else plan_name
    if kind is FeeKind.ACTIVATION:
        return f"{name}, activation fee ({local_dates(start, start, zone)})"
    if kind is FeeKind.CANCELLATION:
        return f"{name}, cancellation fee (ended {local_dates(start, start, zone)})"
    text = f"{name}, {local_dates(start, end, zone)}"
    if whole is not None and (start, end) != whole:
        text += f" ({share((start, end), whole, period_kind, zone)})"
    if kind is FeeKind.UNUSED:
        text = f"{text}: unused, credited"
    return text
