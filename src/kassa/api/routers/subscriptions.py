"""Subscriptions: customers' plans, their cancellation and the fees they posted."""

from __future__ import annotations

from fastapi import Depends, Query

from kassa.api.deps import Reader, database, require
from kassa.api.routing import api_router
from kassa.auth.actor import Actor, Permission
from kassa.core.clock import utcnow
from kassa.core.ids import Id
from kassa.customers.queries import get_customer
from kassa.db.engine import Database
from kassa.subscriptions import queries, service
from kassa.subscriptions.schemas import (
    CancelIn,
    FeePage,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionPage,
)

router = api_router(tags=["subscriptions"])
MoneyMover = Depends(require(Permission.MOVE_MONEY))


@router.post(
    "/customers/{customer_id}/subscriptions", response_model=SubscriptionOut, status_code=201
)
def subscribe(
    customer_id: Id,
    body: SubscriptionIn,
    actor: Actor = MoneyMover,
    db: Database = Depends(database),
) -> SubscriptionOut:
    """Subscribe the customer (or one of its accounts) to a plan in its currency, from
    ``starts_at`` (now when null), not before the customer's open billing period. Fees due
    already (the activation, a first in-advance period) are posted at once."""
    with db.transaction() as session:
        subscription = service.subscribe(session, actor, customer_id, body)
        return queries.subscription_out(session, subscription, utcnow())


@router.get("/customers/{customer_id}/subscriptions", response_model=SubscriptionPage)
def list_subscriptions(
    customer_id: Id,
    limit: int | None = Query(default=None),
    cursor: str | None = Query(default=None),
    _: Actor = Reader,
    db: Database = Depends(database),
) -> SubscriptionPage:
    with db.reading() as session:
        get_customer(session, customer_id)
        rows, next_cursor = queries.page_subscriptions(
            session, customer_id, limit=limit, cursor=cursor
        )
        return SubscriptionPage(
            items=queries.subscriptions_out(session, rows, utcnow()), next_cursor=next_cursor
        )


@router.get("/subscriptions/{subscription_id}", response_model=SubscriptionOut)
def get_subscription(
    subscription_id: Id, _: Actor = Reader, db: Database = Depends(database)
) -> SubscriptionOut:
    with db.reading() as session:
        subscription = service.get_subscription(session, subscription_id)
        return queries.subscription_out(session, subscription, utcnow())


@router.post("/subscriptions/{subscription_id}/cancel", response_model=SubscriptionOut)
def cancel_subscription(
    subscription_id: Id,
    body: CancelIn,
    actor: Actor = MoneyMover,
    db: Database = Depends(database),
) -> SubscriptionOut:
    """End the subscription at ``at`` (now when null). A prorated in-advance period it cuts
    short is credited the unused part; ending before the plan's minimum periods posts its
    cancellation fee. An ended subscription: 409 ``subscription_ended``."""
    with db.transaction() as session:
        subscription = service.cancel_subscription(session, actor, subscription_id, body)
        return queries.subscription_out(session, subscription, utcnow())


@router.get("/subscriptions/{subscription_id}/fees", response_model=FeePage)
def list_fees(
    subscription_id: Id,
    limit: int | None = Query(default=None),
    cursor: str | None = Query(default=None),
    _: Actor = Reader,
    db: Database = Depends(database),
) -> FeePage:
    with db.reading() as session:
        subscription = service.get_subscription(session, subscription_id)
        rows, next_cursor = queries.page_fees(session, subscription_id, limit=limit, cursor=cursor)
        return FeePage(items=queries.fees_out(session, subscription, rows), next_cursor=next_cursor)
