"""Subscription plans: a periodic fee with its one-time companions, in one currency.

A plan's periodic fee has a history (``subscription_plan_fees``): a change takes effect now,
and a fee period pays the fee in effect when it started, so running subscriptions pay the new
fee from their next period on and new ones from their start.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kassa.auth import audit
from kassa.auth.actor import Actor
from kassa.core.clock import utcnow
from kassa.core.errors import Conflict, FieldErrors, NotFound
from kassa.core.money import AmountError, check_amount, format_micros, to_micros
from kassa.core.names import name_key
from kassa.core.vocabulary import FeeCharging
from kassa.currencies.service import currency_exponent, enabled_code
from kassa.db.models import Subscription, SubscriptionPlan, SubscriptionPlanFee
from kassa.db.pagination import paginate
from kassa.db.unique import check_free_name, flush_or_conflict
from kassa.subscriptions.schemas import PlanIn, PlanOut, PlanPatch

FEES = ("periodic_fee", "activation_fee", "cancellation_fee")


def snapshot(plan: SubscriptionPlan) -> dict[str, Any]:
    return {
        "name": plan.name,
        "currency": plan.currency,
        "periodic_fee_micros": plan.periodic_fee_micros,
        "activation_fee_micros": plan.activation_fee_micros,
        "charged": plan.charged,
        "prorate": plan.prorate,
        "minimum_periods": plan.minimum_periods,
        "cancellation_fee_micros": plan.cancellation_fee_micros,
        "description": plan.description,
    }


def _name_taken(name: str) -> Conflict:
    return Conflict(f"a subscription plan named '{name}' already exists", code="plan_name_taken")


def _check_name(session: Session, name: str, exclude_id: int | None, errors: FieldErrors) -> str:
    return check_free_name(
        session,
        name,
        key=SubscriptionPlan.name_key,
        row_id=SubscriptionPlan.id,
        exclude_id=exclude_id,
        errors=errors,
        taken=_name_taken,
    )


def _fee_micros(value: Decimal, field: str, exponent: int, errors: FieldErrors) -> int:
    try:
        return to_micros(check_amount(value, max_decimals=exponent))
    except AmountError as exc:
        errors.add(field, str(exc))
        return 0


def create_plan(session: Session, actor: Actor, data: PlanIn) -> SubscriptionPlan:
    errors = FieldErrors()
    name = _check_name(session, data.name, None, errors)
    currency = enabled_code(session, data.currency, errors)
    exponent = currency_exponent(session, currency) if currency else 6
    fees = {f: _fee_micros(getattr(data, f), f, exponent, errors) for f in FEES}
    errors.raise_if_any()
    assert currency is not None
    now = utcnow()
    plan = SubscriptionPlan(
        name=name,
        name_key=name_key(name),
        currency=currency,
        periodic_fee_micros=fees["periodic_fee"],
        activation_fee_micros=fees["activation_fee"],
        charged=data.charged,
        prorate=data.prorate,
        minimum_periods=data.minimum_periods,
        cancellation_fee_micros=fees["cancellation_fee"],
        description=data.description.strip(),
        created_at=now,
        updated_at=now,
    )
    session.add(plan)
    flush_or_conflict(session, _name_taken(name))
    _record_fee(session, plan.id, plan.periodic_fee_micros, plan.created_at)
    audit.record(session, actor, "create", "subscription_plan", plan.id, after=snapshot(plan))
    return plan


def _record_fee(session: Session, plan_id: int, fee_micros: int, effective_from: datetime) -> None:
    session.add(
        SubscriptionPlanFee(
            plan_id=plan_id, periodic_fee_micros=fee_micros, effective_from=effective_from
        )
    )
    session.flush()


def get_plan(session: Session, plan_id: int) -> SubscriptionPlan:
    plan = session.get(SubscriptionPlan, plan_id)
    if plan is None:
        raise NotFound(f"subscription plan {plan_id} does not exist", code="plan_not_found")
    return plan


def page_plans(
    session: Session, *, limit: int | None, cursor: str | None, currency: str | None = None
) -> tuple[list[SubscriptionPlan], str | None]:
    stmt = select(SubscriptionPlan)
    if currency:
        stmt = stmt.where(SubscriptionPlan.currency == currency.strip().upper())
    return paginate(session, stmt, SubscriptionPlan.id, limit=limit, cursor=cursor)


def list_plans(session: Session, currency: str | None = None) -> list[SubscriptionPlan]:
    stmt = select(SubscriptionPlan).order_by(SubscriptionPlan.name_key)
    if currency:
        stmt = stmt.where(SubscriptionPlan.currency == currency)
    return list(session.scalars(stmt))


def subscription_counts(session: Session, plan_ids: list[int]) -> dict[int, int]:
    rows = session.execute(
        select(Subscription.plan_id, func.count())
        .where(Subscription.plan_id.in_(plan_ids))
        .group_by(Subscription.plan_id)
    )
    return {plan_id: int(count) for plan_id, count in rows}


def _in_use(plan: SubscriptionPlan, count: int, what: str) -> Conflict:
    return Conflict(
        f"subscription plan '{plan.name}' has {count} subscription(s); {what}",
        code="plan_in_use",
    )


def update_plan(session: Session, actor: Actor, plan_id: int, patch: PlanPatch) -> SubscriptionPlan:
    plan = get_plan(session, plan_id)
    before = snapshot(plan)
    # The fields as parsed: a dump would serialize the fees back to strings.
    values = {key: getattr(patch, key) for key in patch.model_fields_set}
    errors = FieldErrors()
    for key, value in values.items():
        if value is None:
            errors.add(key, "must not be null")
    changes: dict[str, Any] = {}
    if values.get("name") is not None:
        changes["name"] = _check_name(session, values["name"], plan.id, errors)
        changes["name_key"] = name_key(changes["name"])
    currency = plan.currency
    if values.get("currency") is not None:
        currency = enabled_code(session, values["currency"], errors) or plan.currency
        changes["currency"] = currency
    exponent = currency_exponent(session, currency)
    for fee in FEES:
        if values.get(fee) is not None:
            changes[f"{fee}_micros"] = _fee_micros(values[fee], fee, exponent, errors)
    for key in ("charged", "prorate", "minimum_periods"):
        if values.get(key) is not None:
            changes[key] = values[key]
    if values.get("description") is not None:
        changes["description"] = values["description"].strip()
    errors.raise_if_any()
    if changes.get("currency", plan.currency) != plan.currency:
        used = subscription_counts(session, [plan.id]).get(plan.id, 0)
        if used:
            raise _in_use(plan, used, "its currency cannot change")
    for key, value in changes.items():
        setattr(plan, key, value)
    plan.updated_at = utcnow()
    flush_or_conflict(session, _name_taken(plan.name))
    if plan.periodic_fee_micros != before["periodic_fee_micros"]:
        _record_fee(session, plan.id, plan.periodic_fee_micros, plan.updated_at)
    audit.record(
        session,
        actor,
        "update",
        "subscription_plan",
        plan.id,
        before=before,
        after=snapshot(plan),
    )
    return plan


def delete_plan(session: Session, actor: Actor, plan_id: int) -> None:
    """Refused while any subscription, ended ones included, refers to the plan: their fees
    name it."""
    plan = get_plan(session, plan_id)
    used = subscription_counts(session, [plan.id]).get(plan.id, 0)
    if used:
        raise _in_use(plan, used, "a plan with subscriptions cannot be deleted")
    audit.record(session, actor, "delete", "subscription_plan", plan.id, before=snapshot(plan))
    session.delete(plan)
    session.flush()


def fee_history(session: Session, plan_ids: list[int]) -> dict[int, list[tuple[datetime, int]]]:
    """Each plan's periodic fees as ``(effective_from, fee_micros)``, oldest first."""
    history: dict[int, list[tuple[datetime, int]]] = {plan_id: [] for plan_id in plan_ids}
    for plan_id, effective_from, fee in session.execute(
        select(
            SubscriptionPlanFee.plan_id,
            SubscriptionPlanFee.effective_from,
            SubscriptionPlanFee.periodic_fee_micros,
        )
        .where(SubscriptionPlanFee.plan_id.in_(plan_ids))
        .order_by(SubscriptionPlanFee.plan_id, SubscriptionPlanFee.effective_from)
    ):
        history[plan_id].append((effective_from, int(fee)))
    return history


