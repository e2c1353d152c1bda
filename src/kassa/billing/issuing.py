"""Invoices from closed periods: the draft of each (lines, taxes, amounts), then the invoices
issued together: numbered, inserted with their lines and an ``invoice_issued`` event for each,
and their exclusive taxes as entries for the ledger.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kassa.billing.destinations import usage_description
from kassa.billing.drafts import Draft, DueCustomer, Line, Sums
from kassa.billing.numbering import format_number, series_of, take_numbers
from kassa.billing.taxes import compute_taxes
from kassa.core.money import MICRO_EXPONENT, format_micros, round_micros
from kassa.core.vocabulary import EntryType, InvoiceStatus
from kassa.db.fast.bulk import among, insert_many, insert_tuples
from kassa.db.models import BillingPeriod, CustomerClass, Invoice, InvoiceLine
from kassa.events.outbox import Event, emit_many
from kassa.ledger.entries import NewEntry

# What an invoice line's description holds (invoice_lines.description).
DESCRIPTION_LENGTH = 200

CREDIT_TYPES = (EntryType.PAYMENT,)
ENTRY_LABELS: dict[str, str] = {
    EntryType.USAGE: "usage",
    EntryType.MANUAL_CHARGE: "Charges",
    EntryType.REFUND: "Refunds",
    EntryType.MANUAL_CREDIT: "Credits",
    EntryType.PROMOTIONAL_CREDIT: "Promotional credits",
}
# An invoice line's columns: its invoice's id, then a Line's values.
MONEY_LINE_COLUMNS = (
    "invoice_id",
    "position",
    "description",
    "service",
    "entry_type",
    "quantity",
    "amount_micros",
)
LINE_COLUMNS = (*MONEY_LINE_COLUMNS, "units", "unit", "destination_prefix")


@lru_cache(maxsize=1024)
def line_description(service: str | None, entry_type: str) -> str:
    label = ENTRY_LABELS.get(entry_type, entry_type.replace("_", " ").capitalize())
    if entry_type == EntryType.USAGE:
        return f"{(service or 'Service').replace('_', ' ').capitalize()} usage"
    return f"{label} ({service.replace('_', ' ')})" if service else label


def draft(
    customer: DueCustomer,
    cls: CustomerClass,
    period_id: int,
    rows: list[Sums],
    opening: int,
) -> Draft:
    exponent = customer.exponent
    step = 10 ** max(MICRO_EXPONENT - exponent, 0)
    lines: list[Line] = []
    payments = subtotal = 0
    for service, entry_type, count, total, units, unit, prefix, rate_description in rows:
        if entry_type in CREDIT_TYPES:
            payments -= total
        elif entry_type != EntryType.TAX:
            # Most sums are whole cents already; only the others need rounding.
            amount = total if total % step == 0 else round_micros(total, exponent)
            subtotal += amount
            description = line_description(service, entry_type)
            if prefix is not None:
                description = usage_description(description, prefix, rate_description)
            elif entry_type == EntryType.SUBSCRIPTION and rate_description:
                description = rate_description[:DESCRIPTION_LENGTH]
            if units is None and prefix is None:
                lines.append((len(lines) + 1, description, service, entry_type, count, amount))
            else:
                lines.append(
                    (
                        len(lines) + 1,
                        description,
                        service,
                        entry_type,
                        count,
                        amount,
                        units,
                        unit,
                        prefix,
                    )
                )
    taxes = compute_taxes(subtotal, cls.taxes, inclusive=cls.tax_inclusive, exponent=exponent)
    tax_total = sum(t.amount_micros for t in taxes)
    total = subtotal if cls.tax_inclusive else subtotal + tax_total
    previous = round_micros(opening, exponent)
    payments = round_micros(payments, exponent)
    zone = ZoneInfo(customer.zone)
    issue_date = customer.end.astimezone(zone).date()
    return Draft(
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


def issue(
    session: Session, drafts: list[Draft], number_format: str, user_id: int | None, now: datetime
) -> list[NewEntry]:
    """Number and insert the invoices; returns their exclusive taxes' entries, for the caller to
    post to the ledger."""
    if not drafts:
        return []
    by_series: dict[str, list[Draft]] = defaultdict(list)
    for draft in drafts:
        by_series[series_of(number_format, draft.issue_date)].append(draft)
    for series in sorted(by_series):
        batch = by_series[series]
        first = take_numbers(session, series, len(batch))
        for offset, draft in enumerate(batch):
            draft.number = format_number(number_format, draft.issue_date, first + offset)
    # A plain executemany, then the ids by their periods (unique per invoice): cheaper on both
    # databases than an INSERT ... RETURNING of many rows.
    insert_many(session, Invoice, [_invoice_row(d, now) for d in drafts])
    invoice_of = dict(
        session.connection()
        .execute(
            select(Invoice.billing_period_id, Invoice.id).where(
                among(session, Invoice.billing_period_id, [d.period_id for d in drafts])
            )
        )
        .all()
    )
    for draft in drafts:
        draft.invoice_id = invoice_of[draft.period_id]
    rows = [(d.invoice_id, *line) for d in drafts for line in d.lines]
    # Lines of money are inserted without the columns of rated usage: binding their three
    # nulls would cost as much again as the rest of such a line.
    money = len(MONEY_LINE_COLUMNS)
    insert_tuples(session, InvoiceLine, MONEY_LINE_COLUMNS, [r for r in rows if len(r) == money])
    insert_tuples(session, InvoiceLine, LINE_COLUMNS, [r for r in rows if len(r) != money])
    session.connection().execute(
        update(BillingPeriod)
        .where(among(session, BillingPeriod.id, [d.period_id for d in drafts]))
        .values(
            invoice_id=select(Invoice.id)
            .where(Invoice.billing_period_id == BillingPeriod.id)
            .scalar_subquery()
        )
    )
    emit_many(
        session,
        [
            Event(
                "invoice_issued",
                d.customer.id,
                {
                    "customer_id": d.customer.id,
                    "invoice_id": d.invoice_id,
                    "number": d.number,
                    "currency": d.customer.currency,
                    "amount_due": format_micros(d.amount_due, d.customer.exponent),
                    "due_date": d.due_date.isoformat(),
                },
            )
            for d in drafts
        ],
        created_at=now,
    )
    return _tax_entries(drafts, user_id)


def _invoice_row(d: Draft, now: datetime) -> dict[str, Any]:
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
        "status": InvoiceStatus.PAID if d.amount_due <= 0 else InvoiceStatus.ISSUED,
        "paid_at": now if d.amount_due <= 0 else None,
        "created_at": now,
    }


def _tax_entries(drafts: list[Draft], user_id: int | None) -> list[NewEntry]:
    """Exclusive taxes become ``tax`` entries of the closed period, for the caller to post in
    the same transaction."""
    entries: list[NewEntry] = []
    for d in drafts:
        if d.inclusive or not d.tax_total:
            continue
        for tax in d.taxes:
            if not tax.amount_micros:
                continue
            entries.append(
                NewEntry(
                    customer_id=d.customer.id,
                    entry_type=EntryType.TAX,
                    amount_micros=tax.amount_micros,
                    currency=d.customer.currency,
                    exponent=d.customer.exponent,
                    visible_comment=f"{tax.name} {tax.rate}% on invoice {d.number}",
                    user_id=user_id,
                    billing_period_id=d.period_id,
                )
            )
    return entries
