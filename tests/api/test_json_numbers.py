"""JSON numbers are read exactly: a number is the same amount as its string form, or refused
the same way, never rounded through a float on the way in."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from kassa.api.routing import ApiRoute
from tests.api.support import assert_problem
from tests.conftest import Api, customer_body

Unchanged = Callable[[], AbstractContextManager[None]]
NUMBER = "__number__"

# (JSON number text, the amount it is in a USD money field, or None when refused)
FORMS: list[tuple[str, str | None]] = [
    ("1.0000000000000000000000001", None),
    ("123456789012.123456789", None),
    ("1e2", "100.00"),
    ("1E-7", None),
    ("12.50", "12.50"),
    ("10.5", "10.50"),
    ("1e400", None),
    ("NaN", None),
    ("Infinity", None),
    ("-Infinity", None),
]


def send(api: Api, method: str, path: str, body: dict[str, Any], number: str) -> httpx.Response:
    """``body`` as JSON with the text ``number`` standing, unquoted, where NUMBER is."""
    raw = json.dumps(body).replace(f'"{NUMBER}"', number)
    return api.request(
        method, path, content=raw.encode(), headers={"content-type": "application/json"}
    )


@pytest.fixture
def customer(api: Api) -> int:
    created = api.post("/customers", customer_body(credit_limit="1000000.00"))
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


def test_a_transaction_amount_as_a_number_is_exact(
    api: Api, customer: int, nothing_changes: Unchanged, subtests: pytest.Subtests
) -> None:
    path = f"/customers/{customer}/transactions"
    for number, amount in FORMS:
        with subtests.test(number=number):
            body = {"type": "manual_charge", "amount": NUMBER}
            if amount is None:
                with nothing_changes():
                    refused = send(api, "POST", path, body, number)
                assert_problem(refused, 422, field="amount")
                as_text = api.post(path, {"type": "manual_charge", "amount": number})
                assert_problem(as_text, 422, field="amount")
            else:
                posted = send(api, "POST", path, body, number)
                assert posted.status_code == 201, posted.text
                assert posted.json()["amount"] == amount


def test_minus_zero_is_zero(api: Api, customer: int, nothing_changes: Unchanged) -> None:
    path = f"/customers/{customer}/transactions"
    with nothing_changes():
        refused = send(api, "POST", path, {"type": "payment", "amount": NUMBER}, "-0.0")
    body = assert_problem(refused, 422, field="amount")
    assert "greater than zero" in body["detail"]
    created = send(api, "POST", "/customers", customer_body(credit_limit=NUMBER), "-0.0")
    assert created.status_code == 201, created.text
    assert created.json()["credit_limit"] == "0.00"


def test_customer_amounts_as_numbers_are_exact(
    api: Api, nothing_changes: Unchanged, subtests: pytest.Subtests
) -> None:
    prepaid = {"balance_control": "prepaid", "credit_limit": ...}
    for field, overrides in (("credit_limit", {}), ("available_funds", prepaid)):
        for number, amount in FORMS:
            with subtests.test(field=field, number=number):
                body = customer_body(**overrides, **{field: NUMBER})
                if amount is None:
                    with nothing_changes():
                        refused = send(api, "POST", "/customers", body, number)
                    assert_problem(refused, 422, field=field)
                else:
                    created = send(api, "POST", "/customers", body, number)
                    assert created.status_code == 201, created.text
                    assert created.json()[field] == amount


def test_authorization_amounts_as_numbers_are_exact(
    api: Api, customer: int, nothing_changes: Unchanged, subtests: pytest.Subtests
) -> None:
    reserve = f"/customers/{customer}/authorizations"
    rated = [
        ("1.0000001", None),
        ("1.000000000000000000000001", None),
        ("0.000001", "0.000001"),
        ("1e-6", "0.000001"),
        ("2.5E1", "25.00"),
        ("1e400", None),
        ("NaN", None),
    ]
    for field in ("amount", "min_amount"):
        for number, amount in rated:
            with subtests.test(field=field, number=number):
                body: dict[str, Any] = {"amount": "30", "service": "voice", field: NUMBER}
                answer = send(api, "POST", reserve, body, number)
                if amount is None:
                    assert_problem(answer, 422, field=field)
                else:
                    assert answer.status_code == 201, answer.text
    held = api.post(reserve, {"amount": "5", "service": "voice"}).json()["id"]
    for verb in ("extend", "commit"):
        with nothing_changes():
            refused = send(
                api, "POST", f"/authorizations/{held}/{verb}", {"amount": NUMBER}, "1e-7"
            )
        assert_problem(refused, 422, field="amount")
    committed = send(api, "POST", f"/authorizations/{held}/commit", {"amount": NUMBER}, "2.5")
    assert committed.status_code == 200, committed.text
    assert committed.json()["committed_amount"] == "2.50"


def test_usage_amounts_as_numbers_are_exact(api: Api, customer: int) -> None:
    record = {
        "customer_id": customer,
        "service": "voice",
        "amount": NUMBER,
        "occurred_at": "2026-11-01T10:00:00Z",
        "external_id": "cdr-1",
    }
    refused = send(api, "POST", "/usage", {"records": [record]}, "0.0150000000000000000001")
    result = refused.json()["results"][0]
    assert result["status"] == "rejected", refused.text
    assert result["errors"][0]["field"] == "records[0].amount"
    posted = send(api, "POST", "/usage", {"records": [record]}, "0.015")
    assert posted.json()["results"][0]["status"] == "posted", posted.text


def test_numbers_elsewhere_keep_their_meaning(api: Api, customer: int) -> None:
    reserve = f"/customers/{customer}/authorizations"
    body = {"amount": "1", "service": "voice", "ttl_seconds": NUMBER}
    assert send(api, "POST", reserve, body, "60").status_code == 201
    assert_problem(send(api, "POST", reserve, body, "60.5"), 422, field="ttl_seconds")
    assert_problem(send(api, "POST", reserve, body, "1" * 5000), 422)
    created = send(
        api,
        "POST",
        "/customer-classes",
        {"name": "Warned", "credit_limit_warnings": [NUMBER]},
        "75.5",
    )
    assert created.status_code == 201, created.text
    assert created.json()["credit_limit_warnings"] == ["75.5"]


def test_every_api_route_reads_json_exactly(client: TestClient) -> None:
    from fastapi.routing import iter_route_contexts

    api_routes = [
        getattr(route, "original_route", route)
        for route in iter_route_contexts(client.app.routes)  # type: ignore[attr-defined]
        if (route.path or "").startswith("/api/")
    ]
    assert len(api_routes) > 30
    assert all(isinstance(route, ApiRoute) for route in api_routes), [
        route.path for route in api_routes if not isinstance(route, ApiRoute)
    ]
