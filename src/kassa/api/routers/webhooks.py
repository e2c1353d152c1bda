"""Webhook endpoints: where the operator's systems hear of events, and the delivery log."""

from __future__ import annotations

from fastapi import Depends, Query, Response

from kassa.api.deps import Configurer, Reader, database
from kassa.api.routing import api_router
from kassa.auth.actor import Actor
from kassa.core.ids import Id
from kassa.db.engine import Database
from kassa.notifications import service
from kassa.notifications.schemas import (
    DeliveryPage,
    WebhookEndpointCreated,
    WebhookEndpointIn,
    WebhookEndpointOut,
    WebhookEndpointPage,
    WebhookEndpointPatch,
)

router = api_router(tags=["webhooks"])


@router.get("/webhook-endpoints", response_model=WebhookEndpointPage)
def list_webhook_endpoints(
    limit: int | None = Query(default=None),
    cursor: str | None = Query(default=None),
    _: Actor = Reader,
    db: Database = Depends(database),
) -> WebhookEndpointPage:
    with db.reading() as session:
        rows, next_cursor = service.page_endpoints(session, limit=limit, cursor=cursor)
        return WebhookEndpointPage(
            items=[service.endpoint_out(e) for e in rows], next_cursor=next_cursor
        )


@router.post(
    "/webhook-endpoints",
    response_model=WebhookEndpointCreated,
    status_code=201,
    description="The answer carries the signing `secret`; it is never shown again.",
)
def create_webhook_endpoint(
    body: WebhookEndpointIn, actor: Actor = Configurer, db: Database = Depends(database)
) -> WebhookEndpointCreated:
    with db.transaction() as session:
        endpoint, secret = service.create_endpoint(session, actor, body)
        return service.endpoint_created(endpoint, secret)


@router.get("/webhook-endpoints/{endpoint_id}", response_model=WebhookEndpointOut)
def get_webhook_endpoint(
    endpoint_id: Id, _: Actor = Reader, db: Database = Depends(database)
) -> WebhookEndpointOut:
    with db.reading() as session:
        return service.endpoint_out(service.get_endpoint(session, endpoint_id))


@router.patch("/webhook-endpoints/{endpoint_id}", response_model=WebhookEndpointOut)
def update_webhook_endpoint(
    endpoint_id: Id,
    body: WebhookEndpointPatch,
    actor: Actor = Configurer,
    db: Database = Depends(database),
) -> WebhookEndpointOut:
    with db.transaction() as session:
        return service.endpoint_out(service.update_endpoint(session, actor, endpoint_id, body))


@router.delete("/webhook-endpoints/{endpoint_id}", status_code=204)
def delete_webhook_endpoint(
    endpoint_id: Id, actor: Actor = Configurer, db: Database = Depends(database)
) -> Response:
    with db.transaction() as session:
        service.delete_endpoint(session, actor, endpoint_id)
    return Response(status_code=204)


@router.get("/webhook-endpoints/{endpoint_id}/deliveries", response_model=DeliveryPage)
def list_webhook_deliveries(
    endpoint_id: Id,
    status: str | None = Query(default=None),
    limit: int | None = Query(default=None),
    cursor: str | None = Query(default=None),
    _: Actor = Reader,
    db: Database = Depends(database),
) -> DeliveryPage:
    with db.reading() as session:
        items, next_cursor = service.list_deliveries(
            session, endpoint_id, status=status, limit=limit, cursor=cursor
        )
        return DeliveryPage(items=items, next_cursor=next_cursor)
