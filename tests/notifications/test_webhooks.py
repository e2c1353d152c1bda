"""Webhooks to a real HTTP receiver that checks the Standard Webhooks signature."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from kassa.core.settings import Settings
from kassa.db.engine import Database
from kassa.notifications.delivery import deliver_once, fan_out
from tests.conftest import Api
from tests.notifications.conftest import deliveries
from tests.notifications.servers import WebhookReceiver


def _until(condition: Callable[[], bool], run: Callable[[], object], seconds: float = 30) -> None:
    """Run delivery rounds until ``condition`` holds, as the background worker would."""
    deadline = time.monotonic() + seconds
    run()
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.05)
        run()


def test_event_arrives_once_after_the_receiver_comes_back(
    api: Api,
    db: Database,
    settings: Settings,
    receiver: WebhookReceiver,
    make_endpoint: Callable[..., dict[str, Any]],
    make_customer: Callable[..., dict[str, Any]],
    post: Callable[[int, str, str], dict[str, Any]],
) -> None:
    endpoint = make_endpoint(receiver.url, ["payment_received"])
    receiver.secret = endpoint["secret"]
    customer = make_customer()
    post(customer["id"], "payment", "5.00")

    # The receiver is down: connection refused.
    first = deliver_once(db, settings)
    assert (first.deliveries_created, first.delivered, first.retrying) == (1, 0, 1)
    log = api.get(f"/webhook-endpoints/{endpoint['id']}/deliveries").json()["items"]
    assert [(d["status"], d["attempts"]) for d in log] == [("pending", 1)]
    assert "Connect" in log[0]["last_error"]
    assert log[0]["next_attempt_at"] is not None

    # Up, but failing twice with a 500, then accepting.
    receiver.failures = 2
    receiver.start()
    _until(lambda: bool(receiver.accepted), lambda: deliver_once(db, settings))

    assert [h.answered for h in receiver.hits] == [500, 500, 204]
    assert all(h.verified for h in receiver.hits)
    (hit,) = receiver.accepted
    (row,) = deliveries(db)
    assert hit.headers["webhook-id"] == f"msg_{row.outbox_event_id}"
    assert {h.headers["webhook-id"] for h in receiver.hits} == {hit.headers["webhook-id"]}
    assert hit.headers["content-type"] == "application/json"
    assert hit.path == "/kassa-events"
    body = hit.json
    assert body["type"] == "payment_received"
    assert body["timestamp"].endswith("Z")
    assert body["data"] == {
        "customer_id": customer["id"],
        "amount": "5.00",
        "currency": "USD",
        "balance": "-5.00",
    }

    log = api.get(f"/webhook-endpoints/{endpoint['id']}/deliveries").json()["items"]
    assert len(log) == 1
    entry = log[0]
    assert (entry["status"], entry["attempts"], entry["response_status"]) == ("delivered", 4, 204)
    assert entry["event_type"] == "payment_received"
    assert entry["event_id"] == row.outbox_event_id
    assert entry["delivered_at"] is not None
    assert entry["next_attempt_at"] is None

    # Nothing more is sent, however often the runner comes round.
    time.sleep(0.2)
    assert not deliver_once(db, settings)
    assert len(receiver.hits) == 3


def test_delivery_fails_for_good_after_the_last_attempt(
    api: Api,
    db: Database,
    settings: Settings,
    receiver: WebhookReceiver,
    make_endpoint: Callable[..., dict[str, Any]],
    make_customer: Callable[..., dict[str, Any]],
    post: Callable[[int, str, str], dict[str, Any]],
) -> None:
    settings = replace(settings, webhook_max_attempts=3)
    endpoint = make_endpoint(receiver.url, ["payment_received"])
    receiver.secret = endpoint["secret"]
    receiver.failures = 1000
    receiver.start()
    post(make_customer()["id"], "payment", "5.00")

    _until(lambda: deliveries(db)[0].status == "failed", lambda: deliver_once(db, settings))

    assert [h.answered for h in receiver.hits] == [500, 500, 500]
    (entry,) = api.get(f"/webhook-endpoints/{endpoint['id']}/deliveries").json()["items"]
    assert (entry["status"], entry["attempts"], entry["response_status"]) == ("failed", 3, 500)
    assert entry["last_error"].startswith("HTTP 500")
    time.sleep(0.5)
    deliver_once(db, settings)
    assert len(receiver.hits) == 3


def test_each_subscribed_active_endpoint_gets_its_copy(
    db: Database,
    settings: Settings,
    make_endpoint: Callable[..., dict[str, Any]],
    make_customer: Callable[..., dict[str, Any]],
    post: Callable[[int, str, str], dict[str, Any]],
) -> None:
    receivers = [WebhookReceiver() for _ in range(4)]
    try:
        subscribed = make_endpoint(receivers[0].url, ["payment_received", "funds_depleted"])
        # The same URL twice is two endpoints, each with its own secret and copy.
        twin = make_endpoint(receivers[1].url, ["payment_received"])
        other_event = make_endpoint(receivers[2].url, ["credit_limit_warning"])
        inactive = make_endpoint(receivers[3].url, ["payment_received"], active=False)
        for hook, endpoint in zip(
            receivers, (subscribed, twin, other_event, inactive), strict=True
        ):
            hook.secret = endpoint["secret"]
            hook.start()
        post(make_customer()["id"], "payment", "5.00")

        summary = deliver_once(db, settings)

        assert (summary.deliveries_created, summary.delivered) == (2, 2)
        assert [len(h.accepted) for h in receivers] == [1, 1, 0, 0]
        assert receivers[0].accepted[0].json["type"] == "payment_received"
        targets = sorted(d.target for d in deliveries(db))
        assert targets == sorted([str(subscribed["id"]), str(twin["id"])])
    finally:
        for hook in receivers:
            hook.stop()


def test_a_paused_endpoint_keeps_its_deliveries_until_resumed(
    api: Api,
    db: Database,
    settings: Settings,
    receiver: WebhookReceiver,
    make_endpoint: Callable[..., dict[str, Any]],
    make_customer: Callable[..., dict[str, Any]],
    post: Callable[[int, str, str], dict[str, Any]],
) -> None:
    endpoint = make_endpoint(receiver.url, ["payment_received"])
    receiver.secret = endpoint["secret"]
    receiver.start()
    customer = make_customer()
    post(customer["id"], "payment", "5.00")
    deliver_once(db, settings)
    assert len(receiver.accepted) == 1

    # Fanned out while active, then paused: the delivery waits rather than being lost.
    post(customer["id"], "payment", "7.00")
    with db.transaction() as session:
        fan_out(session, settings)
    paused = api.patch(f"/webhook-endpoints/{endpoint['id']}", {"active": False})
    assert paused.status_code == 200, paused.text
    assert not deliver_once(db, settings).delivered
    assert len(receiver.accepted) == 1

    api.patch(f"/webhook-endpoints/{endpoint['id']}", {"active": True})
    assert deliver_once(db, settings).delivered == 1
    assert [h.json["data"]["amount"] for h in receiver.accepted] == ["5.00", "7.00"]
