"""Reading subscriptions and the fees they posted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kassa.core.clock import as_utc
from kassa.core.money import format_micros
from kassa.core.vocabulary import FeeKind, SubscriptionStatus
from kassa.currencies.service import currency_exponent
from kassa.db.models import Subscription, SubscriptionFee, SubscriptionPlan
from kassa.db.pagination import paginate
from kassa.subscriptions.schemas import FeeOut, SubscriptionOut


def status_of(subscription: Subscription, now: datetime) -> SubscriptionStatus:
    if now < as_utc(subscription.starts_at):
        return SubscriptionStatus.SCHEDULED
    if subscription.ends_at is not None and as_utc(subscription.ends_at) <= now:
        return SubscriptionStatus.ENDED
    return SubscriptionStatus.ACTIVE


def page_subscriptions(
    session: Session, customer_id: int, *, limit: int | None, cursor: str | None
) -> tuple[list[Subscription], str | None]:
    stmt = select(Subscription).where(Subscription.customer_id == customer_id)
    return paginate(session, stmt, Subscription.id, limit=limit, cursor=cursor)


def page_fees(
    session: Session, subscription_id: int, *, limit: int | None, cursor: str | None
) -> tuple[list[SubscriptionFee], str | None]:
    stmt = select(SubscriptionFee).where(SubscriptionFee.subscription_id == subscription_id)
    return paginate(session, stmt, SubscriptionFee.id, limit=limit, cursor=cursor)


def subscriptions_out(
    session: Session, subscriptions: list[Subscription], now: datetime
) -> list[SubscriptionOut]:
    plans = {
        p.id: p
        for p in session.scalars(
            select(SubscriptionPlan).where(
                SubscriptionPlan.id.in_({s.plan_id for s in subscriptions})
            )
        )
    }
    out = []
    for s in subscriptions:
        plan = plans[s.plan_id]
        out.append(
            SubscriptionOut(
                id=s.id,
                customer_id=s.customer_id,
                account_id=s.account_id,
                plan_id=s.plan_id,
                plan_name=plan.name,
                status=status_of(s, now),
                starts_at=s.starts_at,
                ends_at=s.ends_at,
                charged_through=s.charged_through,
                commitment_ends_at=s.commitment_ends_at,
                next_charge_at=s.next_charge_at,
                currency=plan.currency,
                periodic_fee=format_micros(
                    plan.periodic_fee_micros, currency_exponent(session, plan.currency)
                ),
                cancelled_at=s.cancelled_at,
                created_at=s.created_at,
                updated_at=s.updated_at,
            )
        )
    return out


def subscription_out(
    session: Session, subscription: Subscription, now: datetime
) -> SubscriptionOut:
    return subscriptions_out(session, [subscription], now)[0]


def fees_out(
    session: Session, subscription: Subscription, fees: list[SubscriptionFee]
) -> list[FeeOut]:
    plan = session.get_one(SubscriptionPlan, subscription.plan_id)
    exponent = currency_exponent(session, plan.currency)
    return [
        FeeOut(
            id=f.id,
            subscription_id=f.subscription_id,
            kind=FeeKind(f.kind),
            period_start=f.period_start,
            period_end=f.period_end,
            amount=format_micros(f.amount_micros, exponent),
            full_fee=format_micros(f.full_fee_micros, exponent),
            currency=plan.currency,
            transaction_id=f.ledger_entry_id,
            created_at=f.created_at,
        )
        for f in fees
    ]
