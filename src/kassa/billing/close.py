"""Closing billing periods, a batch of customers at a time, with set-based SQL.

Each batch is one transaction: the customers' rows are locked (rows another run holds are
skipped, and each row is re-checked), so a period closes exactly once however runs overlap,
and a run killed halfway leaves only whole batches behind for the next run to continue from.

An entry belongs to the first period that closes after it was posted: closing marks every
unbilled entry created before the period's end, so an entry that lands late is billed in the
next period instead of being lost.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from kassa.billing.numbering import format_number, series_of, take_numbers
from kassa.billing.taxes import TaxAmount, compute_taxes
from kassa.core import periods
from kassa.core.clock import utcnow
from kassa.core.money import format_micros, from_micros, round_to_currency, to_micros
from kassa.currencies.service import currency_exponent
from kassa.db.models import (
    BillingPeriod,
    Customer,
    CustomerClass,
    Invoice,
    InvoiceLine,
    LedgerEntry,
    OutboxEvent,
)

CREDIT_TYPES = ("payment",)
ENTRY_LABELS = {
    "usage": "usage",
    "manual_charge": "Charges",
    "refund": "Refunds",
    "manual_credit": "Credits",
    "promotional_credit": "Promotional credits",
}


@dataclass
class CloseResult:
    periods_closed: int = 0
    invoices_issued: int = 0
    invoice_ids: list[int] = field(default_factory=list)


@dataclass
class _Customer:
    id: int
    name: str
    email: str | None
    currency: str
    exponent: int
    balance: int
    status: str
    class_id: int
    kind: str
    zone: str
    anchor: date
    start: datetime
    end: datetime
    custom_data: dict[str, Any]


@dataclass
class _Draft:
    customer: _Customer
    period_id: int
    start: datetime
    end: datetime
    issue_date: date
    due_date: date
    template: str
    inclusive: bool
    lines: list[dict[str, Any]]
    taxes: list[TaxAmount]
    subtotal: int
    tax_total: int
    total: int
    previous_balance: int
    payments: int
    amount_due: int
    number: str = ""
    invoice_id: int = 0


def line_description(service: str | None, entry_type: str) -> str:
    label = ENTRY_LABELS.get(entry_type, entry_type.replace("_", " ").capitalize())
    if entry_type == "usage":
        return f"{(service or 'Service').replace('_', ' ').capitalize()} usage"
    return f"{label} ({service.replace('_', ' ')})" if service else label


def _rounded(micros: int, exponent: int) -> int:
    return to_micros(round_to_currency(from_micros(micros), exponent))


def _lock_due(session: Session, ids: list[int], as_of: datetime) -> list[_Customer]:
    rows = session.execute(
        select(
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
        .where(Customer.id.in_(ids), Customer.period_end_at <= as_of)
        .order_by(Customer.id)
        .with_for_update(skip_locked=True)
    ).all()
    return [
        _Customer(
            id=r.id,
            name=r.name,
            email=r.email,
            currency=r.currency,
            exponent=currency_exponent(session, r.currency),
            balance=r.balance_micros,
            status=r.status,
            class_id=r.customer_class_id,
            kind=r.billing_period,
            zone=r.billing_timezone,
            anchor=r.billing_anchor_date or periods.anchor_day(r.created_at, r.billing_timezone),
            start=r.period_start_at or r.created_at,
            end=r.period_end_at,
            custom_data=r.custom_data or {},
        )
        for r in rows
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
    user_id: int | None = None,
) -> CloseResult:
    """Close every period of these customers that ended at or before ``as_of``."""
    result = CloseResult()
    due = _lock_due(session, sorted(customer_ids), as_of)
    if not due:
        return result
    classes = _classes(session, {c.class_id for c in due})
    while due:
        drafts = _close_round(session, due, classes, run_id, number_format, user_id, result)
        result.invoice_ids.extend(d.invoice_id for d in drafts)
        due = [c for c in due if c.end <= as_of]
    return result


def _close_round(
    session: Session,
    due: list[_Customer],
    classes: dict[int, CustomerClass],
    run_id: int | None,
    number_format: str,
    user_id: int | None,
    result: CloseResult,
) -> list[_Draft]:
    now = utcnow()
    period_rows = (
        session.connection()
        .execute(
            insert(BillingPeriod).returning(
                BillingPeriod.id, BillingPeriod.customer_id, sort_by_parameter_order=True
            ),
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
        .all()
    )
    period_of = {customer_id: period_id for period_id, customer_id in period_rows}
    period_ids = list(period_of.values())
    result.periods_closed += len(period_ids)
    session.connection().execute(
        update(LedgerEntry)
        .where(
            BillingPeriod.id.in_(period_ids),
            LedgerEntry.customer_id == BillingPeriod.customer_id,
            LedgerEntry.billing_period_id.is_(None),
            LedgerEntry.created_at < BillingPeriod.end_at,
        )
        .values(billing_period_id=BillingPeriod.id)
    )
    groups: dict[int, list[tuple[str | None, str, int, int]]] = defaultdict(list)
    for period_id, service, entry_type, count, total in session.execute(
        select(
            LedgerEntry.billing_period_id,
            LedgerEntry.service,
            LedgerEntry.type,
            func.count(),
            func.sum(LedgerEntry.amount_micros),
        )
        .where(LedgerEntry.billing_period_id.in_(period_ids))
        .group_by(LedgerEntry.billing_period_id, LedgerEntry.service, LedgerEntry.type)
        .order_by(LedgerEntry.billing_period_id, LedgerEntry.type, LedgerEntry.service)
    ):
        groups[int(period_id or 0)].append((service, entry_type, int(count), int(total or 0)))
    later = dict(
        session.execute(
            select(LedgerEntry.customer_id, func.sum(LedgerEntry.amount_micros))
            .where(
                LedgerEntry.customer_id.in_([c.id for c in due]),
                LedgerEntry.billing_period_id.is_(None),
            )
            .group_by(LedgerEntry.customer_id)
        ).all()
    )
    drafts: list[_Draft] = []
    for customer in due:
        cls = classes[customer.class_id]
        period_id = period_of[customer.id]
        rows = groups.get(period_id, [])
        period_sum = sum(total for _, _, _, total in rows)
        opening = customer.balance - period_sum - int(later.get(customer.id) or 0)
        if cls.invoice_template != "none" and (customer.status != "closed" or rows or opening != 0):
            drafts.append(_draft(customer, cls, period_id, rows, opening))
        _advance(customer)
    _issue(session, drafts, number_format, user_id, now)
    result.invoices_issued += len(drafts)
    session.connection().execute(
        update(Customer)
        .where(Customer.id == bindparam("cid"))
        .values(period_start_at=bindparam("pstart"), period_end_at=bindparam("pend")),
        [{"cid": c.id, "pstart": c.start, "pend": c.end} for c in due],
    )
    return drafts


def _advance(customer: _Customer) -> None:
    """The next period starts where this one ended, cut with the customer's settings now."""
    customer.start = customer.end
    customer.end = periods.boundary_after(
        customer.kind, customer.zone, customer.anchor, customer.end
    )


