"""A period's fee, and the share of it that part of the period pays.

A part pays the share of the fee that its time is of the time of the whole period containing
it (``kassa.core.periods.whole_period_around``): a February day pays 1/28 of a monthly fee, a
March day 1/31, and a local day of 23 or 25 hours (DST) its 23 or 25 hours' share. Time is
counted in microseconds of real (UTC) time, so DST is counted as it happened.

Shares are rounded to the currency by cutting the whole period's fee at the part's edges: the
fee up to an instant is ``round(fee * elapsed / whole)``, and a part pays the fee up to its end
less the fee up to its start. So the parts of a period, however it is cut, add up to its fee
exactly: no cent is lost or charged twice to rounding.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from kassa.core.money import MICRO_EXPONENT

_MICROSECOND = timedelta(microseconds=1)


def _fee_until(fee_micros: int, elapsed: int, whole: int, step: int) -> int:
    """``fee * elapsed / whole`` rounded half up to a multiple of ``step``, in integers."""
    numerator = fee_micros * elapsed
    denominator = whole * step
    return (2 * numerator + denominator) // (2 * denominator) * step


def prorated_micros(
    fee_micros: int,
    whole: tuple[datetime, datetime],
    part: tuple[datetime, datetime],
    exponent: int,
) -> int:
    """The share of ``fee_micros`` (a whole number of the currency's minor units) that
    ``part`` pays of the ``whole`` period containing it, rounded to the currency."""
    start, end = whole
    part_start, part_end = part
    if not start <= part_start <= part_end <= end:
        raise ValueError(
            f"the part {part_start.isoformat()}..{part_end.isoformat()} is not within "
            f"the period {start.isoformat()}..{end.isoformat()}"
        )
    length = (end - start) // _MICROSECOND
    if part_start == start and part_end == end:
        return fee_micros
    step = 10 ** max(MICRO_EXPONENT - exponent, 0)
    return _fee_until(fee_micros, (part_end - start) // _MICROSECOND, length, step) - _fee_until(
        fee_micros, (part_start - start) // _MICROSECOND, length, step
    )
