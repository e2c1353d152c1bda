"""Posting subscription fees: exactly once each, however runs overlap or die.

Every posting locks its customers' rows first (``kassa.ledger.locks``, ascending ids) and only
then reads their subscriptions, so it sees what any earlier posting committed: a fee whose
period a subscription has been charged through is never computed again. The fee's row
(``subscription_fees``, unique per subscription, kind and period start) and its ledger entry
(external id ``subscription:<id>:<kind>:<start>``, unique per customer) are written in the
same transaction as the subscription's new ``charged_through``, so a run killed halfway
leaves whole customers behind, and the two unique keys stop a double charge all the same.

Where a fee lands on the invoices: a fee posted while the customer's open period runs is
billed by that period's close like any entry. A period that has ended is closed by a billing
run, which posts the fees of that period inside the close (``post_for_close``) with the
period's id, so a run catching up on several periods puts each fee on its own period's
invoice; until then, postings outside a close leave that customer alone. The close also
posts, in its transaction, the fees due in the period it opens when that period runs now, as
a posting after it would.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, or_, select, true
from sqlalchemy.orm import Session

from kassa.core.clock import as_utc, utcnow
from kassa.core.vocabulary import CustomerStatus, FeeCharging
from kassa.currencies.service import currency_exponent
from kassa.db.fast.bulk import among
from kassa.db.models import (
    Customer,
    Subscription,
    SubscriptionPlan,
)
from kassa.ledger.entries import NewEntry
from kassa.ledger.locks import lock_customer_rows
from kassa.subscriptions.due import Payer, Sub
from kassa.subscriptions.posting import (
    Posting,
    charge,
    due_entries,
    read_subscriptions,
    record_fees,
    start_posting,
)
from kassa.subscriptions.schedule import grid_of

DEFAULT_BATCH = 500


@dataclass(frozen=True, slots=True)
class Closing:
    """A customer's period being closed (``kassa.billing.close``), its row locked."""

    customer_id: int
    currency: str
    exponent: int
    balance: int
    kind: str
    zone: str
    anchor: date
    end: datetime
    period_id: int


@dataclass
class PostResult:
    customers: int = 0
    fees_posted: int = 0
    last_customer_id: int | None = None
    balances: dict[int, int] = field(default_factory=dict)


def _post(
    session: Session, payers: dict[int, Payer], subs: list[Sub], as_of: datetime, now: datetime
) -> PostResult:
    """Post what ``subs`` owe by ``as_of``, their customers' rows held; moves them on."""
    result = PostResult()
    if not subs:
        return result
    posting = start_posting(session, payers, subs, as_of)
    charge(session, posting, payers, as_of, now)
    record_fees(session, posting, now)
    result.fees_posted = len(posting.fees)
    result.balances = posting.balances
    return result


_PAYER_COLUMNS = (
    Customer.id,
    Customer.currency,
    Customer.balance_micros,
    Customer.status,
    Customer.billing_period,
    Customer.billing_timezone,
    Customer.billing_anchor_date,
    Customer.period_end_at,
    Customer.created_at,
)


def post_locked(
    session: Session,
    customer_ids: Sequence[int],
    as_of: datetime,
    *,
    subscription_ids: Sequence[int] | None = None,
    anytime: bool = False,
    now: datetime | None = None,
) -> PostResult:
    """Lock these customers' rows (ascending ids) and post their subscriptions' fees due by
    ``as_of`` (only those of ``subscription_ids`` if given). A customer whose open period has
    ended waits for the close that bills it, unless ``anytime`` (a credit due now)."""
    now = now or utcnow()
    ids = sorted(set(customer_ids))
    result = PostResult()
    if not ids:
        return result
    rows = lock_customer_rows(session, _PAYER_COLUMNS, among(session, Customer.id, ids))
    payers: dict[int, Payer] = {}
    for cid, currency, balance, status, kind, zone, anchor, period_end, created_at in rows:
        period_end = as_utc(period_end)
        if status == CustomerStatus.CLOSED or (period_end <= now and not anytime):
            continue
        payers[cid] = Payer(
            cid,
            currency,
            currency_exponent(session, currency),
            int(balance),
            grid_of(kind, zone, anchor, as_utc(created_at)),
            advance_before=period_end,
        )
    result.customers = len(payers)
    result.last_customer_id = ids[-1]
    if not payers:
        return result
    where: list[ColumnElement[bool]] = [Subscription.next_charge_at <= as_of]
    if subscription_ids is not None:
        where.append(Subscription.id.in_(sorted(set(subscription_ids))))
    subs = read_subscriptions(session, sorted(payers), *where)
    posted = _post(session, payers, subs, as_of, now)
    posted.customers, posted.last_customer_id = result.customers, result.last_customer_id
    return posted


