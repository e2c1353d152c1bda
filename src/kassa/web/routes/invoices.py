"""Invoices: the list, one invoice in the UI, its HTML document and its PDF."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from kassa.auth.actor import Actor
from kassa.billing import documents, queries
from kassa.core.errors import ValidationFailed
from kassa.core.ids import Id
from kassa.core.vocabulary import InvoiceStatus
from kassa.customers.queries import customer_names, get_customer
from kassa.security_headers import DOCUMENT_HEADERS
from kassa.web import credit_note_view, ledger_view
from kassa.web.forms import FormView, id_filter
from kassa.web.render import render
from kassa.web.routing import web_router
from kassa.web.session import Reader, database

router = web_router()
PAGE_SIZE = 25
STATUSES = (
    (InvoiceStatus.ISSUED, "Issued"),
    (InvoiceStatus.OVERDUE, "Overdue"),
    (InvoiceStatus.PAID, "Paid"),
)


def _status_filter(raw: str) -> str | None:
    raw = raw.strip()
    if raw and raw not in dict(STATUSES):
        raise ValidationFailed.field("status", f"use one of {', '.join(dict(STATUSES))}")
    return raw or None


@router.get("/invoices", response_class=HTMLResponse)
def invoice_list(
    request: Request,
    status: str = "",
    customer_id: str = "",
    cursor: str = "",
    _: Actor = Reader,
) -> Response:
    wanted_status = _status_filter(status)
    wanted_customer = id_filter(customer_id, "customer_id", "must be a customer id")
    with database(request).reading() as session:
        customer = get_customer(session, wanted_customer) if wanted_customer else None
        rows, next_cursor = queries.list_invoices(
            session,
            customer_id=wanted_customer,
            status=wanted_status,
            limit=PAGE_SIZE,
            cursor=cursor or None,
        )
        names = customer_names(session, {r.customer_id for r in rows})
        invoices = [ledger_view.invoice_row(session, r, names.get(r.customer_id)) for r in rows]
    return render(
        request,
        "invoices/list.html",
        {
            "invoices": invoices,
            "statuses": STATUSES,
            "status": status.strip(),
            "customer": customer,
            "customer_id": customer_id.strip(),
            "cursor": cursor,
            "next_cursor": next_cursor,
        },
    )


@router.get("/invoices/{invoice_id:id}", response_class=HTMLResponse)
def invoice_page(request: Request, invoice_id: Id, _: Actor = Reader) -> Response:
    return show_invoice(request, invoice_id)


def show_invoice(
    request: Request,
    invoice_id: int,
    *,
    credit_form: FormView | None = None,
    status_code: int = 200,
) -> Response:
    """The invoice page; the credit note form is shown again with its errors when it failed."""
    with database(request).reading() as session:
        invoice = queries.get_invoice(session, invoice_id)
        out = queries.invoice_out(session, invoice)
        name = customer_names(session, {invoice.customer_id}).get(invoice.customer_id)
        period = ledger_view.period_label(
            invoice.period_start, invoice.period_end, invoice.billing_timezone
        )
        notes = credit_note_view.invoice_credit_notes(session, invoice)
    return render(
        request,
        "invoices/show.html",
        {
            "invoice": out,
            "customer_name": name if name is not None else out.customer_name,
            "period": period,
            "credit_form": credit_form or credit_note_view.blank_form(),
            **notes,
        },
        status_code=status_code,
    )


@router.get("/invoices/{invoice_id:id}/document", response_class=HTMLResponse)
def invoice_document(request: Request, invoice_id: Id, _: Actor = Reader) -> Response:
    settings = request.app.state.settings
    with database(request).reading() as session:
        invoice = queries.get_invoice(session, invoice_id)
        html = documents.render_invoice_html(
            session,
            invoice,
            settings.invoice_templates_dir,
            budget=documents.render_budget(settings),
        )
    return HTMLResponse(
        html,
        headers={**DOCUMENT_HEADERS, "Cache-Control": "no-store"},
    )


@router.get("/invoices/{invoice_id:id}/pdf")
def invoice_pdf(request: Request, invoice_id: Id, _: Actor = Reader) -> Response:
    settings = request.app.state.settings
    filename, pdf = documents.document_pdf(
        database(request),
        invoice_id,
        settings.invoice_templates_dir,
        documents.render_budget(settings),
    )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
