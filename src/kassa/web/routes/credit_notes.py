"""Credit notes on the invoice page: Issue credit note, each note's HTML and PDF, and Send
again for the invoice's email."""

from __future__ import annotations

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from kassa.auth.actor import Actor, Permission
from kassa.billing import credit_note_documents, credit_notes, documents
from kassa.billing.credit_note_schemas import CreditNoteIn, CreditNoteOut
from kassa.core.errors import KassaError
from kassa.core.ids import Id
from kassa.db.engine import Database, DbSession
from kassa.ledger import idempotency
from kassa.notifications.resend import queue_invoice_email
from kassa.security_headers import DOCUMENT_HEADERS
from kassa.web import credit_note_view
from kassa.web.errors import WebProblem, problem_for, problem_for_validation
from kassa.web.forms import FormView
from kassa.web.render import money, redirect
from kassa.web.routes.invoices import show_invoice
from kassa.web.routing import web_router
from kassa.web.session import (
    CheckedForm,
    CustomerManager,
    Reader,
    database,
    flash,
    flash_refusal,
    require,
)

router = web_router()
MoneyMover = Depends(require(Permission.MOVE_MONEY))
# Web form keys live beside API Idempotency-Keys of the same user; the prefix keeps them apart.
KEY_PREFIX = "web-form:"


def _issue_once(
    request: Request, db: Database, actor: Actor, invoice_id: int, data: CreditNoteIn, form_key: str
) -> CreditNoteOut:
    """Issue the note, or, for a form sent twice, answer with what the first did."""
    number_format = request.app.state.settings.credit_note_number_format

    def work(session: DbSession) -> CreditNoteOut:
        return credit_notes.issue_credit_note(
            session, actor, invoice_id, data, number_format=number_format
        )

    if not form_key or actor.user_id is None:
        with credit_notes.open_unit(db) as session:
            return work(session)
    request_hash = idempotency.fingerprint(
        "POST", request.url.path, data.model_dump_json().encode()
    )
    key = idempotency.check_key(f"{KEY_PREFIX}{form_key[:64]}:{request_hash[:16]}")
    answer, _ = idempotency.answer_once(
        db,
        actor.user_id,
        key,
        request_hash,
        lambda session: work(session).model_dump_json(),
        open_unit=credit_notes.open_unit,
        status=201,
    )
    return CreditNoteOut.model_validate_json(answer.body)


@router.post("/invoices/{invoice_id:id}/credit-notes", response_class=HTMLResponse)
def issue_credit_note(
    request: Request,
    invoice_id: Id,
    actor: Actor = MoneyMover,
    form: FormData = CheckedForm,
) -> Response:
    db = database(request)
    values = credit_note_view.form_values(form)
    body, renames = credit_note_view.note_body(values)
    problem: WebProblem
    try:
        data = CreditNoteIn.model_validate(body)
        note = _issue_once(request, db, actor, invoice_id, data, values["form_key"])
    except ValidationError as exc:
        problem = problem_for_validation(exc, renames)
    except KassaError as exc:
        problem = problem_for(exc, renames)
        if problem.status == 404:
            raise
    else:
        flash(
            request,
            f"Credit note {note.number} issued: {money(note.total)} {note.currency} credited "
            "to the customer.",
        )
        return redirect(f"/invoices/{invoice_id}#credit-notes")
    if problem.fields:
        view = FormView.failed(values, problem, credit_note_view.FORM_FIELDS)
    else:
        flash(request, problem.message, "error")
        view = FormView(values=values)
    return show_invoice(request, invoice_id, credit_form=view, status_code=problem.status)


@router.post("/invoices/{invoice_id:id}/send")
def send_invoice(
    request: Request,
    invoice_id: Id,
    actor: Actor = CustomerManager,
    form: FormData = CheckedForm,
) -> Response:
    settings = request.app.state.settings
    try:
        with database(request).transaction() as session:
            queued = queue_invoice_email(
                session, actor, invoice_id, email_enabled=settings.smtp_host is not None
            )
    except KassaError as exc:
        if exc.http_status == 404:
            raise
        flash_refusal(request, exc)
    else:
        flash(request, f"Invoice {queued.number} will be emailed to {queued.email} again.")
    return redirect(f"/invoices/{invoice_id}")


@router.get("/credit-notes/{credit_note_id:id}/document", response_class=HTMLResponse)
def credit_note_document(request: Request, credit_note_id: Id, _: Actor = Reader) -> Response:
    settings = request.app.state.settings
    with database(request).reading() as session:
        note = credit_notes.get_credit_note(session, credit_note_id)
        html = credit_note_documents.render_credit_note_html(
            session,
            note,
            settings.invoice_templates_dir,
            budget=documents.render_budget(settings),
        )
    return HTMLResponse(html, headers={**DOCUMENT_HEADERS, "Cache-Control": "no-store"})


@router.get("/credit-notes/{credit_note_id:id}/pdf")
def credit_note_pdf(request: Request, credit_note_id: Id, _: Actor = Reader) -> Response:
    settings = request.app.state.settings
    filename, pdf = credit_note_documents.document_pdf(
        database(request),
        credit_note_id,
        settings.invoice_templates_dir,
        documents.render_budget(settings),
    )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
