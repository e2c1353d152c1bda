"""The webhook endpoints API: CRUD, validation, permissions, audit and the delivery log."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from kassa.core.settings import Settings
from kassa.db.engine import Database
from kassa.db.models import WebhookEndpoint
from kassa.notifications.delivery import deliver_once
from tests.api.support import assert_problem
from tests.conftest import Api
from tests.notifications.conftest import deliveries

URL = "https://hooks.example.com/kassa"


def _count(db: Database) -> int:
    with db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(WebhookEndpoint)) or 0)


def test_create_shows_the_secret_once(api: Api) -> None:
    created = api.post(
        "/webhook-endpoints", {"url": URL, "events": ["payment_received", "invoice_issued"]}
    )

    assert created.status_code == 201, created.text
    body = created.json()
    assert body["url"] == URL
    # Listed in the order of the event catalogue, whatever the order given.
    assert body["events"] == ["payment_received", "invoice_issued"]
    assert body["active"] is True
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/]+={0,2}", body["secret"])
    assert 24 <= len(base64.b64decode(body["secret"].removeprefix("whsec_"))) <= 32

    shown = api.get(f"/webhook-endpoints/{body['id']}").json()
    assert "secret" not in shown
    assert shown == {k: v for k, v in body.items() if k != "secret"}
    listed = api.get("/webhook-endpoints").json()
    assert listed == {"items": [shown], "next_cursor": None}
    other = api.post("/webhook-endpoints", {"url": URL, "events": ["payment_received"]}).json()
    assert other["secret"] != body["secret"]


def test_update_delete_and_audit(api: Api) -> None:
    created = api.post("/webhook-endpoints", {"url": URL, "events": ["payment_received"]}).json()
    path = f"/webhook-endpoints/{created['id']}"

    patched = api.patch(
        path,
        {"url": " http://10.0.0.5:8080/in ", "events": ["funds_depleted"], "active": False},
    )

    assert patched.status_code == 200, patched.text
    assert patched.json()["url"] == "http://10.0.0.5:8080/in"
    assert patched.json()["events"] == ["funds_depleted"]
    assert patched.json()["active"] is False
    assert "secret" not in patched.json()
    assert api.delete(path).status_code == 204
    assert_problem(api.get(path), 404, "webhook_endpoint_not_found")
    assert_problem(api.delete(path), 404, "webhook_endpoint_not_found")

    audit = api.get(
        "/audit-log",
        params={"entity_type": "webhook_endpoint", "entity_id": str(created["id"])},
    ).json()["items"]
    assert [a["action"] for a in audit] == ["create", "update", "delete"]
    assert audit[0]["after"] == {"url": URL, "events": ["payment_received"], "active": True}
    assert audit[1]["before"]["active"] is True and audit[1]["after"]["active"] is False
    assert created["secret"] not in str(audit)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://files.example.com/", "events": ["payment_received"]}, "url"),
        ({"url": "https://", "events": ["payment_received"]}, "url"),
        ({"url": "not a url", "events": ["payment_received"]}, "url"),
        ({"url": "http://example.com:99999/", "events": ["payment_received"]}, "url"),
        ({"url": "http://exa mple.com/", "events": ["payment_received"]}, "url"),
        ({"url": "http://example.com/\u0000", "events": ["payment_received"]}, "url"),
        ({"url": "http://[::1/", "events": ["payment_received"]}, "url"),
        ({"url": URL, "events": ["payment_received", "payment_made"]}, "events[1]"),
        ({"url": URL, "events": []}, "events"),
        ({"events": ["payment_received"]}, "url"),
        ({"url": URL}, "events"),
        ({"url": URL, "events": ["payment_received"], "secret": "whsec_x"}, "secret"),
    ],
)
def test_create_refuses_bad_input(api: Api, db: Database, body: dict[str, Any], field: str) -> None:
    response = api.post("/webhook-endpoints", body)

    problem = assert_problem(response, 422)
    assert field in [e["field"] for e in problem["errors"]], problem
    assert _count(db) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "mailto:ops@example.com"}, "url"),
        ({"url": None}, "url"),
        ({"events": ["nope"]}, "events[0]"),
        ({"events": None}, "events"),
        ({"active": None}, "active"),
    ],
)
def test_update_refuses_bad_input(api: Api, body: dict[str, Any], field: str) -> None:
    created = api.post("/webhook-endpoints", {"url": URL, "events": ["payment_received"]}).json()
    path = f"/webhook-endpoints/{created['id']}"

    problem = assert_problem(api.patch(path, body), 422)

    assert field in [e["field"] for e in problem["errors"]], problem
    assert api.get(path).json() == {k: v for k, v in created.items() if k != "secret"}


def test_permissions(api: Api) -> None:
    created = api.post("/webhook-endpoints", {"url": URL, "events": ["payment_received"]}).json()
    path = f"/webhook-endpoints/{created['id']}"
    viewer = api.as_token(api.token_for("viewer"))
    operator = api.as_token(api.token_for("operator"))
    anonymous = api.as_token(None)
    body = {"url": URL, "events": ["payment_received"]}

    assert_problem(anonymous.get("/webhook-endpoints"), 401)
    assert_problem(anonymous.post("/webhook-endpoints", body), 401)
    assert_problem(api.as_token("wrong").get(path), 401, "invalid_token")
    assert viewer.get("/webhook-endpoints").status_code == 200
    assert viewer.get(path).status_code == 200
    assert viewer.get(f"{path}/deliveries").status_code == 200
    for who in (viewer, operator):
        assert_problem(who.post("/webhook-endpoints", body), 403, "forbidden")
        assert_problem(who.patch(path, {"active": False}), 403, "forbidden")
        assert_problem(who.delete(path), 403, "forbidden")
    assert api.get(path).json()["active"] is True


def test_endpoint_list_pages(api: Api) -> None:
    ids = [
        api.post(
            "/webhook-endpoints", {"url": f"{URL}/{i}", "events": ["payment_received"]}
        ).json()["id"]
        for i in range(3)
    ]

    first = api.get("/webhook-endpoints", params={"limit": 2}).json()
    second = api.get(
        "/webhook-endpoints", params={"limit": 2, "cursor": first["next_cursor"]}
    ).json()

    assert [e["id"] for e in first["items"] + second["items"]] == ids
    assert second["next_cursor"] is None
    assert_problem(api.get("/webhook-endpoints", params={"limit": 0}), 422, field="limit")


def test_delivery_log_newest_first_and_paged(
    api: Api,
    db: Database,
    settings: Settings,
    make_endpoint: Callable[..., dict[str, Any]],
    make_customer: Callable[..., dict[str, Any]],
    post: Callable[[int, str, str], dict[str, Any]],
) -> None:
    # Nobody listens there: every delivery stays pending, which is what the log shows.
    endpoint = make_endpoint("http://127.0.0.1:9/unreachable", ["payment_received"])
    customer = make_customer()
    for amount in ("1.00", "2.00", "3.00"):
        post(customer["id"], "payment", amount)
    deliver_once(db, settings)
    path = f"/webhook-endpoints/{endpoint['id']}/deliveries"

    first = api.get(path, params={"limit": 2}).json()
    second = api.get(path, params={"limit": 2, "cursor": first["next_cursor"]}).json()

    log = first["items"] + second["items"]
    assert second["next_cursor"] is None
    assert [d["id"] for d in log] == sorted((d["id"] for d in log), reverse=True)
    assert len(log) == 3
    assert {(d["status"], d["attempts"], d["channel"]) for d in log} == {("pending", 1, "webhook")}
    assert api.get(path, params={"status": "delivered"}).json()["items"] == []
    assert len(api.get(path, params={"status": "pending"}).json()["items"]) == 3
    assert_problem(api.get(path, params={"status": "lost"}), 422, field="status")
    assert_problem(api.get(path, params={"cursor": "%%%"}), 422, field="cursor")
    assert_problem(api.get("/webhook-endpoints/999999/deliveries"), 404)

    # Deleting the endpoint drops what was still waiting for it.
    assert api.delete(f"/webhook-endpoints/{endpoint['id']}").status_code == 204
    assert deliveries(db) == []
