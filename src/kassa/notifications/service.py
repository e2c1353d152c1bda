"""Webhook endpoints (the operator's receivers) and their delivery log."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from kassa.auth import audit
from kassa.auth.actor import Actor
from kassa.core.clock import utcnow
from kassa.core.errors import FieldErrors, NotFound, ValidationFailed
from kassa.core.vocabulary import DeliveryChannel, DeliveryStatus
from kassa.db.models import NotificationDelivery, OutboxEvent, WebhookEndpoint
from kassa.db.pagination import paginate
from kassa.events.types import EVENTS
from kassa.notifications.schemas import (
    DeliveryOut,
    WebhookEndpointCreated,
    WebhookEndpointIn,
    WebhookEndpointOut,
    WebhookEndpointPatch,
)
from kassa.notifications.webhooks import generate_secret


def webhook_target(endpoint_id: int) -> str:
    """A webhook delivery names its endpoint, not a URL: a corrected URL applies to pending
    deliveries, and two endpoints on one URL each get their copy."""
    return str(endpoint_id)


def snapshot(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {"url": endpoint.url, "events": list(endpoint.events), "active": endpoint.active}


def _check_url(url: str, errors: FieldErrors) -> str:
    url = url.strip()
    if not url.isprintable() or any(c.isspace() for c in url):
        errors.add("url", "must not contain spaces or control characters")
        return url
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        errors.add("url", "is not a valid URL")
        return url
    if parts.scheme.lower() not in ("http", "https"):
        errors.add("url", "must be an http:// or https:// URL")
    elif not parts.hostname:
        errors.add("url", "must name a host")
    elif not port_ok:
        errors.add("url", "has an invalid port")
    return url


def _check_events(events: list[str], errors: FieldErrors) -> list[str]:
    bad = False
    for i, event in enumerate(events):
        if event not in EVENTS:
            bad = True
            errors.add(f"events[{i}]", f"'{event}' is not an event; use one of {', '.join(EVENTS)}")
    return events if bad else sorted(set(events), key=EVENTS.index)


def create_endpoint(
    session: Session, actor: Actor, data: WebhookEndpointIn
) -> tuple[WebhookEndpoint, str]:
    """The new endpoint and its secret, which the caller shows once."""
    errors = FieldErrors()
    url = _check_url(data.url, errors)
    events = _check_events(data.events, errors)
    errors.raise_if_any()
    secret = generate_secret()
    endpoint = WebhookEndpoint(
        url=url, events=events, secret=secret, active=data.active, created_at=utcnow()
    )
    session.add(endpoint)
    session.flush()
    audit.record(
        session, actor, "create", "webhook_endpoint", endpoint.id, after=snapshot(endpoint)
    )
    return endpoint, secret


def page_endpoints(
    session: Session, *, limit: int | None, cursor: str | None
) -> tuple[list[WebhookEndpoint], str | None]:
    return paginate(
        session, select(WebhookEndpoint), WebhookEndpoint.id, limit=limit, cursor=cursor
    )


def delivery_counts(session: Session, endpoint_ids: list[int]) -> dict[int, dict[str, int]]:
    """How many of each endpoint's deliveries are in each status (statuses with none left out)."""
    by_target = {webhook_target(i): i for i in endpoint_ids}
    counts: dict[int, dict[str, int]] = {i: {} for i in endpoint_ids}
    rows = session.execute(
        select(NotificationDelivery.target, NotificationDelivery.status, func.count())
        .where(
            NotificationDelivery.channel == DeliveryChannel.WEBHOOK,
            NotificationDelivery.target.in_(list(by_target)),
        )
        .group_by(NotificationDelivery.target, NotificationDelivery.status)
    )
    for target, status, count in rows:
        counts[by_target[target]][status] = count
    return counts


def get_endpoint(session: Session, endpoint_id: int) -> WebhookEndpoint:
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound(
            f"webhook endpoint {endpoint_id} does not exist", code="webhook_endpoint_not_found"
        )
    return endpoint