def _draft(
    customer: _Customer,
    cls: CustomerClass,
    period_id: int,
    rows: list[tuple[str | None, str, int, int]],
    opening: int,
) -> _Draft:
    exponent = customer.exponent
    lines: list[dict[str, Any]] = []
    payments = 0
    for service, entry_type, count, total in rows:
        if entry_type in CREDIT_TYPES:
            payments -= total
        elif entry_type != "tax":
            lines.append(
                {
                    "description": line_description(service, entry_type),
                    "service": service,
                    "entry_type": entry_type,
                    "quantity": count,
                    "amount_micros": _rounded(total, exponent),
                }
            )
    subtotal = sum(int(line["amount_micros"]) for line in lines)
    taxes = compute_taxes(subtotal, cls.taxes, inclusive=cls.tax_inclusive, exponent=exponent)
    tax_total = sum(t.amount_micros for t in taxes)
    total = subtotal if cls.tax_inclusive else subtotal + tax_total
    previous = _rounded(opening, exponent)
    payments = _rounded(payments, exponent)
    zone = ZoneInfo(customer.zone)
    issue_date = customer.end.astimezone(zone).date()
    return _Draft(
        customer=customer,
        period_id=period_id,
        start=customer.start,
        end=customer.end,
        issue_date=issue_date,
        due_date=issue_date + timedelta(days=cls.grace_period_days),
        template=cls.invoice_template,
        inclusive=cls.tax_inclusive,
        lines=lines,
        taxes=taxes,
        subtotal=subtotal,
        tax_total=tax_total,
        total=total,
        previous_balance=previous,
        payments=payments,
        amount_due=previous + total - payments,
    )


