"""API routes read their JSON bodies exactly, and refuse control characters in them by field.

A JSON number with a fraction or an exponent becomes a Decimal, never a float: the number
1.0000000000000000000000001 reaches the money types as exactly that, and is refused like its
string form instead of being rounded to 1.00 on the way in. Integers are exact already.

Text in a body may not hold C0 control characters other than tab, line feed and carriage
return: PostgreSQL text cannot store NUL at all, and the others are never meant. Raw control
characters are not valid JSON, so only a ``\\u00XX`` escape can carry one: bodies without such
an escape (every ordinary call) are not walked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute

from kassa.core.errors import FieldErrors
from kassa.core.text import control_character_message

Handler = Callable[[Request], Coroutine[Any, Any, Response]]

_CONTROL_ESCAPE = re.compile(rb"\\u00[01][0-9A-Fa-f]")


def _field(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _check_text(value: Any, path: str, errors: FieldErrors) -> None:
    if isinstance(value, str):
        message = control_character_message(value, multiline=True)
        if message:
            errors.add(path or "body", message)
    elif isinstance(value, dict):
        for key, item in value.items():
            message = control_character_message(key, multiline=False)
            if message:
                errors.add(path or "body", f"a key {message}")
            _check_text(item, _field(path, key), errors)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_text(item, f"{path}[{index}]", errors)


def read_json(body: bytes) -> Any:
    """The body's value, with Decimal for every non-integer number (NaN and Infinity too, for
    the field's own type to refuse by name); ``JSONDecodeError`` when it is not JSON."""
    try:
        return json.loads(body, parse_float=Decimal, parse_constant=Decimal)
    except json.JSONDecodeError:
        raise
    except (ValueError, RecursionError) as exc:
        # An integer of thousands of digits, or nesting deeper than the parser goes.
        raise json.JSONDecodeError(str(exc), body.decode("utf-8", "replace"), 0) from None


def check_control_characters(value: Any) -> None:
    """ValidationFailed naming every field whose text holds a control character."""
    errors = FieldErrors()
    _check_text(value, "", errors)
    errors.raise_if_any(code="invalid_character")


class ExactJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = read_json(await self.body())
        return self._json


class ApiRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()
        reads_body = self.body_field is not None

        async def exact_json_handler(request: Request) -> Response:
            exact = ExactJsonRequest(request.scope, request.receive)
            if reads_body and _CONTROL_ESCAPE.search(await exact.body()):
                # Checked here, not inside json(): FastAPI turns any error raised while it reads
                # the body into a bare 400.
                try:
                    value = await exact.json()
                except json.JSONDecodeError:
                    pass  # FastAPI answers for JSON that does not parse
                else:
                    check_control_characters(value)
            return await handler(exact)

        return exact_json_handler


def api_router(**options: Any) -> APIRouter:
    return APIRouter(route_class=ApiRoute, **options)
