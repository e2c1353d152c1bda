"""Domain errors. Each carries a stable ``code``, and the HTTP status both adapters (the JSON
API and the web UI) answer it with: the one error-to-status table is these classes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str
    # Where in an uploaded file (a CSV import): its line, the header being line 1, and column.
    line: int | None = None
    column: str | None = None

    def as_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {"field": self.field, "message": self.message}
        if self.line is not None:
            found["line"] = self.line
        if self.column is not None:
            found["column"] = self.column
        return found


class KassaError(Exception):
    code: str = "error"
    title: str = "Request failed"
    http_status: int = 400

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        errors: list[FieldError] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        self.errors = errors or []
        self.extra = extra or {}


class NotFound(KassaError):
    code = "not_found"
    title = "Not found"
    http_status = 404


class Conflict(KassaError):
    """The request is well formed but breaks a rule given the current state."""

    code = "conflict"
    title = "Conflict"
    http_status = 409


class ValidationFailed(KassaError):
    code = "validation_failed"
    title = "Invalid input"
    http_status = 422

    @classmethod
    def field(cls, field: str, message: str, *, code: str | None = None) -> ValidationFailed:
        return cls(f"{field}: {message}", code=code, errors=[FieldError(field, message)])


class InsufficientFunds(KassaError):
    code = "insufficient_funds"
    title = "Insufficient funds"
    http_status = 402


class Forbidden(KassaError):
    code = "forbidden"
    title = "Forbidden"
    http_status = 403


class Unauthorized(KassaError):
    code = "unauthorized"
    title = "Authentication required"
    http_status = 401


class RetryLater(KassaError):
    """Refused for now; the same request may succeed after ``retry_after`` seconds."""

    def __init__(self, detail: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(detail, code=code, extra={"retry_after": retry_after})
        self.retry_after = retry_after


class TooManyAttempts(RetryLater):
    code = "too_many_attempts"
    title = "Too many attempts"
    http_status = 429


class Overloaded(RetryLater):
    """The server is busy with this kind of work; nothing was done."""

    code = "overloaded"
    title = "Busy"
    http_status = 503


class FieldErrors:
    """Collects every field error of one input so the caller hears about all of them at once."""

    def __init__(self) -> None:
        self.items: list[FieldError] = []

    def add(self, field: str, message: str) -> None:
        self.items.append(FieldError(field, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self, code: str | None = None) -> None:
        if self.items:
            detail = "; ".join(f"{e.field}: {e.message}" for e in self.items)
            raise ValidationFailed(detail, code=code, errors=list(self.items))