def due_customer_ids(
    session: Session, as_of: datetime, *, after: int | None, limit: int, now: datetime
) -> list[int]:
    """Up to ``limit`` customers (ascending ids after ``after``) with a fee due by ``as_of``
    that may post now: their open period has not ended."""
    return list(
        session.scalars(
            select(Subscription.customer_id)
            .join(Customer, Customer.id == Subscription.customer_id)
            .where(
                Subscription.next_charge_at <= as_of,
                Customer.period_end_at > now,
                Customer.status != CustomerStatus.CLOSED,
                # On both sides of the join, so that each batch starts where the last ended.
                Subscription.customer_id > after if after is not None else true(),
                Customer.id > after if after is not None else true(),
            )
            .group_by(Subscription.customer_id)
            .order_by(Subscription.customer_id)
            .limit(limit)
        )
    )


def post_due_fees(
    session: Session,
    as_of: datetime,
    *,
    customer_ids: Sequence[int] | None = None,
    after: int | None = None,
    limit: int = DEFAULT_BATCH,
    now: datetime | None = None,
) -> PostResult:
    """Post the fees due by ``as_of`` of ``customer_ids``, or of the next ``limit`` customers
    after ``after`` that have some (``last_customer_id`` says where to go on from; None when
    there were none left)."""
    now = now or utcnow()
    if customer_ids is None:
        customer_ids = due_customer_ids(session, as_of, after=after, limit=limit, now=now)
        if not customer_ids:
            return PostResult()
    return post_locked(session, customer_ids, as_of, now=now)


def post_for_close(
    session: Session, closing: Sequence[Closing], as_of: datetime, now: datetime
) -> Posting:
    """Post, inside the close of these customers' periods (their rows held), the entries of
    the fees billed in those periods: in-arrears segments ending by the period's end,
    in-advance segments and one-time fees due by ``as_of`` before it. ``balances`` of the
    result holds the balances after, of those posted to. The close then adds the fees of the
    periods it opened (:func:`fees_of_opened`) and writes the rows of all (:func:`record_fees`)."""
    payers = {
        c.customer_id: Payer(
            c.customer_id,
            c.currency,
            c.exponent,
            c.balance,
            grid_of(c.kind, c.zone, c.anchor, c.end),
            advance_before=c.end,
            arrears_until=c.end,
            period_id=c.period_id,
        )
        for c in closing
    }
    unfinished: ColumnElement[bool] = or_(
        Subscription.ends_at.is_(None), Subscription.charged_through < Subscription.ends_at
    )
    subs = (
        read_subscriptions(
            session,
            sorted(payers),
            or_(
                Subscription.next_charge_at <= as_of,
                and_(SubscriptionPlan.charged == FeeCharging.IN_ARREARS, unfinished),
            ),
            Subscription.starts_at <= as_of,
        )
        if payers
        else []
    )
    posting = start_posting(session, payers, subs, as_of)
    if subs:
        charge(session, posting, payers, as_of, now)
    return posting


def fees_of_opened(
    posting: Posting, opened: Mapping[int, datetime], as_of: datetime, now: datetime
) -> list[NewEntry]:
    """After the close of ``post_for_close`` moved its customers on to the periods it opened
    (``opened``: each one's new period end), the entries of the fees due by ``as_of`` in those
    of these periods that run now, as a posting outside a close would find them in a later
    transaction. The close posts them with its own entries (``append_entries``), then calls
    :func:`record_fees`."""
    payers: dict[int, Payer] = {}
    for customer_id, payer in posting.payers.items():
        end = opened.get(customer_id)
        if end is None or end <= now or end <= as_of:
            # A period still to close posts its own fees with its close.
            continue
        payers[customer_id] = Payer(
            payer.id, payer.currency, payer.exponent, payer.balance, payer.grid, advance_before=end
        )
    if not payers or not posting.subs:
        return []
    return due_entries(posting, payers, as_of)
