"""Subscribing a customer (or one of its accounts) to a plan, and cancelling.

Both lock the customer's row first (``kassa.ledger.locks``): a subscription's dates are
checked against the customer's open billing period, which a close moves, and a cancellation
may credit an in-advance period it cuts short, which moves the balance."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kassa.auth import audit
from kassa.auth.actor import Actor
from kassa.core.clock import as_utc, utcnow
from kassa.core.errors import Conflict, FieldErrors, NotFound, ValidationFailed
from kassa.db.models import Account, Customer, Subscription, SubscriptionPlan
from kassa.events.outbox import emit
from kassa.ledger.locks import lock_customer
from kassa.subscriptions import fees
from kassa.subscriptions.schedule import Grid, commitment_end, grid_of, next_charge_at
from kassa.subscriptions.schemas import CancelIn, SubscriptionIn


def whole_seconds(value: datetime) -> datetime:
    """Fees are prorated to the second: a subscription's times are whole seconds."""
    return as_utc(value).replace(microsecond=0)


def _aware(value: datetime | None, field: str, errors: FieldErrors) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        errors.add(field, "must include a time zone, e.g. 2027-01-01T00:00:00Z")
        return None
    return whole_seconds(value)


def customer_grid(customer: Customer) -> Grid:
    return grid_of(
        customer.billing_period,
        customer.billing_timezone,
        customer.billing_anchor_date,
        as_utc(customer.created_at),
    )


def open_period_start(customer: Customer) -> datetime:
    return as_utc(customer.period_start_at or customer.created_at)


def get_subscription(session: Session, subscription_id: int) -> Subscription:
    subscription = session.get(Subscription, subscription_id)
    if subscription is None:
        raise NotFound(
            f"subscription {subscription_id} does not exist", code="subscription_not_found"
        )
    return subscription


def snapshot(subscription: Subscription) -> dict[str, Any]:
    return {
        "customer_id": subscription.customer_id,
        "account_id": subscription.account_id,
        "plan_id": subscription.plan_id,
        "starts_at": as_utc(subscription.starts_at).isoformat(),
        "ends_at": as_utc(subscription.ends_at).isoformat() if subscription.ends_at else None,
        "commitment_ends_at": as_utc(subscription.commitment_ends_at).isoformat(),
    }


def refresh_next_charge(subscription: Subscription, plan: SubscriptionPlan) -> None:
    subscription.next_charge_at = next_charge_at(
        charged=plan.charged,
        starts_at=as_utc(subscription.starts_at),
        ends_at=as_utc(subscription.ends_at) if subscription.ends_at else None,
        charged_through=as_utc(subscription.charged_through),
        commitment_ends_at=as_utc(subscription.commitment_ends_at),
        activation_charged=subscription.activation_charged,
        cancellation_charged=subscription.cancellation_charged,
    )


