"""Names differing only in case, sent at once to two server processes: one is created, every
other is a 409 with the name's code (the unique index answers for the check that raced)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tests.concurrency.harness import Cluster, answer_of, connect, run_clients

CLIENTS = 8
VARIANTS = ["Über", "über", "ÜBER", "über ", " Über", "ü" + "ber", "ÜbeR", "übeR"]


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/business-models", "business_model_name_taken"),
        ("/customer-classes", "class_name_taken"),
        ("/customers", "customer_name_taken"),
        ("/custom-fields", "custom_field_name_taken"),
    ],
)
def test_one_of_many_same_names_at_once_is_created(cluster: Cluster, path: str, code: str) -> None:
    model = cluster.universal_model()

    def body(name: str) -> dict[str, Any]:
        if path == "/custom-fields":
            # Field names are lower-case ASCII identifiers: the race is on one spelling.
            return {"name": "tax_code", "label": name, "type": "text"}
        if path != "/customers":
            return {"name": name}
        return {
            "name": name,
            "currency": "USD",
            "business_model_id": model,
            "balance_control": "prepaid",
        }

    def client(index: int, barrier: threading.Barrier) -> tuple[int, Any]:
        with cluster.client(index) as api:
            connect(api)
            barrier.wait()
            response = api.post(path, json=body(VARIANTS[index % len(VARIANTS)]))
            return response.status_code, answer_of(response)

    answers = run_clients(CLIENTS, client)
    assert sorted(status for status, _ in answers) == [201] + [409] * (CLIENTS - 1), answers
    assert all(body["code"] == code for status, body in answers if status == 409), answers
    assert not cluster.server_errors(), cluster.server_errors()
