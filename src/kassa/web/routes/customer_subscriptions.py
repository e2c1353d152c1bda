"""A customer's subscriptions: the section of the customer page that lists them and subscribes
the customer to a plan, and each subscription's page with the fees it posted and its
cancellation (now, or at a time)."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from kassa.accounts.queries import get_account
from kassa.auth.actor import Actor, Permission
from kassa.core.clock import utcnow
from kassa.core.errors import FieldErrors, KassaError, NotFound
from kassa.core.ids import Id, id_from_text
from kassa.core.vocabulary import FeeKind, SubscriptionStatus
from kassa.customers import queries as customer_queries
from kassa.db.engine import DbSession
from kassa.subscriptions import plans, queries, service
from kassa.subscriptions.schemas import CancelIn, SubscriptionIn
from kassa.web.errors import WebProblem, problem_for, problem_for_validation
from kassa.web.forms import FormView, text
from kassa.web.render import redirect, render
from kassa.web.routes.customer_pages import show_customer
from kassa.web.routing import web_router
from kassa.web.session import CheckedForm, Reader, database, flash, flash_refusal, require
from kassa.web.subscription_view import parse_utc

router = web_router()
MoneyMover = Depends(require(Permission.MOVE_MONEY))
FEES_PER_PAGE = 50
SUBSCRIBE_FIELDS = {"plan_id", "account_id", "starts_at"}
FEE_KINDS = {
    FeeKind.PERIODIC: "Periodic fee",
    FeeKind.ACTIVATION: "Activation fee",
    FeeKind.CANCELLATION: "Cancellation fee",
    FeeKind.UNUSED: "Unused part credited",
}


@router.post("/customers/{customer_id:id}/subscriptions", response_class=HTMLResponse)
def subscribe(
    request: Request, customer_id: Id, actor: Actor = MoneyMover, form: FormData = CheckedForm
) -> Response:
    values = {name: text(form, name) for name in SUBSCRIBE_FIELDS}
    errors = FieldErrors()
    data: dict[str, Any] = {
        "plan_id": id_from_text(values["plan_id"]) or values["plan_id"] or None,
        "account_id": id_from_text(values["account_id"]) or values["account_id"] or None,
        "starts_at": parse_utc(values["starts_at"], "starts_at", errors),
    }
    if data["plan_id"] is None:
        errors.add("plan_id", "Choose a plan")
    problem: WebProblem
    try:
        errors.raise_if_any()
        body = SubscriptionIn.model_validate(data)
        with database(request).transaction() as session:
            subscription = service.subscribe(session, actor, customer_id, body)
            plan_name = plans.get_plan(session, subscription.plan_id).name
            subscription_id = subscription.id
    except ValidationError as exc:
        problem = problem_for_validation(exc)
    except KassaError as exc:
        problem = problem_for(exc)
        if problem.status == 404 and not problem.fields:
            raise
    else:
        flash(request, f"Subscribed to '{plan_name}' (subscription {subscription_id}).")
        return redirect(f"/customers/{customer_id}#subscriptions")
    view = FormView.failed(values, problem, SUBSCRIBE_FIELDS)
    return show_customer(request, customer_id, subscribe_form=view, status_code=problem.status)


def _subscription_of(session: DbSession, customer_id: int, subscription_id: int) -> Any:
    subscription = service.get_subscription(session, subscription_id)
    if subscription.customer_id != customer_id:
        raise NotFound(
            f"subscription {subscription_id} is not one of customer {customer_id}'s",
            code="subscription_not_found",
        )
    return subscription


def subscription_page(
    request: Request,
    customer_id: int,
    subscription_id: int,
    *,
    cancel_form: FormView | None = None,
    status_code: int = 200,
) -> Response:
    cursor = request.query_params.get("cursor") or None
    with database(request).reading() as session:
        customer = customer_queries.get_customer(session, customer_id)
        subscription = _subscription_of(session, customer_id, subscription_id)
        shown = queries.subscription_out(session, subscription, utcnow())
        fee_error = None
        try:
            rows, next_cursor = queries.page_fees(
                session, subscription_id, limit=FEES_PER_PAGE, cursor=cursor
            )
        except KassaError as exc:
            fee_error = problem_for(exc).message
            rows, next_cursor = [], None
        context = {
            "customer": customer,
            "subscription": shown,
            "plan": plans.plan_out(session, plans.get_plan(session, subscription.plan_id)),
            "account": (
                get_account(session, shown.account_id).identifier
                if shown.account_id is not None
                else None
            ),
            "fees": queries.fees_out(session, subscription, rows),
            "fee_kinds": FEE_KINDS,
            "fee_error": fee_error,
            "cursor": cursor,
            "next_cursor": next_cursor,
            "cancel_form": cancel_form or FormView(values={"when": "now"}),
            "can_cancel": shown.status != SubscriptionStatus.ENDED,
        }
    return render(request, "customers/subscription.html", context, status_code=status_code)


@router.get(
    "/customers/{customer_id:id}/subscriptions/{subscription_id:id}",
    response_class=HTMLResponse,
)
def show_subscription(
    request: Request, customer_id: Id, subscription_id: Id, _: Actor = Reader
) -> Response:
    return subscription_page(request, customer_id, subscription_id)


@router.post(
    "/customers/{customer_id:id}/subscriptions/{subscription_id:id}/cancel",
    response_class=HTMLResponse,
)
def cancel(
    request: Request,
    customer_id: Id,
    subscription_id: Id,
    actor: Actor = MoneyMover,
    form: FormData = CheckedForm,
) -> Response:
    values = {"when": text(form, "when") or "now", "at": text(form, "at")}
    errors = FieldErrors()
    at = None
    if values["when"] == "at":
        at = parse_utc(values["at"], "at", errors)
        if at is None and not errors.items:
            errors.add("at", "Enter the date and time it ends, or cancel now")
    page = f"/customers/{customer_id}/subscriptions/{subscription_id}"
    problem: WebProblem
    try:
        errors.raise_if_any()
        with database(request).transaction() as session:
            _subscription_of(session, customer_id, subscription_id)
            ended = service.cancel_subscription(session, actor, subscription_id, CancelIn(at=at))
            ends_at = ended.ends_at
    except KassaError as exc:
        problem = problem_for(exc)
        if problem.status == 404 and not problem.fields:
            raise
        if not problem.fields:
            flash_refusal(request, exc)
            return redirect(page)
    else:
        if at is None:
            flash(request, f"Subscription {subscription_id} was cancelled: it has ended.")
        else:
            assert ends_at is not None
            flash(
                request,
                f"Subscription {subscription_id} will end at "
                f"{ends_at.strftime('%Y-%m-%d %H:%M UTC')}.",
            )
        return redirect(page)
    view = FormView.failed(values, problem, {"at"})
    return subscription_page(
        request, customer_id, subscription_id, cancel_form=view, status_code=problem.status
    )
