"""Accounts (the network's identities): the list with its identifier search, a customer's
Add account form, each account's page with its Edit form, and Block / Unblock / Close."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from kassa.accounts import queries, service
from kassa.accounts.rules import MAX_SESSIONS, MIN_PASSWORD_LENGTH
from kassa.accounts.schemas import AccountIn, AccountPatch
from kassa.auth import audit
from kassa.auth.actor import Actor
from kassa.core.errors import KassaError
from kassa.core.ids import Id
from kassa.core.vocabulary import AccountAction, AccountStatus
from kassa.customers.queries import customer_names, get_customer
from kassa.db.engine import DbSession
from kassa.db.models import Account, Customer
from kassa.rating.products import product_choices, product_names
from kassa.web.errors import WebProblem, problem_for, problem_for_validation
from kassa.web.forms import FormView, id_filter, text
from kassa.web.render import STATUS_LABELS, humanize, redirect, render
from kassa.web.routing import web_router
from kassa.web.session import (
    CheckedForm,
    CustomerManager,
    Reader,
    database,
    flash,
    flash_refusal,
    passwords,
)

router = web_router()
PAGE_SIZE = 50
# The accounts a customer's page lists before it links to the rest.
CUSTOMER_PAGE_ROWS = 20
AUDIT_ROWS = 20
SHOWN = {"identifier", "product_id", "password", "max_sessions", "clear_password"}
STATUSES = [(s.value, STATUS_LABELS.get(s, s.value)) for s in AccountStatus]
STATUS_MESSAGES = {
    AccountAction.BLOCK: "Account blocked: the network no longer lets it in.",
    AccountAction.UNBLOCK: "Account unblocked.",
    AccountAction.CLOSE: "Account closed.",
}
HELP = {
    "identifier": "What the network names the account by: a phone number (+ and digits) or a "
    "SIP or RADIUS login (letters, digits and . _ @ -). Unique across all customers.",
    "product_id": "What the account is sold: it rates every service the account uses.",
    "max_sessions": f"How many sessions it may hold at once (1 to {MAX_SESSIONS}); "
    "leave empty for no limit.",
    "password": f"For SIP or RADIUS sign-in, at least {MIN_PASSWORD_LENGTH} characters. "
    "Stored hashed; it is never shown again.",
}


def _rows(session: DbSession, accounts: list[Account]) -> list[dict[str, Any]]:
    products = product_names(session, {a.product_id for a in accounts})
    customers = customer_names(session, {a.customer_id for a in accounts})
    return [
        {
            "account": a,
            "product": products.get(a.product_id, f"#{a.product_id}"),
            "customer": customers.get(a.customer_id, f"#{a.customer_id}"),
        }
        for a in accounts
    ]


def customer_accounts(session: DbSession, customer: Customer) -> dict[str, Any]:
    """What the customer page shows of the customer's accounts."""
    accounts, more = queries.list_accounts(
        session, customer_id=customer.id, limit=CUSTOMER_PAGE_ROWS
    )
    return {"accounts": _rows(session, accounts), "more_accounts": more is not None}


@router.get("/accounts", response_class=HTMLResponse)
def account_list(
    request: Request,
    identifier: str = "",
    status: str = "",
    customer_id: str = "",
    cursor: str = "",
    _: Actor = Reader,
) -> Response:
    identifier = identifier.strip()
    error = None
    rows: list[dict[str, Any]] = []
    next_cursor = None
    customer = None
    with database(request).reading() as session:
        try:
            owner = id_filter(customer_id, "customer_id", "is not a customer id")
            if owner is not None:
                customer = get_customer(session, owner)
            accounts, next_cursor = queries.list_accounts(
                session,
                identifier=identifier or None,
                status=status or None,
                customer_id=owner,
                limit=PAGE_SIZE,
                cursor=cursor or None,
            )
            rows = _rows(session, accounts)
        except KassaError as exc:
            error = problem_for(exc).message
    keep = {k: v for k, v in {"identifier": identifier, "status": status}.items() if v}
    if customer is not None:
        keep["customer_id"] = str(customer.id)
    return render(
        request,
        "accounts/list.html",
        {
            "rows": rows,
            "identifier": identifier,
            "status": status,
            "statuses": STATUSES,
            "customer": customer,
            "error": error,
            "keep": keep,
            "cursor": cursor,
            "next_cursor": next_cursor,
        },
        status_code=422 if error else 200,
    )


def _new_page(
    request: Request, customer_id: int, form: FormView, status_code: int = 200
) -> Response:
    with database(request).reading() as session:
        customer = get_customer(session, customer_id)
        products = product_choices(session, customer.currency)
    return render(
        request,
        "accounts/new.html",
        {"customer": customer, "products": products, "form": form, "help": HELP},
        status_code=status_code,
    )


@router.get("/customers/{customer_id:id}/accounts/new", response_class=HTMLResponse)
def new_account_page(request: Request, customer_id: Id, _: Actor = CustomerManager) -> Response:
    return _new_page(request, customer_id, FormView())


