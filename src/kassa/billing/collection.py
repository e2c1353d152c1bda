"""Collection: invoices fall overdue after their due date, customers are suspended after their
class's grace, and a payment that covers what is overdue settles it and lifts the suspension.
A credit, and collection's sweep, also lift suspensions for unpaid subscription fees whose
funds are back (``kassa.subscriptions.suspension``).

An invoice's amount due already carries the balance before it, so an invoice is settled once
the credits posted since it was issued reach its amount due.

Both sides hold the customer's row first (the lock order of ``kassa.ledger.locks``): a
payment settles under the lock its posting took, collection locks a batch of customers before
it reads their invoices. Each change re-checks the state it changes, and each event names what
it reports (``invoice_overdue:<invoice>``, ``customer_suspended:<customer>:<its last change>``), so
however many runs overlap, an invoice falls overdue once and a suspension is reported once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, union, update
from sqlalchemy.orm import Session

from kassa.core import periods
from kassa.core.clock import utcnow
from kassa.core.money import format_micros
from kassa.core.vocabulary import CustomerStatus, EntryType, InvoiceStatus, SuspensionReason
from kassa.currencies.service import currency_exponent
from kassa.customers.suspensions import (
    lift,
    now_suspended_for,
    overdue_invoice,
    suspend,
    suspension_of,
    unfunded,
)
from kassa.db.engine import Database
from kassa.db.models import Customer, CustomerClass, Invoice, LedgerEntry
from kassa.events.outbox import emit
from kassa.ledger.locks import lock_customers
from kassa.subscriptions.suspension import lift_funded, unpaid_fees_suspended

UNPAID = (InvoiceStatus.ISSUED, InvoiceStatus.OVERDUE)
CREDIT_TYPES = (EntryType.PAYMENT, EntryType.MANUAL_CREDIT, EntryType.PROMOTIONAL_CREDIT)
DEFAULT_BATCH = 500


@dataclass
class Collected:
    overdue: int = 0
    suspended: int = 0
    # Customers whose suspension for unpaid fees was lifted by the sweep.
    lifted: int = 0
    # False when the caller stopped it before every customer concerned was gone through.
    complete: bool = True

    def add(self, other: Collected) -> None:
        self.overdue += other.overdue
        self.suspended += other.suspended
        self.lifted += other.lifted


def settle_invoices(session: Session, customer_id: int) -> list[int]:
    """Mark paid the unpaid invoices the customer's credits now cover, then lift a suspension
    whose reason is gone (:func:`lift_settled`). The caller holds the customer's row. Returns
    the invoices paid."""
    paid = _pay_covered(session, customer_id)
    lift_settled(session, customer_id)
    return paid


def _pay_covered(session: Session, customer_id: int) -> list[int]:
    unpaid = session.execute(
        select(Invoice.id, Invoice.created_at, Invoice.amount_due_micros)
        .where(Invoice.customer_id == customer_id, Invoice.status.in_(UNPAID))
        .order_by(Invoice.id)
    ).all()
    if not unpaid:
        return []
    now = utcnow()
    covered: list[int] = []
    for invoice_id, created_at, amount_due in unpaid:
        credited = -int(
            session.scalar(
                select(func.coalesce(func.sum(LedgerEntry.amount_micros), 0)).where(
                    LedgerEntry.customer_id == customer_id,
                    LedgerEntry.type.in_(CREDIT_TYPES),
                    LedgerEntry.created_at >= created_at,
                )
            )
            or 0
        )
        if credited >= amount_due:
            covered.append(invoice_id)
    if not covered:
        return []
    return list(
        session.scalars(
            update(Invoice)
            .where(Invoice.id.in_(covered), Invoice.status.in_(UNPAID))
            .values(status=InvoiceStatus.PAID, paid_at=now)
            .returning(Invoice.id)
        )
    )


def lift_settled(session: Session, customer_id: int) -> None:
    """After a credit: a customer suspended for an overdue invoice is active again once nothing
    is overdue, unless its class suspends for unpaid fees and its funds are below zero (then it
    stays suspended, for those); one suspended for unpaid fees once its funds are no longer
    below zero and nothing is overdue. The caller holds the customer's row."""
    state = suspension_of(session, customer_id)
    if state is None or state[0] != CustomerStatus.SUSPENDED:
        return
    settled = ~overdue_invoice(customer_id)
    now_suspended_for(
        session,
        customer_id,
        SuspensionReason.UNPAID_FEES,
        was=(SuspensionReason.OVERDUE_INVOICE,),
        only_if=settled & unfunded(utcnow()),
    )
    lift(session, [customer_id], (SuspensionReason.OVERDUE_INVOICE,), only_if=settled, why="paid")
    lift_funded(session, [customer_id])


