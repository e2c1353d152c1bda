"""RFC 9457 problem+json: the one place domain errors become HTTP answers."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from kassa.core.errors import KassaError, RetryLater

PROBLEM_JSON = "application/problem+json"

HTTP_CODES = {
    400: ("bad_request", "Bad request"),
    401: ("unauthorized", "Authentication required"),
    403: ("forbidden", "Forbidden"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    406: ("not_acceptable", "Not acceptable"),
    413: ("payload_too_large", "Request body too large"),
    415: ("unsupported_media_type", "Unsupported media type"),
    422: ("validation_failed", "Invalid input"),
}


def problem(
    status: int,
    title: str,
    detail: str,
    code: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"https://kassa.dev/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "errors": errors or [],
    }
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def kassa_error_response(error: KassaError) -> JSONResponse:
    status = error.http_status
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if isinstance(error, RetryLater):
        headers = {"Retry-After": str(error.retry_after)}
    return problem(
        status,
        error.title,
        error.detail,
        error.code,
        [e.as_json() for e in error.errors],
        headers,
        **error.extra,
    )


def _field_name(loc: tuple[int | str, ...]) -> str:
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    name = ""
    for part in parts:
        if isinstance(part, int):
            name += f"[{part}]"
        elif part in ("function-before", "function-after") or "[" in str(part):
            continue
        else:
            name += f".{part}" if name else str(part)
    return name or "body"


def _message(error: dict[str, Any]) -> str:
    message = str(error.get("msg", "is invalid"))
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            message = message[len(prefix) :]
    if error.get("type") == "missing":
        return "is required"
    if error.get("type") == "extra_forbidden":
        return "is not a field of this request"
    return message


def validation_response(exc: RequestValidationError) -> JSONResponse:
    errors = []
    for error in exc.errors():
        if error.get("type") == "json_invalid":
            return problem(
                422,
                "Malformed JSON",
                "the request body is not valid JSON",
                "malformed_json",
                [{"field": "body", "message": str(error.get("msg", "invalid JSON"))}],
            )
        errors.append(
            {"field": _field_name(tuple(error.get("loc", ()))), "message": _message(error)}
        )
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return problem(422, "Invalid input", detail, "validation_failed", errors)


def install(app: FastAPI) -> None:
    @app.exception_handler(KassaError)
    async def _kassa(_request: Request, exc: KassaError) -> JSONResponse:
        return kassa_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_response(exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, title = HTTP_CODES.get(exc.status_code, ("http_error", "Request failed"))
        return problem(
            exc.status_code, title, str(exc.detail), code, headers=getattr(exc, "headers", None)
        )