def update_endpoint(
    session: Session, actor: Actor, endpoint_id: int, patch: WebhookEndpointPatch
) -> WebhookEndpoint:
    endpoint = get_endpoint(session, endpoint_id)
    before = snapshot(endpoint)
    values = patch.model_dump(exclude_unset=True)
    errors = FieldErrors()
    for key in ("url", "events", "active"):
        if key in values and values[key] is None:
            errors.add(key, "must not be null")
    url = _check_url(values["url"], errors) if values.get("url") is not None else None
    events = _check_events(values["events"], errors) if values.get("events") is not None else None
    errors.raise_if_any()
    if url is not None:
        endpoint.url = url
    if events is not None:
        endpoint.events = events
    if values.get("active") is not None:
        endpoint.active = bool(values["active"])
    session.flush()
    audit.record(
        session,
        actor,
        "update",
        "webhook_endpoint",
        endpoint.id,
        before=before,
        after=snapshot(endpoint),
    )
    return endpoint


def delete_endpoint(session: Session, actor: Actor, endpoint_id: int) -> None:
    """Removes the endpoint with its delivery log; pending deliveries to it are dropped."""
    endpoint = get_endpoint(session, endpoint_id)
    audit.record(
        session, actor, "delete", "webhook_endpoint", endpoint.id, before=snapshot(endpoint)
    )
    session.execute(
        delete(NotificationDelivery).where(
            NotificationDelivery.channel == DeliveryChannel.WEBHOOK,
            NotificationDelivery.target == webhook_target(endpoint.id),
        )
    )
    session.delete(endpoint)
    session.flush()


def endpoint_out(endpoint: WebhookEndpoint) -> WebhookEndpointOut:
    return WebhookEndpointOut(
        id=endpoint.id,
        url=endpoint.url,
        events=list(endpoint.events),
        active=endpoint.active,
        created_at=endpoint.created_at,
    )


def endpoint_created(endpoint: WebhookEndpoint, secret: str) -> WebhookEndpointCreated:
    return WebhookEndpointCreated(**endpoint_out(endpoint).model_dump(), secret=secret)


def list_deliveries(
    session: Session,
    endpoint_id: int,
    *,
    status: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> tuple[list[DeliveryOut], str | None]:
    """The endpoint's delivery log, newest first, keyset-paged on the delivery id."""
    get_endpoint(session, endpoint_id)
    if status is not None and status not in tuple(DeliveryStatus):
        raise ValidationFailed.field("status", f"use one of {', '.join(DeliveryStatus)}")
    stmt = (
        select(NotificationDelivery, OutboxEvent.event_type)
        .join(OutboxEvent, OutboxEvent.id == NotificationDelivery.outbox_event_id)
        .where(
            NotificationDelivery.channel == DeliveryChannel.WEBHOOK,
            NotificationDelivery.target == webhook_target(endpoint_id),
        )
    )
    if status is not None:
        stmt = stmt.where(NotificationDelivery.status == status)
    rows, next_cursor = paginate(
        session, stmt, NotificationDelivery.id, limit=limit, cursor=cursor, descending=True
    )
    return [delivery_out(delivery, event_type) for delivery, event_type in rows], next_cursor


def delivery_out(delivery: NotificationDelivery, event_type: str) -> DeliveryOut:
    return DeliveryOut(
        id=delivery.id,
        event_id=delivery.outbox_event_id,
        event_type=event_type,
        channel=delivery.channel,
        target=delivery.target,
        status=delivery.status,
        attempts=delivery.attempts,
        next_attempt_at=delivery.next_attempt_at
        if delivery.status == DeliveryStatus.PENDING
        else None,
        last_error=delivery.last_error,
        response_status=delivery.response_status,
        delivered_at=delivery.delivered_at,
        created_at=delivery.created_at,
    )