def due_for_collection(
    session: Session, as_of: datetime, *, after_id: int = 0, limit: int = DEFAULT_BATCH
) -> list[int]:
    """The next ``limit`` customers after ``after_id``, in id order, that collection as of
    ``as_of`` may have to act on: those with an issued invoice due by then, and the active
    ones of a suspending class with an overdue invoice. Read without locks; a batch re-checks."""
    # No time zone is more than a day ahead of UTC: nothing due later is overdue yet.
    cutoff = as_of.date() + timedelta(days=1)
    issued = select(Invoice.customer_id.label("customer_id")).where(
        Invoice.status == InvoiceStatus.ISSUED,
        Invoice.due_date < cutoff,
        Invoice.customer_id > after_id,
    )
    suspendable = (
        select(Invoice.customer_id.label("customer_id"))
        .join(Customer, Customer.id == Invoice.customer_id)
        .join(CustomerClass, CustomerClass.id == Customer.customer_class_id)
        .where(
            Invoice.status == InvoiceStatus.OVERDUE,
            Invoice.customer_id > after_id,
            Customer.status == CustomerStatus.ACTIVE,
            CustomerClass.suspend_after_days.is_not(None),
        )
    )
    due = union(issued, suspendable).subquery()
    return list(session.scalars(select(due.c.customer_id).order_by(due.c.customer_id).limit(limit)))


def collect_batch(session: Session, as_of: datetime, customer_ids: Sequence[int]) -> Collected:
    """Mark overdue the invoices of these customers whose due date has passed by ``as_of``,
    then suspend those of them past their class's suspend-after days. Locks the customers."""
    locked = lock_customers(session, customer_ids)
    if not locked:
        return Collected()
    return Collected(
        overdue=_mark_overdue(session, as_of, locked),
        suspended=_suspend(session, as_of, locked),
    )


def _overdue_from(due_date: date, zone: str, days_after: int = 0) -> datetime:
    """The start of the local day ``days_after`` days after the day after ``due_date``: an
    invoice is overdue once its due date has passed in the customer's billing time zone."""
    return periods.start_of_local_day(due_date + timedelta(days=1 + days_after), zone)


def _mark_overdue(session: Session, as_of: datetime, customer_ids: list[int]) -> int:
    candidates = session.execute(
        select(
            Invoice.id,
            Invoice.customer_id,
            Invoice.number,
            Invoice.due_date,
            Invoice.billing_timezone,
            Invoice.amount_due_micros,
            Invoice.currency,
        )
        .where(
            Invoice.customer_id.in_(customer_ids),
            Invoice.status == InvoiceStatus.ISSUED,
            Invoice.due_date < as_of.date() + timedelta(days=1),
        )
        .order_by(Invoice.id)
    ).all()
    fallen = {
        row.id: row
        for row in candidates
        if as_of >= _overdue_from(row.due_date, row.billing_timezone)
    }
    if not fallen:
        return 0
    marked = session.scalars(
        update(Invoice)
        .where(Invoice.id.in_(list(fallen)), Invoice.status == InvoiceStatus.ISSUED)
        .values(status=InvoiceStatus.OVERDUE)
        .returning(Invoice.id)
    ).all()
    for invoice_id in sorted(marked):
        row = fallen[invoice_id]
        emit(
            session,
            "invoice_overdue",
            row.customer_id,
            {
                "customer_id": row.customer_id,
                "invoice_id": row.id,
                "number": row.number,
                "amount_due": format_micros(
                    row.amount_due_micros, currency_exponent(session, row.currency)
                ),
                "currency": row.currency,
                "due_date": row.due_date.isoformat(),
            },
            dedupe_key=f"invoice_overdue:{row.id}",
        )
    return len(marked)


