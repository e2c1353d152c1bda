"""The OpenAPI document tells the truth about errors and auth: every client error an operation
can answer is problem+json, and every operation but GET /health needs the bearer token."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

PROBLEM_CONTENT = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
BEARER = [{"bearerAuth": []}]


@pytest.fixture
def document(client: TestClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200, response.text
    schema: dict[str, Any] = response.json()
    return schema


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            yield method.upper(), path, operation


def test_fastapi_validation_errors_are_gone(document: dict[str, Any]) -> None:
    text = json.dumps(document)
    assert "HTTPValidationError" not in text
    assert "ValidationError" not in document["components"]["schemas"]
    assert "application/json" not in json.dumps(
        [
            response.get("content", {})
            for _, _, operation in _operations(document)
            for status, response in operation["responses"].items()
            if status.startswith("4")
        ]
    )


def test_the_problem_schema_is_kassas(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    problem = schemas["Problem"]
    assert problem["type"] == "object"
    assert set(problem["required"]) == {"type", "title", "status", "detail", "code", "errors"}
    assert problem["properties"]["status"]["type"] == "integer"
    assert problem["properties"]["errors"]["items"] == {
        "$ref": "#/components/schemas/ProblemFieldError"
    }
    # The members some problems add: documented, never required.
    for extra in ("available_funds", "customer_status"):
        assert problem["properties"][extra]["type"] == "string"
        assert extra not in problem["required"]
    assert set(schemas["ProblemFieldError"]["required"]) == {"field", "message"}


def test_every_client_error_is_a_problem(document: dict[str, Any]) -> None:
    seen = 0
    for method, path, operation in _operations(document):
        for status, response in operation["responses"].items():
            if status.startswith("4"):
                seen += 1
                assert response["content"] == PROBLEM_CONTENT, (method, path, status)
                assert response["description"], (method, path, status)
    assert seen > 200


def test_bearer_auth_on_every_operation_but_health(document: dict[str, Any]) -> None:
    assert document["components"]["securitySchemes"]["bearerAuth"]["type"] == "http"
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    for method, path, operation in _operations(document):
        responses = operation["responses"]
        if (method, path) == ("GET", "/health"):
            assert "security" not in operation
            assert set(responses) == {"200"}
            continue
        assert operation["security"] == BEARER, (method, path)
        assert "401" in responses, (method, path)
        assert responses["401"]["headers"]["WWW-Authenticate"]["required"] is True
        # Only the API's health check asks for no particular role.
        if path != "/api/v1/health":
            assert "403" in responses, (method, path)


def test_client_errors_follow_from_the_operation(document: dict[str, Any]) -> None:
    for method, path, operation in _operations(document):
        responses = operation["responses"]
        parameters = operation.get("parameters", [])
        where = (method, path)
        if any(p["in"] == "path" for p in parameters):
            assert "404" in responses, where
        if parameters or "requestBody" in operation:
            assert "422" in responses, where
        if "requestBody" in operation:
            assert "413" in responses, where
        if method in ("POST", "PUT", "PATCH", "DELETE"):
            assert "409" in responses, where
        if method == "GET" and not parameters:
            assert "422" not in responses, where


def test_reservations_document_insufficient_funds(document: dict[str, Any]) -> None:
    for path in (
        "/api/v1/customers/{customer_id}/authorizations",
        "/api/v1/authorizations/{authorization_id}/extend",
    ):
        responses = document["paths"][path]["post"]["responses"]
        assert responses["402"]["content"] == PROBLEM_CONTENT
        assert "available_funds" in responses["402"]["description"]
        assert "customer_status" in responses["403"]["description"]
    assert "402" not in document["paths"]["/api/v1/customers"]["post"]["responses"]


def test_documents_and_idempotent_calls_are_described(document: dict[str, Any]) -> None:
    pdf = document["paths"]["/api/v1/invoices/{invoice_id}.pdf"]["get"]["responses"]
    assert set(pdf["200"]["content"]) == {"application/pdf"}
    assert pdf["200"]["headers"]["Content-Disposition"]["required"] is True
    html = document["paths"]["/api/v1/invoices/{invoice_id}.html"]["get"]["responses"]
    assert set(html["200"]["content"]) == {"text/html"}
    for answers in (pdf, html):
        assert "409" in answers  # the class's invoice template is missing or broken
    reserve = document["paths"]["/api/v1/customers/{customer_id}/authorizations"]["post"]
    assert "Idempotent-Replayed" in reserve["responses"]["201"]["headers"]
    for method, path, operation in _operations(document):
        if "204" in operation["responses"]:
            assert "content" not in operation["responses"]["204"], (method, path)


def test_operation_ids_are_the_endpoints_names(document: dict[str, Any]) -> None:
    ids = [operation["operationId"] for _, _, operation in _operations(document)]
    assert [name for name, count in Counter(ids).items() if count > 1] == []
    create = document["paths"]["/api/v1/customers"]["post"]
    assert create["operationId"] == "create_customer"