def _typed(form: FormData) -> dict[str, Any]:
    """What the user typed, passwords aside: they are never typed back into a form."""
    return {k: text(form, k) for k in ("identifier", "product_id", "max_sessions")}


def _password(form: FormData) -> str | None:
    # Taken as typed: blanks may belong to a password.
    value = form.get("password")
    return value if isinstance(value, str) and value != "" else None


def _problem(error: Exception) -> WebProblem:
    if isinstance(error, ValidationError):
        return problem_for_validation(error)
    assert isinstance(error, KassaError)
    return problem_for(error)


@router.post("/customers/{customer_id:id}/accounts/new", response_class=HTMLResponse)
async def create_account(
    request: Request, customer_id: Id, actor: Actor = CustomerManager, form: FormData = CheckedForm
) -> Response:
    typed = _typed(form)
    work = passwords(request)
    try:
        data = AccountIn.model_validate(
            {
                "identifier": typed["identifier"],
                "product_id": typed["product_id"] or None,
                "max_sessions": typed["max_sessions"] or None,
                "password": _password(form),
            }
        )
        service.check_new_account(data)
        password_hash = await work.hashing.hash(data.password) if data.password else None
        account_id = await work.write(
            lambda s: (
                service.create_account(s, actor, customer_id, data, password_hash=password_hash).id
            )
        )
    except (ValidationError, KassaError) as exc:
        problem = _problem(exc)
        if problem.status in (404, 503):
            raise
        return _new_page(
            request, customer_id, FormView.failed(typed, problem, SHOWN), problem.status
        )
    flash(request, f"Account {typed['identifier']} added.")
    return redirect(f"/accounts/{account_id}")


def _audit_value(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return STATUS_LABELS.get(str(value), str(value))


def _audit_trail(session: DbSession, account_id: int) -> list[dict[str, Any]]:
    trail = []
    for entry, username in audit.latest_entries(session, "account", account_id, AUDIT_ROWS):
        before, after = entry.before or {}, entry.after or {}
        changes = [
            (
                humanize(key.removesuffix("_id")),
                _audit_value(before.get(key)),
                _audit_value(after.get(key)),
            )
            for key in sorted(set(before) | set(after))
            if entry.action != "create"
        ]
        trail.append(
            {
                "when": entry.created_at,
                "who": username or "system",
                "action": humanize(entry.action),
                "changes": changes,
            }
        )
    return trail


def _account_page(
    request: Request, account_id: int, form: FormView | None = None, status_code: int = 200
) -> Response:
    with database(request).reading() as session:
        account = queries.get_account(session, account_id)
        customer = get_customer(session, account.customer_id)
        products = product_choices(session, customer.currency)
        product = product_names(session, {account.product_id}).get(account.product_id)
        trail = _audit_trail(session, account.id)
    values = {
        "identifier": account.identifier,
        "product_id": account.product_id,
        "max_sessions": account.max_sessions or "",
    }
    return render(
        request,
        "accounts/show.html",
        {
            "account": account,
            "customer": customer,
            "product": product,
            "products": products,
            "form": form or FormView(values=values),
            "help": HELP,
            "editable": account.status != AccountStatus.CLOSED,
            "audit": trail,
        },
        status_code=status_code,
    )


@router.get("/accounts/{account_id:id}", response_class=HTMLResponse)
def account_page(request: Request, account_id: Id, _: Actor = Reader) -> Response:
    return _account_page(request, account_id)


@router.post("/accounts/{account_id:id}", response_class=HTMLResponse)
async def update_account(
    request: Request, account_id: Id, actor: Actor = CustomerManager, form: FormData = CheckedForm
) -> Response:
    typed = _typed(form)
    work = passwords(request)
    values: dict[str, Any] = {
        "identifier": typed["identifier"],
        "product_id": typed["product_id"] or None,
        "max_sessions": typed["max_sessions"] or None,
    }
    new_password = _password(form)
    if new_password is not None:
        values["password"] = new_password
    elif text(form, "clear_password") == "1":
        values["password"] = None
    try:
        patch = AccountPatch.model_validate(values)
        service.check_account_patch(patch)
        password_hash = await work.hashing.hash(new_password) if new_password else None
        await work.write(
            lambda s: service.update_account(
                s, actor, account_id, patch, password_hash=password_hash
            )
        )
    except (ValidationError, KassaError) as exc:
        problem = _problem(exc)
        if problem.status in (404, 503):
            raise
        view = FormView.failed(typed, problem, SHOWN)
        return _account_page(request, account_id, view, problem.status)
    flash(request, "Changes saved.")
    return redirect(f"/accounts/{account_id}")


@router.post("/accounts/{account_id:id}/status")
def account_status(
    request: Request, account_id: Id, actor: Actor = CustomerManager, form: FormData = CheckedForm
) -> Response:
    action = text(form, "action")
    try:
        with database(request).transaction() as session:
            service.change_status(session, actor, account_id, action)
    except KassaError as exc:
        flash_refusal(request, exc)
    else:
        flash(request, STATUS_MESSAGES[AccountAction(action)])
    return redirect(f"/accounts/{account_id}")