def _suspend(session: Session, as_of: datetime, customer_ids: list[int]) -> int:
    rows = session.execute(
        select(
            Customer.id,
            Customer.updated_at,
            CustomerClass.suspend_after_days,
            Invoice.id,
            Invoice.due_date,
            Invoice.billing_timezone,
        )
        .join(CustomerClass, CustomerClass.id == Customer.customer_class_id)
        .join(Invoice, Invoice.customer_id == Customer.id)
        .where(
            Customer.id.in_(customer_ids),
            Customer.status == CustomerStatus.ACTIVE,
            CustomerClass.suspend_after_days.is_not(None),
            Invoice.status == InvoiceStatus.OVERDUE,
        )
        .order_by(Customer.id, Invoice.due_date, Invoice.id)
    ).all()
    # Per customer, the overdue invoice whose grace ended first (due dates are local days).
    reasons: dict[int, tuple[datetime, int, date, datetime]] = {}
    for customer_id, changed_at, after_days, invoice_id, due_date, zone in rows:
        ends = _overdue_from(due_date, zone, after_days or 0)
        if as_of >= ends and (customer_id not in reasons or ends < reasons[customer_id][0]):
            reasons[customer_id] = (ends, invoice_id, due_date, changed_at)
    suspended = 0
    for customer_id, (_, invoice_id, due_date, changed_at) in sorted(reasons.items()):
        suspended += suspend(
            session,
            customer_id,
            SuspensionReason.OVERDUE_INVOICE,
            only_if=overdue_invoice(customer_id),
            changed_at=changed_at,
            data={"invoice_id": invoice_id, "oldest_due_date": due_date.isoformat()},
        )
    return suspended


def run_collection(
    db: Database,
    as_of: datetime,
    *,
    batch_size: int = DEFAULT_BATCH,
    in_each_batch: Callable[[Session], bool] | None = None,
) -> Collected:
    """Apply collection as of ``as_of`` to every customer it concerns, a batch of customers per
    short transaction (payments on them wait for a batch, never for the whole run); owns its
    transactions. ``in_each_batch`` runs inside each batch's transaction (a run renews its
    lease there) and answers whether to go on: False stops after that batch, ``complete``
    then False."""
    total = Collected()

    def due(session: Session, after: int) -> list[int]:
        return due_for_collection(session, as_of, after_id=after, limit=batch_size)

    def collect(session: Session, ids: list[int]) -> None:
        total.add(collect_batch(session, as_of, ids))

    def suspended_for_fees(session: Session, after: int) -> list[int]:
        return unpaid_fees_suspended(session, after_id=after, limit=batch_size)

    def lift_funded_ones(session: Session, ids: list[int]) -> None:
        total.lifted += len(lift_funded(session, ids))

    # Then the sweep of suspensions for unpaid fees: funds that came back without a credit (a
    # reservation that lapsed) lift them here.
    passes = ((due, collect), (suspended_for_fees, lift_funded_ones))
    for read, work in passes:
        after = 0
        while True:
            with db.reading() as session:
                ids = read(session, after)
            if not ids:
                break
            with db.transaction() as session:
                work(session, ids)
                go_on = in_each_batch(session) if in_each_batch else True
            if not go_on:
                total.complete = False
                return total
            db.make_way_for_writers()
            after = ids[-1]
    return total
