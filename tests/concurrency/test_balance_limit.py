"""The balance limit holds under concurrency: with room for exactly N large charges and many
more posted at once, across two server processes, exactly N post and the rest are 422."""

from __future__ import annotations

import threading
from typing import Any

from kassa.core.money import MAX_BALANCE_MICROS
from tests.concurrency.harness import (
    Cluster,
    answer_of,
    check_ledger,
    connect,
    micros,
    run_clients,
    snapshot,
)

CLIENTS = 8
EACH = "999999999999"


def test_concurrent_charges_stop_exactly_at_the_balance_limit(cluster: Cluster) -> None:
    customer = cluster.create_customer(postpaid=True)

    def client(index: int, barrier: threading.Barrier) -> tuple[int, Any]:
        with cluster.client(index) as api:
            connect(api)
            barrier.wait()
            response = api.post(
                f"/customers/{customer}/transactions",
                json={"type": "manual_charge", "amount": EACH},
            )
            return response.status_code, answer_of(response)

    answers = run_clients(CLIENTS, client)
    expected = MAX_BALANCE_MICROS // micros(EACH)
    posted = [body for status, body in answers if status == 201]
    refused = [body for status, body in answers if status != 201]
    assert len(posted) == expected, answers
    for body in refused:
        assert body["status"] == 422 and body["code"] == "amount_too_large", body
        assert body["errors"][0]["field"] == "amount", body
    # Each posting saw a different balance: serialized, none lost or posted twice.
    after = sorted(micros(body["balance_after"]) for body in posted)
    assert after == [micros(EACH) * n for n in range(1, expected + 1)], after
    snap = snapshot(cluster.database_url)
    check_ledger(snap)
    assert snap.customers[customer].balance == expected * micros(EACH) <= MAX_BALANCE_MICROS
    assert not cluster.server_errors(), cluster.server_errors()
