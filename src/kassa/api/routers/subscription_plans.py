"""Subscription plans: a periodic fee, with its activation and cancellation fees."""

from __future__ import annotations

from fastapi import Depends, Query, Response

from kassa.api.deps import RatingManager, Reader, database
from kassa.api.routing import api_router
from kassa.auth.actor import Actor
from kassa.core.ids import Id
from kassa.db.engine import Database
from kassa.subscriptions import plans
from kassa.subscriptions.schemas import PlanIn, PlanOut, PlanPage, PlanPatch

router = api_router(tags=["subscription plans"])


@router.get("/subscription-plans", response_model=PlanPage)
def list_plans(
    limit: int | None = Query(default=None),
    cursor: str | None = Query(default=None),
    currency: str | None = Query(default=None, max_length=3),
    _: Actor = Reader,
    db: Database = Depends(database),
) -> PlanPage:
    with db.reading() as session:
        rows, next_cursor = plans.page_plans(session, limit=limit, cursor=cursor, currency=currency)
        return PlanPage(items=plans.plans_out(session, rows), next_cursor=next_cursor)


@router.post("/subscription-plans", response_model=PlanOut, status_code=201)
def create_plan(
    body: PlanIn, actor: Actor = RatingManager, db: Database = Depends(database)
) -> PlanOut:
    with db.transaction() as session:
        return plans.plan_out(session, plans.create_plan(session, actor, body))


@router.get("/subscription-plans/{plan_id}", response_model=PlanOut)
def get_plan(plan_id: Id, _: Actor = Reader, db: Database = Depends(database)) -> PlanOut:
    with db.reading() as session:
        return plans.plan_out(session, plans.get_plan(session, plan_id))


@router.patch("/subscription-plans/{plan_id}", response_model=PlanOut)
def update_plan(
    plan_id: Id,
    body: PlanPatch,
    actor: Actor = RatingManager,
    db: Database = Depends(database),
) -> PlanOut:
    with db.transaction() as session:
        return plans.plan_out(session, plans.update_plan(session, actor, plan_id, body))


@router.delete("/subscription-plans/{plan_id}", status_code=204)
def delete_plan(
    plan_id: Id, actor: Actor = RatingManager, db: Database = Depends(database)
) -> Response:
    with db.transaction() as session:
        plans.delete_plan(session, actor, plan_id)
    return Response(status_code=204)