def _issue(
    session: Session, drafts: list[_Draft], number_format: str, user_id: int | None, now: datetime
) -> None:
    if not drafts:
        return
    by_series: dict[str, list[_Draft]] = defaultdict(list)
    for draft in drafts:
        by_series[series_of(number_format, draft.issue_date)].append(draft)
    for series in sorted(by_series):
        batch = by_series[series]
        first = take_numbers(session, series, len(batch))
        for offset, draft in enumerate(batch):
            draft.number = format_number(number_format, draft.issue_date, first + offset)
    invoice_rows = (
        session.connection()
        .execute(
            insert(Invoice).returning(Invoice.id, sort_by_parameter_order=True),
            [_invoice_row(d, now) for d in drafts],
        )
        .all()
    )
    for draft, (invoice_id,) in zip(drafts, invoice_rows, strict=True):
        draft.invoice_id = invoice_id
    line_rows = [
        {"invoice_id": d.invoice_id, "position": i + 1, **line}
        for d in drafts
        for i, line in enumerate(d.lines)
    ]
    if line_rows:
        session.connection().execute(insert(InvoiceLine), line_rows)
    _post_exclusive_taxes(session, drafts, user_id, now)
    session.connection().execute(
        update(BillingPeriod)
        .where(BillingPeriod.id == bindparam("pid"))
        .values(invoice_id=bindparam("iid")),
        [{"pid": d.period_id, "iid": d.invoice_id} for d in drafts],
    )
    session.connection().execute(
        insert(OutboxEvent),
        [
            {
                "customer_id": d.customer.id,
                "event_type": "invoice_issued",
                "payload": {
                    "customer_id": d.customer.id,
                    "invoice_id": d.invoice_id,
                    "number": d.number,
                    "currency": d.customer.currency,
                    "amount_due": format_micros(d.amount_due, d.customer.exponent),
                    "due_date": d.due_date.isoformat(),
                },
                "created_at": now,
                "delivered_at": None,
            }
            for d in drafts
        ],
    )


def _invoice_row(d: _Draft, now: datetime) -> dict[str, Any]:
    c = d.customer
    return {
        "number": d.number,
        "customer_id": c.id,
        "billing_period_id": d.period_id,
        "period_start": d.start,
        "period_end": d.end,
        "billing_timezone": c.zone,
        "issue_date": d.issue_date,
        "due_date": d.due_date,
        "currency": c.currency,
        "template": d.template,
        "tax_inclusive": d.inclusive,
        "subtotal_micros": d.subtotal,
        "tax_micros": d.tax_total,
        "total_micros": d.total,
        "previous_balance_micros": d.previous_balance,
        "payments_micros": d.payments,
        "amount_due_micros": d.amount_due,
        "taxes": [
            {"name": t.name, "rate": t.rate, "amount_micros": t.amount_micros} for t in d.taxes
        ],
        "customer_snapshot": {"name": c.name, "email": c.email, "custom_data": c.custom_data},
        "status": "paid" if d.amount_due <= 0 else "issued",
        "paid_at": now if d.amount_due <= 0 else None,
        "created_at": now,
    }


def _post_exclusive_taxes(
    session: Session, drafts: list[_Draft], user_id: int | None, now: datetime
) -> None:
    """Exclusive taxes become ``tax`` entries of the closed period, in the same transaction."""
    entries: list[dict[str, Any]] = []
    balances: list[dict[str, Any]] = []
    for d in drafts:
        if d.inclusive or not d.tax_total:
            continue
        balance = d.customer.balance
        for tax in d.taxes:
            if not tax.amount_micros:
                continue
            balance += tax.amount_micros
            entries.append(
                {
                    "customer_id": d.customer.id,
                    "type": "tax",
                    "amount_micros": tax.amount_micros,
                    "balance_after_micros": balance,
                    "currency": d.customer.currency,
                    "service": None,
                    "visible_comment": f"{tax.name} {tax.rate}% on invoice {d.number}",
                    "internal_comment": "",
                    "user_id": user_id,
                    "billing_period_id": d.period_id,
                    "created_at": now,
                }
            )
        balances.append({"cid": d.customer.id, "delta": balance - d.customer.balance})
        d.customer.balance = balance
    if not entries:
        return
    session.connection().execute(
        update(Customer)
        .where(Customer.id == bindparam("cid"))
        .values(balance_micros=Customer.balance_micros + bindparam("delta")),
        balances,
    )
    session.connection().execute(insert(LedgerEntry), entries)
