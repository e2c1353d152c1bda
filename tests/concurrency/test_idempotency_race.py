"""One Idempotency-Key, many identical requests at once: the work is done exactly once and
every client gets the first answer; the key with another body is refused."""

from __future__ import annotations

import json
import threading
from typing import Any

from tests.concurrency.clients import post_from_processes
from tests.concurrency.harness import (
    SERVICE,
    Cluster,
    answer_of,
    check_ledger,
    connect,
    micros,
    new_key,
    parse,
    run_clients,
    snapshot,
)

CLIENTS = 32


def _race_threads(
    cluster: Cluster, path: str, body: dict[str, Any] | None, keys: list[str]
) -> list[tuple[int, dict[str, Any], bool]]:
    """Client i posts with ``keys[i % len(keys)]``; returns (status, body, replayed)."""

    def client(index: int, barrier: threading.Barrier) -> tuple[int, dict[str, Any], bool]:
        with cluster.client(index) as api:
            connect(api)
            barrier.wait()
            response = api.post(
                path, json=body, headers={"Idempotency-Key": keys[index % len(keys)]}
            )
            replayed = response.headers.get("idempotent-replayed") == "true"
            return response.status_code, answer_of(response), replayed

    return run_clients(CLIENTS, client)


def _one_answer(answers: list[tuple[int, dict[str, Any], bool]], status: int) -> dict[str, Any]:
    assert {a[0] for a in answers} == {status}, answers
    bodies = {json.dumps(a[1], sort_keys=True) for a in answers}
    assert len(bodies) == 1, bodies
    # The request that did the work answers first-hand; every other one is a replay.
    assert sum(1 for a in answers if not a[2]) == 1, answers
    return answers[0][1]


def _payments_from_processes(cluster: Cluster) -> None:
    """32 processes send one payment with one key at once: it posts once."""
    customer = cluster.create_customer(postpaid=True, credit_limit=None)
    key = new_key()
    path = f"/customers/{customer}/transactions"
    body = {"type": "payment", "amount": "12.34", "visible_comment": "one key, 32 senders"}
    answers = post_from_processes(
        [url + "/api/v1" for url in cluster.urls],
        path,
        body,
        {"Idempotency-Key": key, "Authorization": f"Bearer {cluster.token}"},
        CLIENTS,
    )
    parsed = [
        (status, parse(text), headers.get("idempotent-replayed") == "true")
        for status, text, headers in answers
    ]
    payment = _one_answer(parsed, 201)
    assert micros(payment["balance_after"]) == -micros("12.34")

    with cluster.client(1) as api:
        replay = api.post(path, json=body, headers={"Idempotency-Key": key})
        assert replay.status_code == 201 and replay.json() == payment
        reused = api.post(path, json={**body, "amount": "12.35"}, headers={"Idempotency-Key": key})
        assert reused.status_code == 409, reused.text
        assert reused.json()["code"] == "idempotency_key_reused"

    snap = snapshot(cluster.database_url)
    check_ledger(snap)
    entries = snap.entries[customer]
    assert [e["id"] for e in entries] == [payment["id"]]
    assert snap.customers[customer].balance == -micros("12.34")
    assert sum(1 for k in snap.idempotency_keys if k["key"] == key) == 1


def _authorization_calls_from_threads(cluster: Cluster) -> None:
    """Funds for exactly one reservation and 32 identical reserves with one key: all get that
    reservation. Then commits under two keys at once: one key commits, once."""
    customer = cluster.create_customer(funds="5.00")
    reserve_key = new_key()
    answers = _race_threads(
        cluster,
        f"/customers/{customer}/authorizations",
        {"amount": "5.00", "service": SERVICE, "session_id": "race"},
        [reserve_key],
    )
    reservation = _one_answer(answers, 201)
    assert micros(reservation["available_funds"]) == 0

    # Two keys, 16 clients each, commit the same reservation at once: one key's clients all
    # get its commit; the other key's clients all find the reservation already committed.
    keys = [new_key(), new_key()]
    answers = _race_threads(
        cluster, f"/authorizations/{reservation['id']}/commit", {"amount": "4.123456"}, keys
    )
    won = [a for a in answers if a[0] == 200]
    lost = [a for a in answers if a[0] != 200]
    assert {i % 2 for i, a in enumerate(answers) if a[0] == 200} in ({0}, {1}), answers
    committed = _one_answer(won, 200)
    assert len(won) == len(lost) == CLIENTS // 2
    assert committed["status"] == "committed" and committed["transaction_id"]
    for status, body, _ in lost:
        assert status == 409 and body["code"] == "authorization_not_open", body

    with cluster.client() as api:
        reused = api.post(
            f"/customers/{customer}/authorizations",
            json={"amount": "5.01", "service": SERVICE, "session_id": "race"},
            headers={"Idempotency-Key": reserve_key},
        )
        assert reused.status_code == 409 and reused.json()["code"] == "idempotency_key_reused"

    snap = snapshot(cluster.database_url)
    check_ledger(snap)
    assert list(snap.authorizations) == [reservation["id"]]
    usage = [e for e in snap.entries[customer] if e["type"] == "usage"]
    assert [e["id"] for e in usage] == [committed["transaction_id"]]
    assert usage[0]["amount_micros"] == micros("4.123456")
    assert snap.customers[customer].reserved == 0
    assert snap.customers[customer].balance == micros("4.123456") - micros("5.00")


def test_one_key_does_the_work_once(cluster: Cluster) -> None:
    _payments_from_processes(cluster)
    _authorization_calls_from_threads(cluster)
    assert not cluster.server_errors(), cluster.server_errors()
