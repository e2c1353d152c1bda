"""Credit notes of invoices, their documents, and sending an invoice's email again."""

from __future__ import annotations

from fastapi import Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from kassa.api.deps import CustomerManager, Reader, database, require
from kassa.api.documents import html_document, html_responses, pdf_document, pdf_responses
from kassa.api.idempotency import money_call
from kassa.api.routers.ledger import IDEMPOTENCY_DOC
from kassa.api.routing import api_router
from kassa.auth.actor import Actor, Permission
from kassa.billing import credit_note_documents, credit_notes, documents
from kassa.billing.credit_note_schemas import CreditNoteIn, CreditNoteOut, CreditNotePage
from kassa.core.ids import Id
from kassa.db.engine import Database, DbSession
from kassa.notifications.resend import queue_invoice_email
from kassa.notifications.schemas import InvoiceEmailQueued

router = api_router(tags=["credit notes"])
MoneyMover = Depends(require(Permission.MOVE_MONEY))


@router.post(
    "/invoices/{invoice_id}/credit-notes",
    response_model=CreditNoteOut,
    status_code=201,
    openapi_extra=IDEMPOTENCY_DOC,
)
def issue_credit_note(
    invoice_id: Id,
    body: CreditNoteIn,
    request: Request,
    actor: Actor = MoneyMover,
    db: Database = Depends(database),
) -> Response:
    number_format = request.app.state.settings.credit_note_number_format

    def work(session: DbSession) -> BaseModel:
        return credit_notes.issue_credit_note(
            session, actor, invoice_id, body, number_format=number_format
        )

    return money_call(request, db, actor, credit_notes.open_unit, work, body=body, status_code=201)


@router.get("/invoices/{invoice_id}/credit-notes", response_model=CreditNotePage)
def list_invoice_credit_notes(
    invoice_id: Id,
    limit: int | None = Query(default=None),
    cursor: str | None = Query(default=None),
    _: Actor = Reader,
    db: Database = Depends(database),
) -> CreditNotePage:
    with db.reading() as session:
        rows, next_cursor = credit_notes.list_credit_notes(
            session, invoice_id=invoice_id, limit=limit, cursor=cursor
        )
        return CreditNotePage(
            items=credit_notes.credit_notes_out(session, rows), next_cursor=next_cursor
        )


@router.get("/customers/{customer_id}/credit-notes", response_model=CreditNotePage)
def list_customer_credit_notes(
    customer_id: Id,
    limit: int | None = Query(default=None),
    cursor: str | None = Query(default=None),
    _: Actor = Reader,
    db: Database = Depends(database),
) -> CreditNotePage:
    with db.reading() as session:
        rows, next_cursor = credit_notes.list_credit_notes(
            session, customer_id=customer_id, limit=limit, cursor=cursor
        )
        return CreditNotePage(
            items=credit_notes.credit_notes_out(session, rows), next_cursor=next_cursor
        )


# Declared before /credit-notes/{credit_note_id}, which would otherwise take "7.pdf" for an id.
@router.get(
    "/credit-notes/{credit_note_id}.html",
    response_class=HTMLResponse,
    responses=html_responses("credit note"),
)
def get_credit_note_html(
    credit_note_id: Id, request: Request, _: Actor = Reader, db: Database = Depends(database)
) -> HTMLResponse:
    settings = request.app.state.settings
    with db.reading() as session:
        note = credit_notes.get_credit_note(session, credit_note_id)
        html = credit_note_documents.render_credit_note_html(
            session,
            note,
            settings.invoice_templates_dir,
            budget=documents.render_budget(settings),
        )
    return html_document(html)


@router.get(
    "/credit-notes/{credit_note_id}.pdf",
    response_class=Response,
    responses=pdf_responses("credit note"),
)
def get_credit_note_pdf(
    credit_note_id: Id, request: Request, _: Actor = Reader, db: Database = Depends(database)
) -> Response:
    settings = request.app.state.settings
    filename, pdf = credit_note_documents.document_pdf(
        db, credit_note_id, settings.invoice_templates_dir, documents.render_budget(settings)
    )
    return pdf_document(filename, pdf)


@router.get("/credit-notes/{credit_note_id}", response_model=CreditNoteOut)
def get_credit_note(
    credit_note_id: Id, _: Actor = Reader, db: Database = Depends(database)
) -> CreditNoteOut:
    with db.reading() as session:
        return credit_notes.credit_note_out(
            session, credit_notes.get_credit_note(session, credit_note_id)
        )


@router.post(
    "/invoices/{invoice_id}/send",
    response_model=InvoiceEmailQueued,
    status_code=202,
    tags=["billing"],
)
def send_invoice(
    invoice_id: Id,
    request: Request,
    actor: Actor = CustomerManager,
    db: Database = Depends(database),
) -> InvoiceEmailQueued:
    settings = request.app.state.settings
    with db.transaction() as session:
        return queue_invoice_email(
            session, actor, invoice_id, email_enabled=settings.smtp_host is not None
        )
