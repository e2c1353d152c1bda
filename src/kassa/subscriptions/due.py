"""What a subscription owes at an instant: its activation, the periodic fees of the segments
due, the credit of a period its end cut short and its cancellation fee; computed from the
subscription as its customer's locked row let it be read, posted by ``kassa.subscriptions.fees``.

Segments follow the customer's billing grid (``kassa.subscriptions.schedule``). An in-advance
segment is due once it has started and before the end of the period it is billed in
(``Payer.advance_before``); an in-arrears one once that period closes (``arrears_until``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from kassa.core.vocabulary import FeeCharging, FeeKind
from kassa.subscriptions.describe import fee_comment
from kassa.subscriptions.plans import fee_at
from kassa.subscriptions.proration import prorated_micros
from kassa.subscriptions.schedule import Grid


@dataclass(slots=True)
class Payer:
    """A customer whose row this transaction holds, and which of its fees may post now."""

    id: int
    currency: str
    exponent: int
    balance: int
    grid: Grid
    # In-advance segments and one-time fees are posted when due before this instant (the end
    # of the period they are billed in), in-arrears segments when they end by ``arrears_until``.
    advance_before: datetime
    arrears_until: datetime | None = None
    period_id: int | None = None


@dataclass(slots=True)
class Sub:
    """A subscription and its plan as a posting read them; moved on as its fees are due."""

    id: int
    customer_id: int
    account: str | None
    plan_id: int
    plan_name: str
    charged: str
    prorate: bool
    periodic_fee: int
    activation_fee: int
    cancellation_fee: int
    starts_at: datetime
    ends_at: datetime | None
    commitment_ends_at: datetime
    charged_through: datetime
    activation_charged: bool
    cancellation_charged: bool


@dataclass(slots=True)
class Fee:
    """A fee to post: its row, and its entry unless the amount is zero."""

    sub: Sub
    kind: FeeKind
    start: datetime
    end: datetime
    amount: int
    full: int
    comment: str
    # The ledger's key of its entry, and of its row: read twice, made once.
    key: str = field(init=False)

    def __post_init__(self) -> None:
        self.key = external_id(self.sub.id, self.kind, self.start)


def external_id(subscription_id: int, kind: str, start: datetime) -> str:
    """The ledger's key of a fee: ``subscription:7:periodic:2027-03-01T00:00:00Z``."""
    moment = start.isoformat(timespec="seconds").replace("+00:00", "Z")
    return f"subscription:{subscription_id}:{kind}:{moment}"


def periodic(
    sub: Sub, payer: Payer, history: list[tuple[datetime, int]], as_of: datetime
) -> list[Fee]:
    fees: list[Fee] = []
    start = sub.charged_through
    in_advance = sub.charged == FeeCharging.IN_ADVANCE
    while sub.ends_at is None or start < sub.ends_at:
        whole = payer.grid.whole_period_around(start)
        end = whole[1] if sub.ends_at is None or whole[1] < sub.ends_at else sub.ends_at
        if in_advance:
            due = start <= as_of and start < payer.advance_before
        else:
            due = payer.arrears_until is not None and end <= payer.arrears_until
        if not due:
            break
        full = fee_at(history, start, sub.periodic_fee)
        amount = prorated_micros(full, whole, (start, end), payer.exponent) if sub.prorate else full
        comment = fee_comment(
            plan_name=sub.plan_name,
            account=sub.account,
            kind=FeeKind.PERIODIC,
            start=start,
            end=end,
            zone=payer.grid.zone,
            whole=whole if sub.prorate else None,
            period_kind=payer.grid.kind,
        )
        fees.append(Fee(sub, FeeKind.PERIODIC, start, end, amount, full, comment))
        start = end
    sub.charged_through = start
    return fees


def unused(sub: Sub, payer: Payer, posted: list[tuple[datetime, datetime, int]]) -> list[Fee]:
    """The credit of the periodic fees posted for time after the subscription's end."""
    assert sub.ends_at is not None
    fees: list[Fee] = []
    if sub.prorate:
        for start, end, full in posted:
            cut = max(start, sub.ends_at)
            if end <= cut:
                continue
            whole = payer.grid.whole_period_around(start)
            comment = fee_comment(
                plan_name=sub.plan_name,
                account=sub.account,
                kind=FeeKind.UNUSED,
                start=cut,
                end=end,
                zone=payer.grid.zone,
                whole=whole,
                period_kind=payer.grid.kind,
            )
            amount = prorated_micros(full, whole, (cut, end), payer.exponent)
            fees.append(Fee(sub, FeeKind.UNUSED, cut, end, amount, full, comment))
    sub.charged_through = sub.ends_at
    return fees


def one_time(sub: Sub, payer: Payer, kind: FeeKind, at: datetime, amount: int) -> Fee:
    comment = fee_comment(
        plan_name=sub.plan_name,
        account=sub.account,
        kind=kind,
        start=at,
        end=at,
        zone=payer.grid.zone,
    )
    return Fee(sub, kind, at, at, amount, amount, comment)


def due_fees(
    sub: Sub,
    payer: Payer,
    history: list[tuple[datetime, int]],
    as_of: datetime,
    posted: list[tuple[datetime, datetime, int]],
) -> list[Fee]:
    """The fees of ``sub`` due now, oldest first; moves ``sub`` on past them."""
    fees: list[Fee] = []
    if (
        not sub.activation_charged
        and sub.starts_at <= as_of
        and (sub.starts_at < payer.advance_before)
    ):
        if sub.activation_fee > 0:
            fees.append(one_time(sub, payer, FeeKind.ACTIVATION, sub.starts_at, sub.activation_fee))
        sub.activation_charged = True
    fees.extend(periodic(sub, payer, history, as_of))
    ends_at = sub.ends_at
    if ends_at is not None and ends_at <= as_of and ends_at < payer.advance_before:
        if sub.charged_through > ends_at:
            fees.extend(unused(sub, payer, posted))
        if not sub.cancellation_charged and ends_at < sub.commitment_ends_at:
            if sub.cancellation_fee > 0:
                fees.append(
                    one_time(sub, payer, FeeKind.CANCELLATION, ends_at, sub.cancellation_fee)
                )
            sub.cancellation_charged = True
    return fees
