"""Webhook endpoints in the web UI: add (secret shown once), edit, delete, delivery log; the
CRUD, validation and role tests are declared in tests/web/test_config_crud.py."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from kassa.auth.actor import SYSTEM
from kassa.core.clock import utcnow
from kassa.db.engine import Database
from kassa.db.models import NotificationDelivery, OutboxEvent, WebhookEndpoint
from kassa.events.types import EVENTS
from kassa.notifications.schemas import WebhookEndpointIn
from kassa.notifications.service import create_endpoint, webhook_target
from tests.web.conftest import csrf_of
from tests.web.helpers import field_error


def endpoints(db: Database) -> list[WebhookEndpoint]:
    with db.reading() as session:
        rows = list(session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))
        for row in rows:
            session.expunge(row)
        return rows


def add_endpoint(db: Database, url: str = "https://hooks.example.com/kassa") -> int:
    with db.transaction() as session:
        endpoint, _ = create_endpoint(
            session, SYSTEM, WebhookEndpointIn(url=url, events=["payment_received"])
        )
        return endpoint.id


def add_deliveries(db: Database, endpoint_id: int, n: int, status: str = "failed") -> None:
    now = utcnow()
    with db.transaction() as session:
        for i in range(n):
            event = OutboxEvent(
                event_type="invoice_issued", customer_id=None, payload={}, created_at=now
            )
            session.add(event)
            session.flush()
            session.add(
                NotificationDelivery(
                    outbox_event_id=event.id,
                    channel="webhook",
                    target=webhook_target(endpoint_id),
                    status=status,
                    attempts=3 + i,
                    next_attempt_at=now + timedelta(minutes=5),
                    last_error=f"connection refused #{i}",
                    response_status=503,
                    created_at=now,
                )
            )


def test_add_endpoint_shows_the_secret_once(web: TestClient, db: Database) -> None:
    page = web.get("/webhooks/new").text
    assert page.count('type="checkbox" name="events"') == len(EVENTS)
    answer = web.post(
        "/webhooks/new",
        data={
            "csrf_token": csrf_of(page),
            "url": " https://billing.example.com/hooks ",
            "events": ["payment_received", "invoice_issued"],
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303
    (endpoint,) = endpoints(db)
    assert answer.headers["location"] == f"/webhooks/{endpoint.id}"
    assert endpoint.url == "https://billing.example.com/hooks"
    assert endpoint.events == ["payment_received", "invoice_issued"] and endpoint.active
    shown = web.get(answer.headers["location"]).text
    assert endpoint.secret.startswith("whsec_")
    assert f'value="{endpoint.secret}"' in shown
    assert "shown only this once" in shown and 'data-copy="webhook-secret"' in shown
    again = web.get(answer.headers["location"]).text
    assert endpoint.secret not in again and "Signing secret" not in again
    listing = web.get("/webhooks").text
    assert "https://billing.example.com/hooks" in listing
    assert "Payment received" in listing and "Invoice issued" in listing
    assert endpoint.secret not in listing


def test_edit_endpoint(web: TestClient, db: Database) -> None:
    endpoint_id = add_endpoint(db)
    page = web.get(f"/webhooks/{endpoint_id}").text
    assert "Signing secret" not in page
    answer = web.post(
        f"/webhooks/{endpoint_id}",
        data={
            "csrf_token": csrf_of(page),
            "url": "https://new.example.com/in",
            "events": ["invoice_overdue", "customer_suspended"],
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303
    (endpoint,) = endpoints(db)
    assert endpoint.url == "https://new.example.com/in"
    assert endpoint.events == ["invoice_overdue", "customer_suspended"]
    assert endpoint.active is False  # the Active box was left unticked
    page = web.get(f"/webhooks/{endpoint_id}").text
    assert "Changes saved." in page and "badge-disabled" in page
    bad = web.post(
        f"/webhooks/{endpoint_id}",
        data={"csrf_token": csrf_of(page), "url": "not a url", "active": "1"},
    )
    assert bad.status_code == 422
    assert field_error(html.unescape(bad.text), "events") == "Choose at least one event"
    assert endpoints(db)[0].url == "https://new.example.com/in"


def test_delete_endpoint(web: TestClient, db: Database) -> None:
    endpoint_id = add_endpoint(db)
    add_deliveries(db, endpoint_id, 2)
    token = csrf_of(web.get(f"/webhooks/{endpoint_id}").text)
    answer = web.post(
        f"/webhooks/{endpoint_id}/delete", data={"csrf_token": token}, follow_redirects=False
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/webhooks"
    assert endpoints(db) == []
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(NotificationDelivery)) == 0
    assert "was deleted" in web.get("/webhooks").text
    assert web.get(f"/webhooks/{endpoint_id}").status_code == 404


def test_delivery_log_pages_and_filters(web: TestClient, db: Database) -> None:
    endpoint_id = add_endpoint(db)
    add_deliveries(db, endpoint_id, 27)
    add_deliveries(db, endpoint_id, 1, status="delivered")
    listing = web.get("/webhooks").text
    assert f'href="/webhooks/{endpoint_id}?status=failed#deliveries" class="text-danger">27<' in (
        listing
    )
    page = html.unescape(web.get(f"/webhooks/{endpoint_id}").text)
    log = page[page.index('id="deliveries"') :]
    assert log.count("badge-failed") == 24 and log.count("badge-delivered") == 1
    assert "connection refused #26" in log and "503" in log and "Invoice issued" in log
    link = re.search(r'href="(/webhooks/\d+\?[^"]*cursor=[^"#]+)#deliveries">Next', log)
    assert link
    second = web.get(link[1]).text
    log = second[second.index('id="deliveries"') :]
    assert log.count("badge-failed") == 3 and "connection refused #0" in log
    assert ">First</a>" in log
    delivered = web.get(f"/webhooks/{endpoint_id}?status=delivered").text
    assert delivered.count("badge-delivered") == 1 and "badge-failed" not in delivered
    assert web.get(f"/webhooks/{endpoint_id}?status=lost").status_code == 422
