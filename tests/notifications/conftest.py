"""Fixtures of the notification tests, on top of tests/conftest.py."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from kassa.auth import passwords
from kassa.core.settings import Settings
from kassa.db.engine import Database
from kassa.db.models import NotificationDelivery
from tests.conftest import ADMIN_PASSWORD, ADMIN_TOKEN, Api, customer_body
from tests.notifications.servers import SmtpServer, WebhookReceiver

# Retries after 0.05 s, 0.3 s, 1.2 s, 6 s...: the production schedule, a hundred times faster.
FAST_BACKOFF = 0.05


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashing() -> Iterator[None]:
    """Users made for the role tests need no production-cost hashes."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        )
        yield


@pytest.fixture
def settings(database_url: str) -> Settings:
    # No background delivery: each test decides when a round runs.
    return Settings(
        database_url=database_url,
        admin_token=ADMIN_TOKEN,
        admin_password=ADMIN_PASSWORD,
        secret_key="test-secret-key",
        notify_interval_seconds=0,
        webhook_backoff_seconds=FAST_BACKOFF,
    )


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def mail_settings(settings: Settings, smtp: SmtpServer) -> Settings:
    return replace(
        settings,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        mail_from="Example Telecom Billing <billing@telecom.example>",
    )


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    hook = WebhookReceiver()
    yield hook
    hook.stop()


@pytest.fixture
def make_class(api: Api) -> Callable[..., int]:
    def make(notifications: list[str], **extra: Any) -> int:
        body = {"name": f"Class {os.urandom(4).hex()}", **extra}
        body["notifications"] = notifications
        response = api.post("/customer-classes", body)
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    return make


@pytest.fixture
def make_customer(api: Api) -> Callable[..., dict[str, Any]]:
    def make(**overrides: object) -> dict[str, Any]:
        response = api.post("/customers", customer_body(**overrides))
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    return make


@pytest.fixture
def post(api: Api) -> Callable[[int, str, str], dict[str, Any]]:
    def transaction(customer_id: int, kind: str, amount: str) -> dict[str, Any]:
        response = api.post(
            f"/customers/{customer_id}/transactions", {"type": kind, "amount": amount}
        )
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    return transaction


@pytest.fixture
def make_endpoint(api: Api) -> Callable[..., dict[str, Any]]:
    def make(url: str, events: list[str], **extra: Any) -> dict[str, Any]:
        response = api.post("/webhook-endpoints", {"url": url, "events": events, **extra})
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    return make


def deliveries(db: Database, **where: Any) -> list[NotificationDelivery]:
    with db.reading() as session:
        stmt = select(NotificationDelivery).order_by(NotificationDelivery.id)
        for key, value in where.items():
            stmt = stmt.where(getattr(NotificationDelivery, key) == value)
        return list(session.scalars(stmt))
