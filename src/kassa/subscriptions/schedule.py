"""Where a subscription's fees fall: the customer's billing grid, the segments of it a
subscription pays for, and when its next fee falls due.

A subscription pays its periodic fee per segment of the customer's billing grid: from a start
to the next boundary of the customer's periods, or to the subscription's end if that comes
first. A fee change applies from the next segment; a prorated segment pays its share of the
whole period of the grid around it (``kassa.core.periods.whole_period_around``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from kassa.core import periods
from kassa.core.periods import BillingPeriod
from kassa.core.vocabulary import FeeCharging

# The kinds of period whose boundaries depend on the customer's anchor; the others' do not,
# so their grids are one per kind and zone, and so are the periods cached for them.
_ANCHORED = {BillingPeriod.MONTHLY_ANNIVERSARY.value, BillingPeriod.THIRTY_DAYS.value}
_ANY_ANCHOR = date(2000, 1, 1)


@dataclass(frozen=True)
class Grid:
    """A customer's billing periods: their kind, time zone and anchor (local creation date)."""

    kind: str
    zone: str
    anchor: date

    def boundary_after(self, moment: datetime) -> datetime:
        return self.whole_period_around(moment)[1]

    def whole_period_around(self, moment: datetime) -> tuple[datetime, datetime]:
        # A run posts the fees of many customers for the same few periods of a grid, from
        # moments that differ (each customer's creation): the periods found last are looked
        # up by the interval they cover, not by the moment asked about.
        found = _FOUND.get(self)
        if found is None:
            if len(_FOUND) >= _GRIDS_KEPT:
                _FOUND.clear()
            found = _FOUND[self] = []
        for period in found:
            if period[0] <= moment < period[1]:
                return period
        period = periods.whole_period_around(self.kind, self.zone, self.anchor, moment)
        found.insert(0, period)
        del found[_PERIODS_KEPT:]
        return period


# The periods of a grid are fixed by its kind, zone and anchor, so any found stays true.
_FOUND: dict[Grid, list[tuple[datetime, datetime]]] = {}
_GRIDS_KEPT = 8192
_PERIODS_KEPT = 4


def grid_of(kind: str, zone: str, anchor: date | None, created_at: datetime) -> Grid:
    if kind not in _ANCHORED:
        return Grid(kind, zone, _ANY_ANCHOR)
    return Grid(kind, zone, anchor or periods.anchor_day(created_at, zone))


def commitment_end(grid: Grid, starts_at: datetime, minimum_periods: int) -> datetime:
    """The ``minimum_periods``-th boundary of the grid after ``starts_at`` (itself for 0)."""
    moment = starts_at
    for _ in range(minimum_periods):
        moment = grid.boundary_after(moment)
    return moment


def next_charge_at(
    *,
    charged: str,
    starts_at: datetime,
    ends_at: datetime | None,
    charged_through: datetime,
    commitment_ends_at: datetime,
    activation_charged: bool,
    cancellation_charged: bool,
) -> datetime | None:
    """When a fee falls due next without a close: the activation at the start, an in-advance
    segment at its start, the end (a cancellation fee, or the credit of an in-advance period
    it cut short); None when only a close brings the next one (in-arrears fees)."""
    due: list[datetime] = []
    if not activation_charged:
        due.append(starts_at)
    if charged == FeeCharging.IN_ADVANCE and (ends_at is None or charged_through < ends_at):
        due.append(charged_through)
    if ends_at is not None:
        if not cancellation_charged and ends_at < commitment_ends_at:
            due.append(ends_at)
        if charged_through > ends_at:
            due.append(ends_at)
    return min(due) if due else None
