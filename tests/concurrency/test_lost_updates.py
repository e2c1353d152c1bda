"""No update is lost: many clients paying into one customer at once, over two servers."""

from __future__ import annotations

import threading

from tests.concurrency.harness import (
    Cluster,
    check_ledger,
    connect,
    micros,
    new_key,
    run_clients,
    snapshot,
)

CLIENTS = 32
PAYMENTS = 10  # per client


def test_hot_customer_loses_no_payment(cluster: Cluster) -> None:
    customer = cluster.create_customer(postpaid=True, credit_limit="100.00")
    path = f"/customers/{customer}/transactions"
    cent = micros("0.01")

    def client(index: int, barrier: threading.Barrier) -> list[tuple[int, int]]:
        seen = []
        with cluster.client(index) as api:
            connect(api)
            barrier.wait()
            for n in range(PAYMENTS):
                # Half the payments carry a key (the idempotent path), half do not.
                headers = {"Idempotency-Key": new_key()} if (index + n) % 2 else {}
                response = api.post(
                    path, json={"type": "payment", "amount": "0.01"}, headers=headers
                )
                assert response.status_code == 201, response.text
                body = response.json()
                seen.append((body["id"], micros(body["balance_after"])))
        return seen

    answers = [answer for answers in run_clients(CLIENTS, client) for answer in answers]
    total = CLIENTS * PAYMENTS
    assert len({entry_id for entry_id, _ in answers}) == total
    # Every payment saw its own balance: each intermediate value exactly once.
    assert sorted(after for _, after in answers) == [-cent * n for n in range(total, 0, -1)]

    snap = snapshot(cluster.database_url)
    check_ledger(snap)
    assert snap.customers[customer].balance == -cent * total
    entries = snap.entries[customer]
    assert len(entries) == total
    assert sorted(e["id"] for e in entries) == sorted(entry_id for entry_id, _ in answers)
    assert not cluster.server_errors(), cluster.server_errors()
