"""Every operation in /openapi.json answers as the document says, on both backends.

Schemathesis fuzzes each operation as the admin: whatever it sends, the answer is no server
error, and its status code, content type, headers and body are the ones documented for it. The
operations run one after another on one database that already holds one of each resource, so
generated ids meet real rows and later operations meet what earlier ones created. Two plain
passes check what fuzzing meets only by chance: a read of each seeded resource, and every
operation without a token.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from kassa.app import create_app
from kassa.core.clock import utcnow
from kassa.core.settings import Settings
from kassa.db.engine import Database
from tests.conftest import ADMIN_TOKEN, Api, customer_body
from tests.rating_rows import make_product
from tests.subscriptions.support import make_plan

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
PROBLEM_KEYS = {"type", "title", "status", "detail", "code", "errors"}
EXAMPLES_PER_OPERATION = 20


def problem_details_on_client_errors(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    """Every 4xx of the API is RFC 9457 problem+json with Kassa's fields."""
    if not 400 <= response.status_code < 500:
        return None
    content_type = response.headers.get("content-type", [""])[0]
    assert content_type.startswith("application/problem+json"), content_type
    body = response.json()
    assert set(body) >= PROBLEM_KEYS, body
    assert body["status"] == response.status_code, body
    return True


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    problem_details_on_client_errors,
]


def _created(api: Api, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post(path, body)
    assert response.status_code == 201, f"{path}: {response.text}"
    created: dict[str, Any] = response.json()
    return created


def seed(api: Api) -> dict[str, Any]:
    """One of each resource, by the name of the path parameter that reaches it."""
    customer = _created(api, "/customers", customer_body())
    _created(
        api, f"/customers/{customer['id']}/transactions", {"type": "manual_charge", "amount": "3"}
    )
    held = _created(
        api, f"/customers/{customer['id']}/authorizations", {"amount": "1", "service": "voice"}
    )
    # The day after the customer's first period ends: one invoice, whatever today is.
    run = _created(api, "/billing-runs", {"as_of": f"{customer['next_billing_date']}T12:00:00Z"})
    [invoice] = api.get(f"/customers/{customer['id']}/invoices").json()["items"]
    note = _created(
        api,
        f"/invoices/{invoice['id']}/credit-notes",
        {"lines": [{"description": "Seeded", "amount": "1"}]},
    )
    user = _created(api, "/users", {"username": "seeded", "role": "viewer", "password": "p" * 12})
    token = _created(api, f"/users/{user['id']}/tokens", {"name": "seeded"})
    endpoint = _created(
        api,
        "/webhook-endpoints",
        {"url": "https://hooks.example/kassa", "events": ["invoice_issued"]},
    )
    field = _created(api, "/custom-fields", {"name": "tax_code", "label": "Tax", "type": "text"})
    customer_class = _created(api, "/customer-classes", {"name": "Seeded"})
    model = api.get("/business-models").json()["items"][0]
    tariff = _created(
        api, "/tariffs", {"name": "Seeded", "currency": "USD", "service": "voice", "unit": "second"}
    )
    rate = _created(
        api, f"/tariffs/{tariff['id']}/rates", {"prefix": "44", "price": "1", "per": 60}
    )
    product = _created(
        api,
        "/products",
        {
            "name": "Seeded",
            "currency": "USD",
            "rating": [{"service": "voice", "tariff_id": tariff["id"]}],
        },
    )
    plan = _created(
        api, "/subscription-plans", {"name": "Seeded", "currency": "USD", "periodic_fee": "9"}
    )
    return {
        "plan_id": plan["id"],
        "customer_id": customer["id"],
        "authorization_id": held["id"],
        "run_id": run["id"],
        "invoice_id": invoice["id"],
        "credit_note_id": note["id"],
        "user_id": user["id"],
        "token_id": token["id"],
        # A sign-in lockout is named by its scope and key (a username or an address).
        "scope": "user",
        "key": "seeded",
        "endpoint_id": endpoint["id"],
        "field_id": field["id"],
        "class_id": customer_class["id"],
        "model_id": model["id"],
        "code": "USD",
        "tariff_id": tariff["id"],
        "rate_id": rate["id"],
        "product_id": product["id"],
    }


def seed_account(api: Api, db: Database, customer_id: int) -> int:
    body = {"identifier": "+420601000000", "product_id": make_product(db, "USD")}
    return int(_created(api, f"/customers/{customer_id}/accounts", body)["id"])


def seed_subscription(api: Api, db: Database) -> int:
    # A customer of its own: the seeded one's open period starts after the run above.
    customer = _created(api, "/customers", customer_body())
    body = {"plan_id": make_plan(db, "Seeded plan")}
    return int(_created(api, f"/customers/{customer['id']}/subscriptions", body)["id"])


@pytest.fixture
def seeded(settings: Settings, db: Database) -> Iterator[tuple[FastAPI, dict[str, Any]]]:
    app = create_app(settings, db)
    with TestClient(app) as client:
        ids = seed(Api(client))
        ids["account_id"] = seed_account(Api(client), db, ids["customer_id"])
        ids["subscription_id"] = seed_subscription(Api(client), db)
    # Schemathesis calls the app without its lifespan, whose end stopped the background runs:
    # start them again, so that runs the fuzzer starts with "wait": false really run, and stop
    # them before the database goes.
    app.state.background_runs.start()
    yield app, ids
    app.state.background_runs.stop()


# Where the fuzzer may take its own access away (revoke the admin's token, say): fuzzed last,
# so that every other operation is fuzzed as the admin rather than answered 401.
ACCESS_PATHS = ("/api/v1/users", "/api/v1/tokens")


def _operations(app: FastAPI) -> list[schemathesis.APIOperation]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 10, [o.label for o in operations]
    return sorted(operations, key=lambda o: o.path.startswith(ACCESS_PATHS))


def _path_parameters(operation: schemathesis.APIOperation, ids: dict[str, Any]) -> dict[str, Any]:
    names = [p.name for p in operation.path_parameters]
    missing = [name for name in names if name not in ids]
    assert not missing, f"{operation.label}: seed() has nothing for {missing}"
    return {name: ids[name] for name in names}


def _within_reach(case: schemathesis.Case) -> bool:
    """Whether a billing run the case may start ends in seconds: one as of centuries ahead
    closes every period of every customer until then. The fuzzer still sends ``as_of`` up to
    twice the horizon (a year ahead) that Kassa accepts."""
    body = case.body if isinstance(case.body, dict) else {}
    as_of = body.get("as_of") if "billing-runs" in case.operation.path else None
    if not isinstance(as_of, str):
        return True
    try:
        moment = datetime.fromisoformat(as_of)
    except ValueError:
        return True
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment < utcnow() + timedelta(days=730)


def _fuzz(operation: schemathesis.APIOperation) -> str | None:
    """The first failing request and its error, or None."""
    seen: list[str] = []

    @given(case=operation.as_strategy().filter(_within_reach))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
        report_multiple_bugs=False,
        # Shrinking replays requests against a database the first failure already changed;
        # the first failing request, reported as sent, is the useful part.
        phases=[Phase.explicit, Phase.generate],
    )
    def run(case: schemathesis.Case) -> None:
        try:
            response = case.call(headers=AUTH)
            case.validate_response(response, checks=CHECKS)
        except Exception as exc:
            if not seen:
                seen.append(f"{case.as_curl_command()}\n{type(exc).__name__}: {exc}")
            raise

    try:
        run()
    except Exception as exc:
        # The database keeps what earlier examples wrote, so a replay may pass ("flaky"):
        # report the first failure as it happened.
        return seen[0] if seen else f"{type(exc).__name__}: {exc}"
    return None


