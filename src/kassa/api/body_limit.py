"""Refuses, before any route reads them, request bodies over the configured size (413) and
control characters in the path, the query string or a body no route reads by field (422).

PostgreSQL text cannot hold NUL, so a NUL in a search term would otherwise fail inside the
database driver as a 500; the other C0 characters are never meant either. JSON bodies are
checked field by field where the API reads them (:mod:`kassa.api.routing`), and forms where the
web UI reads them (``kassa.web.session.checked_form``), so that the answer can name the field.
Every route of the API and of the web UI passes through here.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kassa.core.text import control_character_message

# A C0 character, raw or percent-encoded: what a query string must not carry.
_QUERY_CONTROL = re.compile(rb"[\x00-\x1f]|%[01][0-9A-Fa-f]")
_JSON_TYPE = re.compile(rb"^application/(?:[\w.-]+\+)?json\b")
_FORM_TYPES = (b"application/x-www-form-urlencoded", b"multipart/form-data")


def _query_field(query: bytes) -> str:
    """The parameter whose name or value holds a control character."""
    for name, value in parse_qsl(
        query.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="replace"
    ):
        if control_character_message(name + value, multiline=False):
            return name if not control_character_message(name, multiline=False) else "query"
    return "query"


def control_location(scope: Scope, body: bytes) -> str | None:
    """Where a control character hides in the request (the path, a query parameter by name,
    or "body"), if anywhere this layer checks."""
    if control_character_message(scope.get("path", ""), multiline=False):
        return "path"
    query: bytes = scope.get("query_string") or b""
    if _QUERY_CONTROL.search(query):
        return _query_field(query)
    content_type = dict(scope.get("headers") or []).get(b"content-type", b"").lower()
    if _JSON_TYPE.match(content_type) or content_type.startswith(_FORM_TYPES):
        return None
    # Any other body is read by no route as text; still, NUL never passes.
    if b"\x00" in body:
        return "body"
    return None


class BodyLimit:
    """``max_bytes`` for every request, but ``max_upload_bytes`` for the paths ``uploads``
    matches (file uploads, such as a tariff's rates as CSV)."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        max_upload_bytes: int | None = None,
        uploads: re.Pattern[str] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_upload_bytes = max_upload_bytes or max_bytes
        self.uploads = uploads

    def _limit(self, scope: Scope) -> int:
        path = scope.get("path", "")
        if self.uploads is not None and self.uploads.match(path):
            return self.max_upload_bytes
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(send, limit)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._refuse(send, limit)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        where = control_location(scope, body)
        if where is not None:
            await self._refuse_control(send, where)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send, limit: int) -> None:
        await _problem(
            send,
            413,
            "payload_too_large",
            "Request body too large",
            f"the body is larger than {limit} bytes",
            "body",
            f"must be at most {limit} bytes",
        )

    async def _refuse_control(self, send: Send, where: str) -> None:
        await _problem(
            send,
            422,
            "invalid_character",
            "Invalid input",
            f"{where}: must not contain control characters",
            where,
            "must not contain control characters",
        )


async def _problem(
    send: Send, status: int, code: str, title: str, detail: str, field: str, message: str
) -> None:
    payload = json.dumps(
        {
            "type": f"https://kassa.dev/problems/{code}",
            "title": title,
            "status": status,
            "detail": detail,
            "code": code,
            "errors": [{"field": field, "message": message}],
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(payload)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
