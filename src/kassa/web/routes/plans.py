"""Subscription plans: a paged list, create, edit (a fee change applies from each
subscription's next period, as the plan's fee history shows), delete."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.datastructures import FormData

from kassa.core.errors import KassaError
from kassa.core.money import format_micros, from_micros
from kassa.core.vocabulary import FeeCharging
from kassa.currencies.service import currency_exponent, list_currencies
from kassa.db.models import SubscriptionPlan
from kassa.subscriptions import plans
from kassa.subscriptions.schemas import PlanIn, PlanPatch
from kassa.web.config_pages import ConfigPages, Posted, Session, config_router
from kassa.web.errors import problem_for
from kassa.web.forms import FormView, text
from kassa.web.session import RatingManager

PLANS_PER_PAGE = 50
FIELDS = (
    "name",
    "currency",
    "periodic_fee",
    "activation_fee",
    "charged",
    "prorate",
    "minimum_periods",
    "cancellation_fee",
    "description",
)
# Left blank, these mean none: no one-time fee, no commitment.
BLANK_IS_ZERO = ("activation_fee", "cancellation_fee", "minimum_periods")
CHARGED_LABELS = {
    FeeCharging.IN_ADVANCE: "In advance (as each period starts)",
    FeeCharging.IN_ARREARS: "In arrears (as each period closes)",
}


def _amount(micros: int) -> str:
    return f"{from_micros(micros).normalize():f}"


def _list_context(session: Session) -> dict[str, Any]:
    return {}


def _list_page(request: Request, session: Session) -> dict[str, Any]:
    """A page of plans from ``?cursor=``; a cursor that is not one shows its error instead."""
    cursor = request.query_params.get("cursor") or None
    error = None
    try:
        rows, next_cursor = plans.page_plans(session, limit=PLANS_PER_PAGE, cursor=cursor)
    except KassaError as exc:
        problem = problem_for(exc)
        error = "; ".join(problem.fields.values()) or problem.message
        rows, next_cursor = [], None
    return {
        "plans": plans.plans_out(session, rows),
        "cursor": cursor,
        "next_cursor": next_cursor,
        "page_error": error,
    }


def _values_of(plan: SubscriptionPlan) -> dict[str, Any]:
    return {
        "name": plan.name,
        "currency": plan.currency,
        "periodic_fee": _amount(plan.periodic_fee_micros),
        "activation_fee": _amount(plan.activation_fee_micros),
        "charged": plan.charged,
        "prorate": plan.prorate,
        "minimum_periods": str(plan.minimum_periods),
        "cancellation_fee": _amount(plan.cancellation_fee_micros),
        "description": plan.description,
    }


def _read_form(session: Session, form: FormData, plan: SubscriptionPlan | None) -> Posted:
    values: dict[str, Any] = {name: text(form, name) for name in FIELDS if name != "description"}
    raw = form.get("description")
    values["description"] = raw.strip() if isinstance(raw, str) else ""
    values["prorate"] = bool(values["prorate"])
    data: dict[str, Any] = dict(values)
    for name in BLANK_IS_ZERO:
        if not data[name]:
            data[name] = "0"
    if plan is None and not data["periodic_fee"]:
        del data["periodic_fee"]  # "This field is required", as for a new plan's name
    return Posted(values, data, set(FIELDS))


def _form_context(
    request: Request, session: Session, form: FormView, plan: SubscriptionPlan | None
) -> dict[str, Any]:
    currencies = [(c.code, f"{c.code} · {c.name}") for c in list_currencies(session, enabled=True)]
    current = form.value("currency")
    if current and current not in {code for code, _ in currencies}:
        currencies.append((current, current))
    context: dict[str, Any] = {
        "currencies": currencies,
        "charged_options": [(c.value, CHARGED_LABELS[c]) for c in FeeCharging],
        "subscriptions": 0,
        "fees": [],
    }
    if plan is not None:
        exponent = currency_exponent(session, plan.currency)
        if not form.errors and not form.message:
            # The stored fees as the plan's currency writes them: 31.50, not 31.5.
            for fee in plans.FEES:
                form.values[fee] = format_micros(getattr(plan, f"{fee}_micros"), exponent)
        history = plans.fee_history(session, [plan.id])[plan.id]
        context["subscriptions"] = plans.subscription_counts(session, [plan.id]).get(plan.id, 0)
        context["fees"] = [(at, format_micros(fee, exponent)) for at, fee in reversed(history)]
    return context


def _new_values() -> dict[str, Any]:
    return {
        "currency": "USD",
        "charged": FeeCharging.IN_ADVANCE,
        "prorate": True,
        "activation_fee": "0",
        "cancellation_fee": "0",
        "minimum_periods": "0",
    }


router = config_router(
    ConfigPages(
        path="/plans",
        noun="Plan",
        templates="plans",
        item_name="plan",
        get=plans.get_plan,
        create=plans.create_plan,
        update=plans.update_plan,
        delete=plans.delete_plan,
        create_schema=PlanIn,
        patch_schema=PlanPatch,
        title=lambda plan: plan.name,
        list_context=_list_context,
        values_of=_values_of,
        read_form=_read_form,
        new_values=_new_values,
        form_context=_form_context,
        changer=RatingManager,
        list_page=_list_page,
    )
)
