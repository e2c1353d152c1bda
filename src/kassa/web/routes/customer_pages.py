"""One customer: its page, its Edit form, and Block / Unblock / Close."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from kassa.auth import audit
from kassa.auth.actor import Actor
from kassa.business_models.service import get_business_model
from kassa.core.errors import KassaError
from kassa.core.ids import Id
from kassa.core.money import format_micros
from kassa.core.vocabulary import CustomerAction, CustomerStatus, FieldType
from kassa.currencies.service import currency_exponent
from kassa.customer_classes.service import enabled_fields, get_customer_class
from kassa.customers import queries
from kassa.customers.service import change_status, update_customer
from kassa.customers.views import customer_view
from kassa.db.engine import DbSession
from kassa.db.models import Customer
from kassa.web import credit_note_view, ledger_view
from kassa.web import customer_form as cf
from kassa.web.errors import WebProblem, problem_for, problem_for_validation
from kassa.web.forms import FormView, text, typed_values
from kassa.web.render import STATUS_LABELS, humanize, redirect, render
from kassa.web.routes.accounts import customer_accounts
from kassa.web.routing import web_router
from kassa.web.session import CheckedForm, CustomerManager, Reader, database, flash, flash_refusal
from kassa.web.subscription_view import customer_subscriptions

router = web_router()
AUDIT_ROWS = 20
STATUS_ACTIONS: dict[str, tuple[CustomerStatus, str]] = {
    CustomerAction.BLOCK: (
        CustomerStatus.BLOCKED,
        "Customer blocked: they can no longer use services.",
    ),
    CustomerAction.UNBLOCK: (CustomerStatus.ACTIVE, "Customer unblocked."),
    CustomerAction.CLOSE: (CustomerStatus.CLOSED, "Customer closed."),
}
EDIT_FIELDS = (
    "name",
    "credit_limit",
    "business_model_id",
    "customer_class_id",
    "billing_period",
    "billing_timezone",
    "email",
)


def _audit_value(key: str, value: Any, exponent: int) -> str:
    if value is None or value == "":
        return "—"
    if key.endswith("_micros") and isinstance(value, int):
        return format_micros(value, exponent)
    if key == "status":
        return STATUS_LABELS.get(str(value), str(value))
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items()) or "—"
    return str(value)


def _audit_trail(session: DbSession, customer: Customer, exponent: int) -> list[dict[str, Any]]:
    trail = []
    for entry, username in audit.latest_entries(session, "customer", customer.id, AUDIT_ROWS):
        before, after = entry.before or {}, entry.after or {}
        changes = []
        if entry.action != "create":
            for key in sorted(set(before) | set(after)):
                label = humanize(key.removesuffix("_micros").removesuffix("_id"))
                changes.append(
                    (
                        label,
                        _audit_value(key, before.get(key), exponent),
                        _audit_value(key, after.get(key), exponent),
                    )
                )
        trail.append(
            {
                "when": entry.created_at,
                "who": username or "system",
                "action": humanize(entry.action),
                "changes": changes,
            }
        )
    return trail


def _custom_rows(session: DbSession, customer: Customer) -> list[dict[str, Any]]:
    fields = enabled_fields(session, get_customer_class(session, customer.customer_class_id))
    data = dict(customer.custom_data or {})
    rows = []
    for field, mandatory in fields:
        value = data.pop(field.name, None)
        if field.type == FieldType.LIST:
            labels = {o["value"]: o["label"] for o in field.options or []}
            value = labels.get(value, value)
        rows.append(
            {
                "label": field.label,
                "value": value,
                "mandatory": mandatory,
                "personal": field.personal_data,
            }
        )
    # Data kept from an earlier class stays visible rather than silently hidden.
    for name, value in data.items():
        rows.append({"label": name, "value": value, "mandatory": False, "personal": False})
    return rows


def show_customer(
    request: Request,
    customer_id: int,
    *,
    history_cursor: str = "",
    transaction_form: FormView | None = None,
    subscribe_form: FormView | None = None,
    status_code: int = 200,
) -> Response:
    """The customer page; the transaction or subscribe form is shown again with its errors when
    it failed."""
    with database(request).reading() as session:
        customer = queries.get_customer(session, customer_id)
        exponent = currency_exponent(session, customer.currency)
        context = {
            "customer": customer_view(session, customer),
            "stored_status": customer.status,
            "business_model": get_business_model(session, customer.business_model_id),
            "customer_class": get_customer_class(session, customer.customer_class_id),
            "custom_rows": _custom_rows(session, customer),
            "audit": _audit_trail(session, customer, exponent),
            "periods": dict(cf.BILLING_PERIODS),
            "tx_form": transaction_form or ledger_view.blank_form(),
        }
        context.update(ledger_view.money_context(session, customer, exponent, history_cursor))
        context.update(customer_accounts(session, customer))
        notes, more_notes = credit_note_view.customer_credit_notes(session, customer)
        context.update(credit_notes=notes, more_credit_notes=more_notes)
        context.update(customer_subscriptions(request, session, customer, subscribe_form))
    return render(request, "customers/show.html", context, status_code=status_code)


@router.get("/customers/{customer_id:id}", response_class=HTMLResponse)
def customer_page(request: Request, customer_id: Id, tx: str = "", _: Actor = Reader) -> Response:
    return show_customer(request, customer_id, history_cursor=tx)


def _edit_page(
    request: Request, customer_id: int, form: FormView, status_code: int = 200
) -> Response:
    with database(request).reading() as session:
        customer = queries.get_customer(session, customer_id)
        out = customer_view(session, customer)
        choices = cf.load_choices(session)
        inputs = cf.custom_field_inputs(
            cf.class_fields(session, form.values.get("customer_class_id"))
        )
    return render(
        request,
        "customers/edit.html",
        {
            "customer": out,
            "form": form,
            "choices": choices,
            "custom_inputs": inputs,
            "timezones": cf.timezones(),
        },
        status_code=status_code,
    )


@router.get("/customers/{customer_id:id}/edit", response_class=HTMLResponse)
def edit_customer_page(request: Request, customer_id: Id, _: Actor = CustomerManager) -> Response:
    with database(request).reading() as session:
        customer = queries.get_customer(session, customer_id)
        out = customer_view(session, customer)
        values = cf.customer_values(customer, out.credit_limit)
        values.update(
            cf.custom_values(customer, cf.class_fields(session, values["customer_class_id"]))
        )
    return _edit_page(request, customer_id, FormView(values=values))


@router.post("/customers/{customer_id:id}/edit", response_class=HTMLResponse)
def edit_customer(
    request: Request,
    customer_id: Id,
    actor: Actor = CustomerManager,
    form: FormData = CheckedForm,
) -> Response:
    db = database(request)
    with db.reading() as session:
        customer = queries.get_customer(session, customer_id)
        fields = cf.class_fields(session, form.get("customer_class_id"))
    shown = set(EDIT_FIELDS) | {cf.CUSTOM_PREFIX + f.name for f, _ in fields}
    problem: WebProblem
    try:
        patch = cf.customer_patch(form, customer, fields)
        with db.transaction() as session:
            update_customer(session, actor, customer_id, patch)
    except ValidationError as exc:
        problem = problem_for_validation(exc)
    except KassaError as exc:
        problem = problem_for(exc)
    else:
        flash(request, "Changes saved.")
        return redirect(f"/customers/{customer_id}")
    view = FormView.failed(typed_values(form), problem, shown)
    return _edit_page(request, customer_id, view, problem.status)


@router.post("/customers/{customer_id:id}/status")
def customer_status(
    request: Request,
    customer_id: Id,
    actor: Actor = CustomerManager,
    form: FormData = CheckedForm,
) -> Response:
    action = text(form, "action")
    try:
        with database(request).transaction() as session:
            change_status(session, actor, customer_id, action)
    except KassaError as exc:
        flash_refusal(request, exc)
    else:
        flash(request, STATUS_ACTIONS[action][1])
    return redirect(f"/customers/{customer_id}")
