"""Refuses, before any route reads them, request bodies over the configured size (413) and
requests that carry a NUL character (422).

PostgreSQL text cannot hold NUL, so a NUL in a name or a search term would otherwise fail inside
the database driver as a 500. Every route of the API and of the web UI passes through here.
"""

from __future__ import annotations

import json
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# JSON's \u0000 escape, unless its backslash is itself escaped (an even run of backslashes).
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def nul_location(scope: Scope, body: bytes) -> str | None:
    """Where a NUL character hides in the request ("path", "query" or "body"), if anywhere."""
    if "\x00" in scope.get("path", ""):
        return "path"
    query: bytes = scope.get("query_string") or b""
    if b"\x00" in query or b"%00" in query:
        return "query"
    content_type = dict(scope.get("headers") or []).get(b"content-type", b"")
    if content_type.startswith(b"multipart/"):
        # Uploaded files are bytes, not text; whatever keeps them decides.
        return None
    if b"\x00" in body or _JSON_NUL.search(body):
        return "body"
    if content_type.startswith(b"application/x-www-form-urlencoded") and b"%00" in body:
        return "body"
    return None


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
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
            if size > self.max_bytes:
                await self._refuse(send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        where = nul_location(scope, body)
        if where is not None:
            await self._refuse_nul(send, where)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send) -> None:
        await _problem(
            send,
            413,
            "payload_too_large",
            "Request body too large",
            f"the body is larger than {self.max_bytes} bytes",
            "body",
            f"must be at most {self.max_bytes} bytes",
        )

    async def _refuse_nul(self, send: Send, where: str) -> None:
        await _problem(
            send,
            422,
            "invalid_character",
            "Invalid input",
            f"the request {where} contains a NUL character",
            where,
            "must not contain the NUL character (U+0000)",
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
