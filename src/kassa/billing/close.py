"""Closing billing periods, a batch of customers at a time, with set-based SQL.

Each batch is one short transaction: the customers' rows are locked in id order and each row
is re-checked once locked, so a period closes exactly once however runs overlap, and a run
killed halfway leaves only whole batches behind for the next run to continue from. A batch
closes a bounded number of periods: a customer far behind (daily periods, a run a year ahead)
gets the rest in the caller's next transactions, so no transaction holds the customers' rows
(or SQLite's write lock) for long and real-time calls for them wait a fraction of a second.

An entry belongs to the first period that closes after it was posted: closing marks every
unbilled entry created before the period's end, so an entry that lands late is billed in the
next period instead of being lost.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache

from sqlalchemy import ColumnClause, ColumnElement, case, func, literal_column, or_, select, update
from sqlalchemy.orm import Session

from kassa.billing.destinations import DESTINATION_UNIT, groups_by_destination
from kassa.billing.drafts import Draft, DueCustomer, Sums
from kassa.billing.issuing import draft, issue
from kassa.core import periods
from kassa.core.clock import utcnow
from kassa.core.vocabulary import CustomerStatus, EntryType
from kassa.currencies.service import currency_exponent
from kassa.db.fast.bulk import among, cyclic_gc_paused, insert_many
from kassa.db.models import BillingPeriod, Customer, CustomerClass, LedgerEntry
from kassa.ledger.entries import append_entries
from kassa.ledger.locks import lock_customer_rows
from kassa.subscriptions.fees import Closing, fees_of_opened, post_for_close
from kassa.subscriptions.posting import Posting, record_fees

# How long a batch waits for a customer's row that another transaction holds (on PostgreSQL):
# a real-time call holds it for milliseconds, another run's batch for well under a second. A
# transaction left open on it for longer fails the run, which says why; the next run goes on.
LOCK_TIMEOUT = "30s"

# What a period's entries are summed by besides service and type (kassa.billing.destinations):
# the unit of rated usage, and for voice the rate's prefix; "" for neither, so that the order
# is the same on both databases (they sort nulls apart). Literals rather than parameters, so
# that PostgreSQL sees the grouped expressions as those selected.
_NONE: ColumnClause[str] = literal_column("''")
_UNIT = func.coalesce(LedgerEntry.unit, _NONE)
_DESTINATION = case(
    (
        LedgerEntry.unit == literal_column(f"'{DESTINATION_UNIT.value}'"),
        func.coalesce(LedgerEntry.rate_prefix, _NONE),
    ),
    else_=_NONE,
)
# Entries that are invoice lines of their own, described by their visible comment: each
# subscription fee (its comment names the plan, the dates and the share of the period it
# pays), and each charge or credit staff posted with a comment for the customer. Others are
# summed by the keys above; their line's key is 0.
OWN_LINE_TYPES = (EntryType.SUBSCRIPTION,)
COMMENTED_LINE_TYPES = (EntryType.MANUAL_CHARGE, EntryType.MANUAL_CREDIT)


def _is_one_of(types: tuple[EntryType, ...]) -> ColumnElement[bool]:
    return or_(*(LedgerEntry.type == literal_column(f"'{t.value}'") for t in types))


_OWN_LINE = case(
    (_is_one_of(OWN_LINE_TYPES), LedgerEntry.id),
    (_is_one_of(COMMENTED_LINE_TYPES) & (LedgerEntry.visible_comment != _NONE), LedgerEntry.id),
    else_=literal_column("0"),
)


@dataclass
class CloseResult:
    periods_closed: int = 0
    invoices_issued: int = 0
    # Customers of the batch with periods still due once it reached its periods' bound.
    unfinished: list[int] = field(default_factory=list)


_DUE_COLUMNS = (
    Customer.id,
    Customer.name,
    Customer.email,
    Customer.currency,
    Customer.balance_micros,
    Customer.status,
    Customer.customer_class_id,
    Customer.billing_period,
    Customer.billing_timezone,
    Customer.billing_anchor_date,
    Customer.period_start_at,
    Customer.period_end_at,
    Customer.custom_data,
    Customer.created_at,
)


def _lock_due(session: Session, ids: list[int], as_of: datetime) -> list[DueCustomer]:
    # Locked in id order, as every batch does, so that overlapping runs queue on each other's
    # rows instead of deadlocking; PostgreSQL re-checks each row once it has it.
    rows = lock_customer_rows(
        session, _DUE_COLUMNS, among(session, Customer.id, ids), Customer.period_end_at <= as_of
    )
    # Rows unpacked by position: reading 14 attributes by name costs more than the query.
    return [
        DueCustomer(
            customer_id,
            name,
            email,
            currency,
            currency_exponent(session, currency),
            balance,
            status,
            class_id,
            kind,
            zone,
            anchor or periods.anchor_day(created_at, zone),
            start or created_at,
            end,
            custom_data or {},
        )
        for (
            customer_id,
            name,
            email,
            currency,
            balance,
            status,
            class_id,
            kind,
            zone,
            anchor,
            start,
            end,
            custom_data,
            created_at,
        ) in rows
    ]


def _classes(session: Session, ids: set[int]) -> dict[int, CustomerClass]:
    return {
        c.id: c for c in session.scalars(select(CustomerClass).where(CustomerClass.id.in_(ids)))
    }


def close_batch(
    session: Session,
    *,
    customer_ids: list[int],
    as_of: datetime,
    run_id: int | None,
    number_format: str,
    max_periods: int,
    user_id: int | None = None,
) -> CloseResult:
    """Close the periods of these customers that ended at or before ``as_of``, oldest first:
    all of them, or as many rounds (one period per customer each) as fit in ``max_periods``
    (always the first round). The customers left with periods due are ``unfinished``."""
    result = CloseResult()
    if session.connection().dialect.name == "postgresql":
        session.connection().exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
    with cyclic_gc_paused():
        due = _lock_due(session, sorted(customer_ids), as_of)
        if not due:
            return result
        classes = _classes(session, {c.class_id for c in due})
        while due:
            _close_round(session, due, classes, as_of, run_id, number_format, user_id, result)
            due = [c for c in due if c.end <= as_of]
            if due and result.periods_closed + len(due) > max_periods:
                result.unfinished = [c.id for c in due]
                break
    return result


def _close_round(
    session: Session,
    due: list[DueCustomer],
    classes: dict[int, CustomerClass],
    as_of: datetime,
    run_id: int | None,
    number_format: str,
    user_id: int | None,
    result: CloseResult,
) -> None:
    now = utcnow()
    before = session.connection().execute(select(func.max(BillingPeriod.id))).scalar() or 0
    insert_many(
        session,
        BillingPeriod,
        [
            {
                "customer_id": c.id,
                "start_at": c.start,
                "end_at": c.end,
                "billing_period": c.kind,
                "billing_timezone": c.zone,
                "billing_run_id": run_id,
                "invoice_id": None,
                "closed_at": now,
            }
            for c in due
        ],
    )
    # The new periods' ids: no one else adds periods for these customers while their rows
    # are locked, so theirs above the largest id before the insert are these.
    period_of = dict(
        session.connection()
        .execute(
            select(BillingPeriod.customer_id, BillingPeriod.id).where(
                BillingPeriod.id > before,
                among(session, BillingPeriod.customer_id, [c.id for c in due]),
            )
        )
        .all()
    )
    period_ids = list(period_of.values())
    result.periods_closed += len(period_ids)
    fees = _post_fees(session, due, period_of, as_of, now)
    session.connection().execute(
        update(LedgerEntry)
        .where(
            among(session, BillingPeriod.id, period_ids),
            LedgerEntry.customer_id == BillingPeriod.customer_id,
            LedgerEntry.billing_period_id.is_(None),
            LedgerEntry.created_at < BillingPeriod.end_at,
        )
        .values(billing_period_id=BillingPeriod.id)
    )
    groups: dict[int, list[Sums]] = defaultdict(list)
    # Reached through the period's customer, so the (customer_id, billing_period_id) index
    # finds the entries: a filter on billing_period_id alone would scan the whole ledger.
    for (
        period_id,
        service,
        entry_type,
        unit,
        prefix,
        own,
        count,
        total,
        units,
        description,
        comment,
    ) in (
        session.connection()
        .execute(
            select(
                BillingPeriod.id,
                LedgerEntry.service,
                LedgerEntry.type,
                _UNIT,
                _DESTINATION,
                _OWN_LINE,
                func.count(),
                func.sum(LedgerEntry.amount_micros),
                func.sum(LedgerEntry.units),
                func.max(LedgerEntry.rate_description),
                func.max(LedgerEntry.visible_comment),
            )
            .join(
                LedgerEntry,
                (LedgerEntry.customer_id == BillingPeriod.customer_id)
                & (LedgerEntry.billing_period_id == BillingPeriod.id),
            )
            .where(among(session, BillingPeriod.id, period_ids))
            # Grouped in the order of the output: one sort does both.
            .group_by(
                BillingPeriod.id,
                LedgerEntry.type,
                LedgerEntry.service,
                _UNIT,
                _DESTINATION,
                _OWN_LINE,
            )
            .order_by(
                BillingPeriod.id,
                LedgerEntry.type,
                LedgerEntry.service,
                _UNIT,
                _DESTINATION,
                _OWN_LINE,
            )
        )
        .all()
    ):
        voice = groups_by_destination(unit)
        groups[int(period_id or 0)].append(
            Sums(
                service,
                entry_type,
                int(count),
                int(total or 0),
                None if units is None else int(units),
                unit or None,
                prefix if voice else None,
                description if voice else None,
                (comment or "") if own else None,
            )
        )
    later = dict(
        session.connection()
        .execute(
            select(LedgerEntry.customer_id, func.sum(LedgerEntry.amount_micros))
            .where(
                among(session, LedgerEntry.customer_id, [c.id for c in due]),
                LedgerEntry.billing_period_id.is_(None),
            )
            .group_by(LedgerEntry.customer_id)
        )
        .all()
    )
    drafts: list[Draft] = []
    for customer in due:
        cls = classes[customer.class_id]
        period_id = period_of[customer.id]
        rows = groups.get(period_id, [])
        period_sum = sum(row.total for row in rows)
        opening = customer.balance - period_sum - int(later.get(customer.id) or 0)
        if _invoiced(cls, customer, rows, opening):
            drafts.append(draft(customer, cls, period_id, rows, opening))
        _advance(customer)
    taxes = issue(session, drafts, number_format, user_id, now)
    result.invoices_issued += len(drafts)
    # The fees due in the periods just opened go with the taxes: the customers' rows are held
    # already, and their subscriptions were read once.
    opened = fees_of_opened(fees, {c.id: c.end for c in due}, as_of, now)
    # The statement that adds the taxes (and those fees) to the balances moves the customers
    # on to their next period: one write of each customer's row.
    balances = append_entries(
        session,
        [*taxes, *opened],
        balances={c.id: c.balance for c in due},
        created_at=now,
        also_set=[{"id": c.id, "period_start_at": c.start, "period_end_at": c.end} for c in due],
    )
    for c in due:
        c.balance = balances.get(c.id, c.balance)
    record_fees(session, fees, now)


def _invoiced(cls: CustomerClass, customer: DueCustomer, rows: list[Sums], opening: int) -> bool:
    """Whether a closed period gets an invoice: not with the class's template "none", nor when
    its class skips idle periods and not one entry was billed in it; a closed customer's only
    when something is owed or happened."""
    if cls.invoice_template == "none":
        return False
    if not rows and cls.skip_idle_invoices:
        return False
    return customer.status != CustomerStatus.CLOSED or bool(rows) or opening != 0


def _post_fees(
    session: Session,
    due: list[DueCustomer],
    period_of: dict[int, int],
    as_of: datetime,
    now: datetime,
) -> Posting:
    """The subscription fees these periods bill, posted on them before their invoices are
    drafted (their rows are written by ``record_fees``). A closed customer is charged no
    more."""
    closing = [
        Closing(c.id, c.currency, c.exponent, c.balance, c.kind, c.zone, c.anchor, c.end, pid)
        for c in due
        if (pid := period_of.get(c.id)) is not None and c.status != CustomerStatus.CLOSED
    ]
    posting = post_for_close(session, closing, as_of, now)
    for c in due:
        c.balance = posting.balances.get(c.id, c.balance)
    return posting


def _advance(customer: DueCustomer) -> None:
    """The next period starts where this one ended, cut with the customer's settings now."""
    customer.start = customer.end
    customer.end = _boundary_after(customer.kind, customer.zone, customer.anchor, customer.end)


@lru_cache(maxsize=4096)
def _boundary_after(kind: str, zone: str, anchor: date, after: datetime) -> datetime:
    # Customers closed together mostly share their period's kind, zone and end.
    return periods.boundary_after(kind, zone, anchor, after)
