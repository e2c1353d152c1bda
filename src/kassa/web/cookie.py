"""The web UI's signed cookie: Starlette's session cookie, with the Secure flag decided per
request.

``secure`` is "true", "false" or "auto": Secure on requests that came over HTTPS, as the
request's scheme says (behind a proxy, the scheme it reported when it is trusted, see
``KASSA_TRUSTED_PROXIES``). A Secure cookie is never sent back over plain HTTP, so "auto" keeps
a plain-HTTP installation working and an HTTPS one safe.
"""

from __future__ import annotations

import json
from base64 import b64decode, b64encode

import itsdangerous
from itsdangerous.exc import BadSignature
from starlette.datastructures import MutableHeaders
from starlette.middleware.sessions import Session
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kassa.auth import web_sessions

COOKIE_NAME = "kassa_session"
MAX_AGE_SECONDS = int(web_sessions.LIFETIME.total_seconds())


class SessionCookie:
    def __init__(self, app: ASGIApp, secret_key: str, secure: str = "auto") -> None:
        if secure not in ("auto", "true", "false"):
            raise ValueError(f"secure must be auto, true or false, not {secure!r}")
        self.app = app
        self.signer = itsdangerous.TimestampSigner(secret_key)
        self.secure = secure

    def _flags(self, scope: Scope) -> str:
        flags = "path=/; httponly; samesite=lax"
        if self.secure == "true" or (self.secure == "auto" and scope.get("scheme") == "https"):
            flags += "; secure"
        return flags

    def _load(self, connection: HTTPConnection) -> Session | None:
        raw = connection.cookies.get(COOKIE_NAME)
        if raw is None:
            return None
        try:
            data = self.signer.unsign(raw.encode(), max_age=MAX_AGE_SECONDS)
            return Session(json.loads(b64decode(data)))
        except (BadSignature, ValueError):
            return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loaded = self._load(HTTPConnection(scope))
        scope["session"] = loaded if loaded is not None else Session()

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                session: Session = scope["session"]
                message.setdefault("headers", [])
                headers = MutableHeaders(scope=message)
                if session.accessed:
                    headers.add_vary_header("Cookie")
                if session.modified and session:
                    value = self.signer.sign(b64encode(json.dumps(session).encode())).decode()
                    headers.append(
                        "Set-Cookie",
                        f"{COOKIE_NAME}={value}; Max-Age={MAX_AGE_SECONDS}; {self._flags(scope)}",
                    )
                elif session.modified and loaded is not None:
                    headers.append(
                        "Set-Cookie",
                        f"{COOKIE_NAME}=null; expires=Thu, 01 Jan 1970 00:00:00 GMT; "
                        f"{self._flags(scope)}",
                    )
            await send(message)

        await self.app(scope, receive, send_with_cookie)
