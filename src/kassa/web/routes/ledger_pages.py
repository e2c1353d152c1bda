"""Money on the customer page: Make a transaction, and Release of an open reservation."""

from __future__ import annotations

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from kassa.auth.actor import Actor, Permission
from kassa.billing import postings
from kassa.core.errors import KassaError, NotFound
from kassa.core.ids import Id
from kassa.core.vocabulary import BalanceControl
from kassa.customers import queries
from kassa.customers.views import customer_view
from kassa.db.engine import Database, DbSession
from kassa.ledger import authorization_queries, authorizations, idempotency
from kassa.ledger.schemas import TransactionIn, TransactionOut
from kassa.web import ledger_view
from kassa.web.errors import WebProblem, problem_for, problem_for_validation
from kassa.web.forms import FormView
from kassa.web.render import money, redirect
from kassa.web.routes.customer_pages import show_customer
from kassa.web.routing import web_router
from kassa.web.session import CheckedForm, database, flash, flash_refusal, require

router = web_router()
MoneyMover = Depends(require(Permission.MOVE_MONEY))
Authorizer = Depends(require(Permission.AUTHORIZE))
# Web form keys live beside API Idempotency-Keys of the same user; the prefix keeps them apart.
KEY_PREFIX = "web-form:"


def _new_balance(session: DbSession, customer_id: int) -> str:
    customer = queries.get_customer(session, customer_id)
    out = customer_view(session, customer)
    if out.balance_control == BalanceControl.PREPAID and out.available_funds is not None:
        return f"Available funds are now {money(out.available_funds)} {out.currency}."
    return f"Balance owed is now {money(out.balance)} {out.currency}."


def _post_once(
    db: Database, actor: Actor, customer_id: int, data: TransactionIn, form_key: str, path: str
) -> tuple[TransactionOut, str]:
    """Post the transaction, or, for a form sent twice, answer with what the first post did."""
    if not form_key or actor.user_id is None:
        with postings.open_unit(db) as session:
            out = postings.post_transaction(session, actor, customer_id, data)
            return out, _new_balance(session, customer_id)
    request_hash = idempotency.fingerprint("POST", path, data.model_dump_json().encode())
    # The same form sent again with other values (after Back, say) is a new transaction.
    key = idempotency.check_key(f"{KEY_PREFIX}{form_key[:64]}:{request_hash[:16]}")
    user_id = actor.user_id

    def work(session: DbSession) -> str:
        return postings.post_transaction(session, actor, customer_id, data).model_dump_json()

    answer, _ = idempotency.answer_once(
        db, user_id, key, request_hash, work, open_unit=postings.open_unit, status=201
    )
    with db.reading() as session:
        return TransactionOut.model_validate_json(answer.body), _new_balance(session, customer_id)


@router.post("/customers/{customer_id:id}/transactions", response_class=HTMLResponse)
def make_transaction(
    request: Request,
    customer_id: Id,
    actor: Actor = MoneyMover,
    form: FormData = CheckedForm,
) -> Response:
    db = database(request)
    values = ledger_view.form_values(form)
    body = ledger_view.transaction_body(values)
    problem: WebProblem
    if isinstance(body, WebProblem):
        problem = body
    else:
        try:
            data = TransactionIn.model_validate(body)
            out, balance = _post_once(
                db, actor, customer_id, data, values["form_key"], request.url.path
            )
        except ValidationError as exc:
            problem = problem_for_validation(exc)
        except KassaError as exc:
            problem = problem_for(exc)
            if problem.status == 404:
                raise
        else:
            label = ledger_view.TYPE_LABELS.get(out.type, out.type)
            flash(request, f"{label} of {money(out.amount)} {out.currency} saved. {balance}")
            return redirect(f"/customers/{customer_id}#history")
    if problem.fields:
        view = FormView.failed(values, problem, ledger_view.FORM_FIELDS)
    else:
        # Not about a field (a closed customer, say): said at the top, where the page shows it
        # even when the form is no longer offered.
        flash(request, problem.message, "error")
        view = FormView(values=values)
    return show_customer(request, customer_id, transaction_form=view, status_code=problem.status)


@router.post("/customers/{customer_id:id}/reservations/{authorization_id:id}/release")
def release_reservation(
    request: Request,
    customer_id: Id,
    authorization_id: Id,
    actor: Actor = Authorizer,
    form: FormData = CheckedForm,
) -> Response:
    db = database(request)
    with db.reading() as session:
        queries.get_customer(session, customer_id)
        view = authorization_queries.get_authorization(session, authorization_id)
        if view.row.customer_id != customer_id:
            raise NotFound(
                f"authorization {authorization_id} does not exist",
                code="authorization_not_found",
            )
    try:
        with authorizations.open_unit(db) as connection:
            authorizations.release(connection, actor, authorization_id)
    except KassaError as exc:
        flash_refusal(request, exc)
    else:
        flash(request, f"Reservation #{authorization_id} released: its funds are free again.")
    return redirect(f"/customers/{customer_id}#reservations")