def fee_at(history: list[tuple[datetime, int]], moment: datetime, current: int) -> int:
    """The periodic fee in effect at ``moment``; the first one before the plan's first fee."""
    fee = history[0][1] if history else current
    for effective_from, value in history:
        if effective_from > moment:
            break
        fee = value
    return fee


def plans_out(session: Session, plans: list[SubscriptionPlan]) -> list[PlanOut]:
    counts = subscription_counts(session, [p.id for p in plans])
    out: list[PlanOut] = []
    for plan in plans:
        exponent = currency_exponent(session, plan.currency)
        out.append(
            PlanOut(
                id=plan.id,
                name=plan.name,
                currency=plan.currency,
                periodic_fee=format_micros(plan.periodic_fee_micros, exponent),
                activation_fee=format_micros(plan.activation_fee_micros, exponent),
                charged=FeeCharging(plan.charged),
                prorate=plan.prorate,
                minimum_periods=plan.minimum_periods,
                cancellation_fee=format_micros(plan.cancellation_fee_micros, exponent),
                description=plan.description,
                subscriptions=counts.get(plan.id, 0),
                created_at=plan.created_at,
                updated_at=plan.updated_at,
            )
        )
    return out


def plan_out(session: Session, plan: SubscriptionPlan) -> PlanOut:
    return plans_out(session, [plan])[0]
