"""The OpenAPI document as Kassa answers: every 4xx is problem+json, and every operation but
GET /health needs the bearer token.

FastAPI documents what a route returns when it succeeds, its parameters and, from the
``bearerAuth`` dependency, its security. The client errors an operation can answer follow from
those, so they are derived here once for every route instead of being declared route by route:

- 401 for an operation that needs a token, 403 when it also checks the role;
- 404 for one with a path parameter (an id that does not exist);
- 409 for one that writes (a name taken, a state that forbids the change);
- 413 for one that takes a body (larger than ``KASSA_MAX_BODY_BYTES``);
- 422 for one that takes any input at all.

A route declares the rest, 402 or 429 say, with ``responses={402: {"description": ...}}``;
whatever the source, each 4xx gets the problem+json content.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from kassa.api.deps import PermissionCheck
from kassa.api.problems import PROBLEM_JSON

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
# What FastAPI documents for its own validation errors, which Kassa never sends.
FASTAPI_ERROR_SCHEMAS = ("HTTPValidationError", "ValidationError")
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

PROBLEM_SCHEMAS: dict[str, Any] = {
    "Problem": {
        "title": "Problem",
        "description": "An RFC 9457 problem: why the request was refused. Nothing was changed.",
        "type": "object",
        "required": ["type", "title", "status", "detail", "code", "errors"],
        "properties": {
            "type": {"type": "string", "description": "A URI naming the kind of problem"},
            "title": {"type": "string"},
            "status": {"type": "integer", "description": "The HTTP status code"},
            "detail": {"type": "string", "description": "What went wrong, for a person"},
            "code": {
                "type": "string",
                "description": "Stable snake_case name of the problem, for programs",
            },
            "errors": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/ProblemFieldError"},
                "description": "The fields at fault, each with what is wrong with it",
            },
            "available_funds": {
                "type": "string",
                "description": "402 insufficient_funds: what the customer has available",
            },
            "currency": {
                "type": "string",
                "description": "402 insufficient_funds: the currency of available_funds",
            },
            "customer_status": {
                "type": "string",
                "description": "403 customer_not_active: the customer's status",
            },
            "authorization_status": {
                "type": "string",
                "description": "409 authorization_not_open: the authorization's status",
            },
        },
    },
    "ProblemFieldError": {
        "title": "ProblemFieldError",
        "type": "object",
        "required": ["field", "message"],
        "properties": {
            "field": {"type": "string", "description": "The field, e.g. credit_limit or lines[0]"},
            "message": {"type": "string"},
            "line": {
                "type": "integer",
                "description": "In an uploaded file: the line at fault (the header is line 1)",
            },
            "column": {
                "type": "string",
                "description": "In an uploaded file: the column at fault, by its header name",
            },
        },
    },
}

DESCRIPTIONS: dict[int | None, str] = {
    401: "No token, or the token is unknown or revoked",
    402: "Insufficient funds",
    403: "The token's role may not do this",
    404: "Nothing has this id",
    409: "Conflicts with the current state",
    413: "The request body is too large",
    422: "Invalid input: `errors` names each field at fault",
    429: "Too many requests: try again later",
}
# What FastAPI writes for responses nobody described.
GENERATED_DESCRIPTIONS = {"Validation Error", "Additional Response", "Successful Response"}

UNAUTHORIZED_HEADERS = {
    "WWW-Authenticate": {
        "description": "The scheme to authenticate with: Bearer",
        "required": True,
        "schema": {"type": "string"},
    }
}
REPLAYED_HEADERS = {
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored answer to an earlier request with the key",
        "schema": {"type": "string", "enum": ["true"]},
    }
}


def operation_id(route: APIRoute) -> str:
    """The endpoint's name: a generated client's function is ``create_customer``, not
    ``create_customer_api_v1_customers_post``."""
    return route.name


def install(app: FastAPI) -> None:
    """``app.openapi()`` (and so /openapi.json and /docs) serves the document described above."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        schema = generate()
        # FastAPI keeps the document it generated and returns it again; document it once.
        if "Problem" not in schema.get("components", {}).get("schemas", {}):
            document_problems(schema, app)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def document_problems(schema: dict[str, Any], app: FastAPI) -> None:
    paths: dict[str, dict[str, Any]] = schema.get("paths", {})
    for route in _api_routes(app):
        for method in sorted(route.methods or ()):
            operation = paths.get(route.path_format, {}).get(method.lower())
            if operation is not None:
                _add_derived_problems(operation, method, route.dependant)
    for operations in paths.values():
        for operation in operations.values():
            _problem_content(operation)
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name in FASTAPI_ERROR_SCHEMAS:
        schemas.pop(name, None)
    schemas.update(PROBLEM_SCHEMAS)
    components["schemas"] = dict(sorted(schemas.items()))


def _api_routes(app: FastAPI) -> Iterator[Any]:
    """The documented API routes, as served (newer FastAPI keeps included routers lazily)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI before route contexts: the routes are flat already
        routes: Any = app.routes
    else:
        routes = iter_route_contexts(app.routes)
    for route in routes:
        original = getattr(route, "original_route", route)
        if isinstance(original, APIRoute) and route.include_in_schema:
            yield route


def _checks_permission(dependant: Dependant) -> bool:
    return isinstance(dependant.call, PermissionCheck) or any(
        _checks_permission(sub) for sub in dependant.dependencies
    )


def _add_derived_problems(operation: dict[str, Any], method: str, dependant: Dependant) -> None:
    parameters = operation.get("parameters", [])
    has_body = "requestBody" in operation
    derived = {
        401: bool(operation.get("security")),
        403: _checks_permission(dependant),
        404: any(p.get("in") == "path" for p in parameters),
        409: method in WRITE_METHODS,
        413: has_body,
        422: has_body or bool(parameters),
    }
    responses = operation.setdefault("responses", {})
    for status, applies in derived.items():
        if applies:
            responses.setdefault(str(status), {})
    if any(p.get("in") == "header" and p.get("name") == "Idempotency-Key" for p in parameters):
        for status, response in responses.items():
            if status.startswith("2"):
                response.setdefault("headers", {}).update(REPLAYED_HEADERS)


def _problem_content(operation: dict[str, Any]) -> None:
    responses: dict[str, dict[str, Any]] = operation.get("responses", {})
    for status, response in responses.items():
        if not status.startswith("4"):
            continue
        if response.get("description") in (None, "", *GENERATED_DESCRIPTIONS):
            code = int(status) if status.isdigit() else None
            response["description"] = DESCRIPTIONS.get(code, "The request was refused")
        response["content"] = {PROBLEM_JSON: {"schema": PROBLEM_REF}}
        if status == "401":
            response.setdefault("headers", {}).update(UNAUTHORIZED_HEADERS)
    operation["responses"] = dict(sorted(responses.items()))
