"""One batch's posting of subscription fees, under its customers' row locks: read the
subscriptions, compute what they owe (``kassa.subscriptions.due``), post the entries through
the ledger, then write the fee rows, move the subscriptions on and suspend those left
unfunded. ``kassa.subscriptions.fees`` decides which customers and periods a posting covers."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from kassa.core.clock import as_utc
from kassa.core.vocabulary import EntryType, FeeCharging, FeeKind
from kassa.db.fast.bulk import among, insert_tuples, update_many
from kassa.db.models import Account, LedgerEntry, Subscription, SubscriptionFee, SubscriptionPlan
from kassa.ledger.entries import NewEntry, append_entries
from kassa.subscriptions import suspension
from kassa.subscriptions.due import Fee, Payer, Sub, due_fees
from kassa.subscriptions.plans import fee_history
from kassa.subscriptions.schedule import next_charge_at

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


def read_subscriptions(
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


def start_posting(
    session: Session, payers: dict[int, Payer], subs: list[Sub], as_of: datetime
) -> Posting:
    if not subs:
        return Posting(payers, subs, defaultdict(list), {}, 0)
    return Posting(
        payers,
        subs,
        _posted_periodic(session, subs, as_of),
        fee_history(session, sorted({s.plan_id for s in subs})),
        session.connection().execute(select(func.max(LedgerEntry.id))).scalar() or 0,
    )


def due_entries(posting: Posting, payers: dict[int, Payer], as_of: datetime) -> list[NewEntry]:
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


def charge(
    session: Session,
    posting: Posting,
    payers: dict[int, Payer],
    as_of: datetime,
    now: datetime,
) -> None:
    """Post the entries of what the subscriptions of ``payers`` owe by ``as_of``."""
    entries = due_entries(posting, payers, as_of)
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


def record_fees(session: Session, posting: Posting, now: datetime) -> None:
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
