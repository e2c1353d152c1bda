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
from kassa.core.vocabulary import FeeCharging


@dataclass(frozen=True)
class Grid:
    """A customer's billing periods: their kind, time zone and anchor (local creation date)."""

    kind: str
    zone: str
    anchor: date

    def boundary_after(self, moment: datetime) -> datetime:
        return periods.boundary_after(self.kind, self.zone, self.anchor, moment)

    def whole_period_around(self, moment: datetime) -> tuple[datetime, datetime]:
        return periods.whole_period_around(self.kind, self.zone, self.anchor, moment)


def grid_of(kind: str, zone: str, anchor: date | None, created_at: datetime) -> Grid:
    return Grid(kind, zone, anchor or periods.anchor_day(created_at, zone))


def segment_end(grid: Grid, start: datetime, ends_at: datetime | None) -> datetime:
    """The end of the fee segment starting at ``start``."""
    boundary = grid.boundary_after(start)
    return boundary if ends_at is None or boundary < ends_at else ends_at


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
