"""Reading invoices and billing runs."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kassa.billing.schemas import (
    InvoiceLineOut,
    InvoiceOut,
    InvoiceSummary,
    InvoiceTaxOut,
)
from kassa.billing.units import units_display
from kassa.core.errors import NotFound
from kassa.core.money import format_micros
from kassa.currencies.service import currency_exponent
from kassa.db.models import BillingRun, Customer, Invoice, InvoiceLine
from kassa.db.pagination import paginate


def get_invoice(session: Session, invoice_id: int) -> Invoice:
    invoice = session.get(Invoice, invoice_id)
    if invoice is None:
        raise NotFound(f"invoice {invoice_id} does not exist", code="invoice_not_found")
    return invoice


def invoice_lines(session: Session, invoice_id: int) -> list[InvoiceLine]:
    return invoices_lines(session, [invoice_id])[invoice_id]


def invoices_lines(session: Session, invoice_ids: list[int]) -> dict[int, list[InvoiceLine]]:
    """The lines of each invoice, in order: one query for a whole page of invoices."""
    lines: dict[int, list[InvoiceLine]] = {invoice_id: [] for invoice_id in invoice_ids}
    if invoice_ids:
        rows = session.scalars(
            select(InvoiceLine)
            .where(InvoiceLine.invoice_id.in_(invoice_ids))
            .order_by(InvoiceLine.invoice_id, InvoiceLine.position)
        )
        for line in rows:
            lines[line.invoice_id].append(line)
    return lines


def invoice_out(session: Session, invoice: Invoice) -> InvoiceOut:
    return invoices_out(session, [invoice])[0]


def invoices_out(session: Session, invoices: list[Invoice]) -> list[InvoiceOut]:
    lines = invoices_lines(session, [invoice.id for invoice in invoices])
    return [_invoice_out(session, invoice, lines[invoice.id]) for invoice in invoices]


def _invoice_out(session: Session, invoice: Invoice, lines: list[InvoiceLine]) -> InvoiceOut:
    exp = currency_exponent(session, invoice.currency)

    def money(micros: int) -> str:
        return format_micros(micros, exp)

    return InvoiceOut(
        id=invoice.id,
        number=invoice.number,
        customer_id=invoice.customer_id,
        customer_name=str(invoice.customer_snapshot.get("name", "")),
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        billing_timezone=invoice.billing_timezone,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        currency=invoice.currency,
        lines=[
            InvoiceLineOut(
                description=line.description,
                service=line.service,
                entry_type=line.entry_type,
                quantity=line.quantity,
                amount=money(line.amount_micros),
                units=line.units,
                unit=line.unit,
                units_display=units_display(line.units, line.unit),
                destination_prefix=line.destination_prefix,
            )
            for line in lines
        ],
        subtotal=money(invoice.subtotal_micros),
        taxes=[
            InvoiceTaxOut(name=t["name"], rate=t["rate"], amount=money(int(t["amount_micros"])))
            for t in invoice.taxes
        ],
        tax_inclusive=invoice.tax_inclusive,
        total=money(invoice.total_micros),
        previous_balance=money(invoice.previous_balance_micros),
        payments=money(invoice.payments_micros),
        amount_due=money(invoice.amount_due_micros),
        status=invoice.status,
        paid_at=invoice.paid_at,
        created_at=invoice.created_at,
    )


def invoice_summary(session: Session, invoice: Invoice) -> InvoiceSummary:
    exp = currency_exponent(session, invoice.currency)
    return InvoiceSummary(
        id=invoice.id,
        number=invoice.number,
        customer_id=invoice.customer_id,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        currency=invoice.currency,
        total=format_micros(invoice.total_micros, exp),
        amount_due=format_micros(invoice.amount_due_micros, exp),
        status=invoice.status,
    )


def list_invoices(
    session: Session,
    *,
    customer_id: int | None = None,
    status: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> tuple[list[Invoice], str | None]:
    """Newest first."""
    if customer_id is not None and session.get(Customer, customer_id) is None:
        raise NotFound(f"customer {customer_id} does not exist", code="customer_not_found")
    stmt = select(Invoice)
    if customer_id is not None:
        stmt = stmt.where(Invoice.customer_id == customer_id)
    if status:
        stmt = stmt.where(Invoice.status == status)
    return paginate(session, stmt, Invoice.id, limit=limit, cursor=cursor, descending=True)


def list_billing_runs(
    session: Session, *, limit: int | None, cursor: str | None, newest_first: bool = False
) -> tuple[list[BillingRun], str | None]:
    return paginate(
        session,
        select(BillingRun),
        BillingRun.id,
        limit=limit,
        cursor=cursor,
        descending=newest_first,
    )