def subscribe(
    session: Session, actor: Actor, customer_id: int, data: SubscriptionIn
) -> Subscription:
    """A new subscription of the customer to a plan in its currency, from ``starts_at`` (now
    when not given), which may not lie before the customer's open billing period. Its fees
    due already (the activation, a first in-advance period) are posted now."""
    locked = lock_customer(session, customer_id)
    customer = session.get_one(Customer, locked.id)
    errors = FieldErrors()
    plan = session.get(SubscriptionPlan, data.plan_id)
    if plan is None:
        errors.add("plan_id", f"subscription plan {data.plan_id} does not exist")
    elif plan.currency != customer.currency:
        errors.add(
            "plan_id",
            f"the plan is in {plan.currency}, the customer is billed in {customer.currency}",
        )
    if data.account_id is not None:
        account = session.get(Account, data.account_id)
        if account is None or account.customer_id != customer.id:
            errors.add("account_id", f"account {data.account_id} is not one of the customer's")
    now = utcnow()
    starts_at = _aware(data.starts_at, "starts_at", errors) or whole_seconds(now)
    ends_at = _aware(data.ends_at, "ends_at", errors)
    period_start = whole_seconds(open_period_start(customer))
    if starts_at < period_start:
        errors.add(
            "starts_at",
            f"is before the customer's open billing period, which starts at "
            f"{period_start.isoformat()}",
        )
    if ends_at is not None and ends_at <= starts_at:
        errors.add("ends_at", "must be after starts_at")
    errors.raise_if_any()
    assert plan is not None
    grid = customer_grid(customer)
    subscription = Subscription(
        customer_id=customer.id,
        account_id=data.account_id,
        plan_id=plan.id,
        starts_at=starts_at,
        ends_at=ends_at,
        commitment_ends_at=commitment_end(grid, starts_at, plan.minimum_periods),
        charged_through=starts_at,
        activation_charged=False,
        cancellation_charged=False,
        cancelled_at=None,
        created_at=now,
        updated_at=now,
    )
    refresh_next_charge(subscription, plan)
    session.add(subscription)
    session.flush()
    audit.record(
        session, actor, "create", "subscription", subscription.id, after=snapshot(subscription)
    )
    emit(
        session,
        "subscription_created",
        customer.id,
        {
            "subscription_id": subscription.id,
            "customer_id": customer.id,
            "account_id": subscription.account_id,
            "plan_id": plan.id,
            "plan_name": plan.name,
            "starts_at": starts_at.isoformat(),
            "ends_at": ends_at.isoformat() if ends_at else None,
        },
    )
    if starts_at <= now:
        fees.post_locked(session, [customer.id], now, subscription_ids=[subscription.id])
        session.refresh(subscription)
    return subscription


def cancel_subscription(
    session: Session, actor: Actor, subscription_id: int, data: CancelIn
) -> Subscription:
    """End the subscription at ``at`` (now when not given). An in-advance, prorated period it
    cuts short is credited its unused share: now if ``at`` has come, else when fees are
    posted after it."""
    subscription = get_subscription(session, subscription_id)
    lock_customer(session, subscription.customer_id)
    # Read again under the customer's row: a run or another cancellation may have moved it.
    session.refresh(subscription)
    plan = session.get_one(SubscriptionPlan, subscription.plan_id)
    now = utcnow()
    errors = FieldErrors()
    at = _aware(data.at, "at", errors) or whole_seconds(now)
    errors.raise_if_any()
    starts_at = as_utc(subscription.starts_at)
    ends_at = as_utc(subscription.ends_at) if subscription.ends_at else None
    if ends_at is not None and ends_at <= now:
        raise Conflict(
            f"subscription {subscription.id} ended at {ends_at.isoformat()}",
            code="subscription_ended",
        )
    if at < starts_at:
        raise ValidationFailed.field(
            "at", f"is before the subscription starts ({starts_at.isoformat()})"
        )
    if ends_at is not None and at > ends_at:
        raise ValidationFailed.field(
            "at", f"is after the subscription's end ({ends_at.isoformat()})"
        )
    before = snapshot(subscription)
    subscription.ends_at = at
    subscription.cancelled_at = now
    subscription.updated_at = now
    refresh_next_charge(subscription, plan)
    session.flush()
    audit.record(
        session,
        actor,
        "cancel",
        "subscription",
        subscription.id,
        before=before,
        after=snapshot(subscription),
    )
    emit(
        session,
        "subscription_cancelled",
        subscription.customer_id,
        {
            "subscription_id": subscription.id,
            "customer_id": subscription.customer_id,
            "plan_id": plan.id,
            "plan_name": plan.name,
            "ends_at": at.isoformat(),
        },
    )
    if at <= now:
        fees.post_locked(
            session,
            [subscription.customer_id],
            now,
            subscription_ids=[subscription.id],
            anytime=True,
        )
        session.refresh(subscription)
    return subscription


def subscriptions_of(session: Session, customer_id: int) -> list[Subscription]:
    return list(
        session.scalars(
            select(Subscription)
            .where(Subscription.customer_id == customer_id)
            .order_by(Subscription.id)
        )
    )
