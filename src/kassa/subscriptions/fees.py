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

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, func, or_, select, true
from sqlalchemy.orm import Session

from kassa.core.clock import as_utc, utcnow
from kassa.core.vocabulary import CustomerStatus, EntryType, FeeCharging, FeeKind
from kassa.currencies.service import currency_exponent
from kassa.db.fast.bulk import among, insert_tuples, update_many
from kassa.db.models import (
    Account,
    Customer,
    LedgerEntry,
    Subscription,
    SubscriptionFee,
    SubscriptionPlan,
)
from kassa.ledger.entries import NewEntry, append_entries
from kassa.ledger.locks import lock_customer_rows
from kassa.subscriptions import suspension
from kassa.subscriptions.due import Fee, Payer, Sub, due_fees
from kassa.subscriptions.plans import fee_history
from kassa.subscriptions.schedule import grid_of, next_charge_at

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


_SUB_COLUMNS = (
    Subscription.id,
    Subscription.customer_id,
    Account.identifier,
    Subscription.plan_id,
    SubscriptionPlan.name,
    SubscriptionPlan.charged,
    SubscriptionPlan.prorate,
    SubscriptionPlan.periodic_fee_micros,
    SubscriptionPlan.activation_fee_micros,
    SubscriptionPlan.cancellation_fee_micros,
    Subscription.starts_at,
    Subscription.ends_at,
    Subscription.commitment_ends_at,
    Subscription.charged_through,
    Subscription.activation_charged,
    Subscription.cancellation_charged,
)


def _subscriptions(
    session: Session, customer_ids: list[int], *where: ColumnElement[bool]
) -> list[Sub]:
    rows = (
        session.connection()
        .execute(
            select(*_SUB_COLUMNS)
            .join(SubscriptionPlan, SubscriptionPlan.id == Subscription.plan_id)
            .outerjoin(Account, Account.id == Subscription.account_id)
            .where(among(session, Subscription.customer_id, customer_ids), *where)
            .order_by(Subscription.customer_id, Subscription.id)
        )
        .tuples()
        .all()
    )
    return [
        Sub(
            *row[:10],
            starts_at=as_utc(row[10]),
            ends_at=as_utc(row[11]) if row[11] is not None else None,
            commitment_ends_at=as_utc(row[12]),
            charged_through=as_utc(row[13]),
            activation_charged=bool(row[14]),
            cancellation_charged=bool(row[15]),
        )
        for row in rows
    ]


def _posted_periodic(
    session: Session, subs: list[Sub], as_of: datetime
) -> dict[int, list[tuple[datetime, datetime, int]]]:
    """The periodic fees posted past the end of those subscriptions that ended by ``as_of``
    while charged beyond it (an in-advance period cut short)."""
    ids = [
        s.id
        for s in subs
        if s.ends_at is not None and s.ends_at <= as_of and s.charged_through > s.ends_at
    ]
    posted: dict[int, list[tuple[datetime, datetime, int]]] = defaultdict(list)
    if not ids:
        return posted
    rows = session.execute(
        select(
            SubscriptionFee.subscription_id,
            SubscriptionFee.period_start,
            SubscriptionFee.period_end,
            SubscriptionFee.full_fee_micros,
        )
        .join(Subscription, Subscription.id == SubscriptionFee.subscription_id)
        .where(
            SubscriptionFee.subscription_id.in_(ids),
            SubscriptionFee.kind == FeeKind.PERIODIC,
            SubscriptionFee.period_end > Subscription.ends_at,
        )
        .order_by(SubscriptionFee.period_start)
    ).all()
    for sub_id, start, end, full in rows:
        posted[sub_id].append((as_utc(start), as_utc(end), int(full)))
    return posted


@dataclass
class Posting:
    """Fees whose entries are posted and whose rows (and subscriptions) are not yet written:
    a close writes them once, after it has posted the fees of the periods it opened."""

    payers: dict[int, Payer]
    subs: list[Sub]
    posted: dict[int, list[tuple[datetime, datetime, int]]]
    histories: dict[int, list[tuple[datetime, int]]]
    # The largest ledger entry id before the first of these entries.
    before: int
    fees: list[Fee] = field(default_factory=list)
    balances: dict[int, int] = field(default_factory=dict)


def _start(session: Session, payers: dict[int, Payer], subs: list[Sub], as_of: datetime) -> Posting:
    if not subs:
        return Posting(payers, subs, defaultdict(list), {}, 0)
    return Posting(
        payers,
        subs,
        _posted_periodic(session, subs, as_of),
        fee_history(session, sorted({s.plan_id for s in subs})),
        session.connection().execute(select(func.max(LedgerEntry.id))).scalar() or 0,
    )


