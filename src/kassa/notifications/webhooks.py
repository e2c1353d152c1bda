"""Webhooks signed per the Standard Webhooks specification (https://www.standardwebhooks.com).

The receiver checks ``webhook-signature`` = ``v1,`` + base64(HMAC-SHA256(key, "{id}.{ts}.{body}"))
where the key is the base64-decoded part of the endpoint's ``whsec_`` secret, and rejects stale
``webhook-timestamp`` values. ``webhook-id`` names the event, not the attempt: a retry carries
the same id, so a receiver can drop a message it has already processed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 24
TIMEOUT_SECONDS = 10.0
USER_AGENT = "Kassa-Webhooks/1"
# Enough of a failing receiver's answer to tell what went wrong, not a whole error page.
MAX_ERROR_CHARS = 500


def generate_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def message_id(outbox_event_id: int) -> str:
    return f"msg_{outbox_event_id}"


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def body_of(event_type: str, occurred_at: datetime, payload: dict[str, Any]) -> bytes:
    document = {
        "type": event_type,
        "timestamp": occurred_at.isoformat().replace("+00:00", "Z"),
        "data": payload,
    }
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class WebhookMessage:
    url: str
    secret: str
    msg_id: str
    body: bytes


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status: int | None = None
    error: str | None = None


def send(client: httpx.Client, message: WebhookMessage, now: datetime) -> Outcome:
    """POST one message; a 2xx answer is delivered, anything else is worth another try."""
    timestamp = int(now.timestamp())
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": message.msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(message.secret, message.msg_id, timestamp, message.body),
    }
    try:
        response = client.post(message.url, content=message.body, headers=headers)
    except httpx.HTTPError as exc:
        return Outcome(ok=False, error=f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS])
    if 200 <= response.status_code < 300:
        return Outcome(ok=True, status=response.status_code)
    snippet = response.text[:MAX_ERROR_CHARS].strip()
    error = f"HTTP {response.status_code}" + (f": {snippet}" if snippet else "")
    return Outcome(ok=False, status=response.status_code, error=error)


def client() -> httpx.Client:
    # Redirects are not followed: the signature covers one URL, and a moved receiver should
    # be updated by the operator rather than silently chased.
    return httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False)