def _failure(case: schemathesis.Case, response: Any) -> str | None:
    """Whether ``response``, the answer to ``case``, is as the document says."""
    try:
        case.validate_response(response, checks=CHECKS)
    except Exception as exc:
        return f"{case.as_curl_command()}\n{type(exc).__name__}: {exc}"
    return None


@pytest.mark.slow
def test_fuzzed_requests_are_answered_as_documented(
    seeded: tuple[FastAPI, dict[str, Any]],
) -> None:
    app, _ids = seeded
    failures = []
    for operation in _operations(app):
        failure = _fuzz(operation)
        if failure is not None:
            failures.append(f"{operation.label}:\n{failure}")
    assert not failures, "\n\n".join(failures)


def test_every_seeded_resource_reads_as_documented(
    seeded: tuple[FastAPI, dict[str, Any]],
) -> None:
    app, ids = seeded
    failures = []
    reads = [o for o in _operations(app) if o.method.upper() == "GET"]
    for operation in reads:
        case = operation.Case(path_parameters=_path_parameters(operation, ids))
        response = case.call(headers=AUTH)
        if response.status_code != 200:
            failures.append(f"{operation.label}: {response.status_code} {response.text[:500]}")
        failure = _failure(case, response)
        if failure is not None:
            failures.append(f"{operation.label}:\n{failure}")
    assert len(reads) > 20
    assert not failures, "\n\n".join(failures)


def test_every_operation_without_a_token_answers_as_documented(
    seeded: tuple[FastAPI, dict[str, Any]],
) -> None:
    app, ids = seeded
    failures = []
    for operation in _operations(app):
        case = operation.Case(path_parameters=_path_parameters(operation, ids))
        response = case.call()
        public = operation.label == "GET /health"
        if response.status_code != (200 if public else 401):
            failures.append(f"{operation.label}: {response.status_code} {response.text[:500]}")
        failure = _failure(case, response)
        if failure is not None:
            failures.append(f"{operation.label}:\n{failure}")
    assert not failures, "\n\n".join(failures)