def _due(posting: Posting, payers: dict[int, Payer], as_of: datetime) -> list[NewEntry]:
    """The entries of what the subscriptions of ``payers`` owe by ``as_of``, their fees added
    to the posting; moves the subscriptions on. The fees' rows, and the suspensions they
    bring, are left to :func:`_record`."""
    fees: list[Fee] = []
    for sub in posting.subs:
        payer = payers.get(sub.customer_id)
        if payer is not None:
            fees.extend(
                due_fees(sub, payer, posting.histories[sub.plan_id], as_of, posting.posted[sub.id])
            )
    posting.fees.extend(fees)
    entries: list[NewEntry] = []
    for fee in fees:
        if fee.amount == 0:
            continue
        payer = payers[fee.sub.customer_id]
        entries.append(
            NewEntry(
                customer_id=payer.id,
                entry_type=EntryType.MANUAL_CREDIT
                if fee.kind is FeeKind.UNUSED
                else EntryType.SUBSCRIPTION,
                amount_micros=fee.amount,
                currency=payer.currency,
                exponent=payer.exponent,
                visible_comment=fee.comment,
                user_id=None,
                billing_period_id=payer.period_id,
                external_id=fee.key,
            )
        )
    return entries


def _charge(
    session: Session,
    posting: Posting,
    payers: dict[int, Payer],
    as_of: datetime,
    now: datetime,
) -> None:
    """Post the entries of what the subscriptions of ``payers`` owe by ``as_of``."""
    entries = _due(posting, payers, as_of)
    if entries:
        posting.balances.update(
            append_entries(
                session,
                entries,
                balances={p.id: p.balance for p in payers.values()},
                created_at=now,
            )
        )


_FEE_ROW = (
    "subscription_id",
    "customer_id",
    "kind",
    "period_start",
    "period_end",
    "amount_micros",
    "full_fee_micros",
    "ledger_entry_id",
    "created_at",
)


def _record(session: Session, posting: Posting, now: datetime) -> None:
    """Write the rows of the posting's fees, with their entries' ids, and move its
    subscriptions on (one statement each); then suspend the customers the in-advance fees
    left unfunded."""
    fees = posting.fees
    if not posting.subs:
        return
    entry_ids: dict[str, int] = {}
    charged = sorted({f.sub.customer_id for f in fees if f.amount != 0})
    if charged:
        entry_ids = {
            str(key): int(entry_id)
            for entry_id, key in session.connection().execute(
                select(LedgerEntry.id, LedgerEntry.external_id).where(
                    LedgerEntry.id > posting.before,
                    among(session, LedgerEntry.customer_id, charged),
                    LedgerEntry.external_id.is_not(None),
                )
            )
        }
    insert_tuples(
        session,
        SubscriptionFee,
        _FEE_ROW,
        [
            (
                fee.sub.id,
                fee.sub.customer_id,
                fee.kind.value,
                fee.start,
                fee.end,
                fee.amount,
                fee.full,
                entry_ids.get(fee.key),
                now,
            )
            for fee in fees
        ],
    )
    update_many(
        session,
        Subscription,
        [
            {
                "id": sub.id,
                "charged_through": sub.charged_through,
                "activation_charged": sub.activation_charged,
                "cancellation_charged": sub.cancellation_charged,
                "next_charge_at": next_charge_at(
                    charged=sub.charged,
                    starts_at=sub.starts_at,
                    ends_at=sub.ends_at,
                    charged_through=sub.charged_through,
                    commitment_ends_at=sub.commitment_ends_at,
                    activation_charged=sub.activation_charged,
                    cancellation_charged=sub.cancellation_charged,
                ),
                "updated_at": now,
            }
            for sub in posting.subs
        ],
    )
    # Once all of them are posted: a close's fees of both periods make one check.
    advance = sorted(
        {
            f.sub.customer_id
            for f in posting.fees
            if f.kind is FeeKind.PERIODIC and f.sub.charged == FeeCharging.IN_ADVANCE and f.amount
        }
    )
    if advance:
        suspension.suspend_unfunded(session, advance)


def _post(
    session: Session, payers: dict[int, Payer], subs: list[Sub], as_of: datetime, now: datetime
) -> PostResult:
    """Post what ``subs`` owe by ``as_of``, their customers' rows held; moves them on."""
    result = PostResult()
    if not subs:
        return result
    posting = _start(session, payers, subs, as_of)
    _charge(session, posting, payers, as_of, now)
    _record(session, posting, now)
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
    subs = _subscriptions(session, sorted(payers), *where)
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
        _subscriptions(
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
    posting = _start(session, payers, subs, as_of)
    if subs:
        _charge(session, posting, payers, as_of, now)
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
    return _due(posting, payers, as_of)


def record_fees(session: Session, posting: Posting, now: datetime) -> None:
    """Write the rows of every fee a close posted (``post_for_close``, ``fees_of_opened``),
    move their subscriptions on, and suspend those left unfunded."""
    _record(session, posting, now)
