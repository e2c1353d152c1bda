"""Billing runs and invoices."""

from __future__ import annotations

from datetime import datetime

from fastapi import Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from kassa.api.deps import Reader, database, require
from kassa.api.documents import html_document, html_responses, pdf_document, pdf_responses
from kassa.api.routing import api_router
from kassa.auth.actor import Actor, Permission
from kassa.billing import documents, queries, runs
from kassa.billing.run_status import shown_status
from kassa.billing.schemas import (
    BillingRunIn,
    BillingRunOut,
    BillingRunPage,
    InvoiceOut,
    InvoicePage,
)
from kassa.core.clock import utcnow
from kassa.core.ids import Id
from kassa.core.vocabulary import BillingRunTrigger, InvoiceStatus
from kassa.db.engine import Database
from kassa.db.models import BillingRun

router = api_router(tags=["billing"])
Biller = Depends(require(Permission.MOVE_MONEY))


def _run_out(run: BillingRun, now: datetime) -> BillingRunOut:
    return BillingRunOut(
        id=run.id,
        as_of=run.as_of,
        status=shown_status(run, now),
        triggered_by=run.triggered_by,
        periods_closed=run.periods_closed,
        invoices_issued=run.invoices_issued,
        customers_total=run.customers_total,
        customers_done=run.customers_done,
        invoices_overdue=run.invoices_overdue,
        customers_suspended=run.customers_suspended,
        error=run.error,
        started_at=run.started_at,
        finished_at=run.finished_at,
    )


def _read_run(db: Database, run_id: int) -> BillingRunOut:
    with db.reading() as session:
        return _run_out(runs.get_run(session, run_id), utcnow())


@router.post(
    "/billing-runs",
    response_model=BillingRunOut,
    status_code=201,
    responses={
        202: {"model": BillingRunOut, "description": "Started; carried on in the background"}
    },
)
def start_billing_run(
    request: Request,
    response: Response,
    body: BillingRunIn | None = None,
    actor: Actor = Biller,
    db: Database = Depends(database),
) -> BillingRunOut:
    settings = request.app.state.settings
    body = body or BillingRunIn()
    run = runs.start_run(
        db,
        actor,
        body.as_of,
        triggered_by=BillingRunTrigger.API,
        number_format=settings.invoice_number_format,
        horizon_days=settings.billing_horizon_days,
        lease_seconds=settings.billing_run_lease_seconds,
    )
    if not body.wait:
        # Read before the work starts: the answer shows the run as it began, running.
        started = _read_run(db, run.id)
        request.app.state.background_runs.launch(run)
        response.status_code = 202
        response.headers["Location"] = f"{request.url.path}/{run.id}"
        return started
    runs.carry_out(db, run)
    return _read_run(db, run.id)


@router.get("/billing-runs", response_model=BillingRunPage)
def list_billing_runs(
    limit: int | None = Query(default=None),
    cursor: str | None = Query(default=None),
    _: Actor = Reader,
    db: Database = Depends(database),
) -> BillingRunPage:
    now = utcnow()
    with db.reading() as session:
        rows, next_cursor = queries.list_billing_runs(session, limit=limit, cursor=cursor)
        return BillingRunPage(items=[_run_out(r, now) for r in rows], next_cursor=next_cursor)


@router.get("/billing-runs/{run_id}", response_model=BillingRunOut)
def get_billing_run(
    run_id: Id, _: Actor = Reader, db: Database = Depends(database)
) -> BillingRunOut:
    return _read_run(db, run_id)


@router.get("/customers/{customer_id}/invoices", response_model=InvoicePage)
def list_customer_invoices(
    customer_id: Id,
    status: InvoiceStatus | None = Query(default=None),
    limit: int | None = Query(default=None),
    cursor: str | None = Query(default=None),
    _: Actor = Reader,
    db: Database = Depends(database),
) -> InvoicePage:
    with db.reading() as session:
        rows, next_cursor = queries.list_invoices(
            session, customer_id=customer_id, status=status, limit=limit, cursor=cursor
        )
        return InvoicePage(items=queries.invoices_out(session, rows), next_cursor=next_cursor)


@router.get("/invoices", response_model=InvoicePage)
def list_invoices(
    status: InvoiceStatus | None = Query(default=None),
    limit: int | None = Query(default=None),
    cursor: str | None = Query(default=None),
    _: Actor = Reader,
    db: Database = Depends(database),
) -> InvoicePage:
    with db.reading() as session:
        rows, next_cursor = queries.list_invoices(
            session, status=status, limit=limit, cursor=cursor
        )
        return InvoicePage(items=queries.invoices_out(session, rows), next_cursor=next_cursor)


# Declared before /invoices/{invoice_id}, which would otherwise take "7.pdf" for an id.
@router.get(
    "/invoices/{invoice_id}.html",
    response_class=HTMLResponse,
    responses=html_responses("invoice"),
)
def get_invoice_html(
    invoice_id: Id, request: Request, _: Actor = Reader, db: Database = Depends(database)
) -> HTMLResponse:
    with db.reading() as session:
        invoice = queries.get_invoice(session, invoice_id)
        settings = request.app.state.settings
        html = documents.render_invoice_html(
            session,
            invoice,
            settings.invoice_templates_dir,
            budget=documents.render_budget(settings),
        )
    return html_document(html)


@router.get(
    "/invoices/{invoice_id}.pdf",
    response_class=Response,
    responses=pdf_responses("invoice"),
)
def get_invoice_pdf(
    invoice_id: Id, request: Request, _: Actor = Reader, db: Database = Depends(database)
) -> Response:
    settings = request.app.state.settings
    filename, pdf = documents.document_pdf(
        db, invoice_id, settings.invoice_templates_dir, documents.render_budget(settings)
    )
    return pdf_document(filename, pdf)


@router.get("/invoices/{invoice_id}", response_model=InvoiceOut)
def get_invoice(invoice_id: Id, _: Actor = Reader, db: Database = Depends(database)) -> InvoiceOut:
    with db.reading() as session:
        return queries.invoice_out(session, queries.get_invoice(session, invoice_id))
