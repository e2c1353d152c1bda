"""Granted reservations never exceed the funds: with funds for exactly N reservations and many
more asking at once, exactly N are granted, across two server processes."""

from __future__ import annotations

import threading
from typing import Any

from tests.concurrency.harness import (
    SERVICE,
    Cluster,
    answer_of,
    check_ledger,
    connect,
    micros,
    run_clients,
    snapshot,
)

CLIENTS = 32
ATTEMPTS = 2  # per client: 64 requests for 40 reservations


def _storm(cluster: Cluster, customer_id: int, body: dict[str, Any]) -> list[tuple[int, Any]]:
    """Every client asks ATTEMPTS times at once; returns (status, body) of every answer."""

    def client(index: int, barrier: threading.Barrier) -> list[tuple[int, Any]]:
        answers = []
        with cluster.client(index) as api:
            connect(api)
            barrier.wait()
            for _ in range(ATTEMPTS):
                response = api.post(f"/customers/{customer_id}/authorizations", json=body)
                answers.append((response.status_code, answer_of(response)))
        return answers

    return [answer for answers in run_clients(CLIENTS, client) for answer in answers]


def _check_exact(cluster: Cluster, customer_id: int, funds: int, each: str) -> None:
    answers = _storm(cluster, customer_id, {"amount": each, "service": SERVICE})
    granted = [body for status, body in answers if status == 201]
    refused = [body for status, body in answers if status != 201]
    expected = funds // micros(each)
    assert len(granted) == expected, (len(granted), expected)
    assert len(refused) == CLIENTS * ATTEMPTS - expected
    for body in refused:
        assert body["status"] == 402 and body["code"] == "insufficient_funds", body
        assert micros(body["available_funds"]) < micros(each), body
    for body in granted:
        assert body["status"] == "reserved" and micros(body["amount"]) == micros(each), body
        # The funds left right after each grant: never below zero.
        assert micros(body["available_funds"]) >= 0, body
    # Each grant saw a different amount left: the grants were serialized, none was lost.
    left = sorted(micros(body["available_funds"]) for body in granted)
    assert left == [funds - micros(each) * n for n in range(expected, 0, -1)], left

    snap = snapshot(cluster.database_url)
    check_ledger(snap)
    customer = snap.customers[customer_id]
    assert customer.reserved == expected * micros(each) == funds
    assert customer.available == 0
    with cluster.client() as api:
        listed = api.get(
            f"/customers/{customer_id}/authorizations", params={"status": "reserved", "limit": 500}
        ).json()["items"]
    assert sorted(a["id"] for a in listed) == sorted(body["id"] for body in granted)


def test_grants_never_exceed_funds(cluster: Cluster) -> None:
    """Prepaid funds, then a postpaid credit limit, then partial grants: one storm each."""
    prepaid = cluster.create_customer(funds="10.00")
    _check_exact(cluster, prepaid, micros("10.00"), "0.25")

    postpaid = cluster.create_customer(postpaid=True, credit_limit="12.50")
    with cluster.client() as api:
        charged = api.post(
            f"/customers/{postpaid}/transactions",
            json={"type": "manual_charge", "amount": "2.50"},
        )
    assert charged.status_code == 201, charged.text
    _check_exact(cluster, postpaid, micros("10.00"), "0.25")

    # 0.30 asked, 0.05 accepted: 33 full grants, one partial grant of the last 0.10, no more.
    partial = cluster.create_customer(funds="10.00")
    answers = _storm(cluster, partial, {"amount": "0.3", "min_amount": "0.05", "service": SERVICE})
    granted = [micros(body["amount"]) for status, body in answers if status == 201]
    refused = [body for status, body in answers if status != 201]
    assert sorted(granted) == [micros("0.10")] + [micros("0.30")] * 33, sorted(granted)
    assert sum(granted) == micros("10.00")
    assert all(b["code"] == "insufficient_funds" for b in refused), refused
    assert len(refused) == CLIENTS * ATTEMPTS - 34
    snap = snapshot(cluster.database_url)
    check_ledger(snap)
    assert snap.customers[partial].available == 0
    assert snap.customers[prepaid].reserved == snap.customers[postpaid].reserved == micros("10")
    assert not cluster.server_errors(), cluster.server_errors()
