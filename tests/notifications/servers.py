"""Real receivers for the notification tests: an SMTP server and a webhook endpoint.

The webhook receiver checks the Standard Webhooks signature with its own code, written from the
specification rather than shared with the sender, so a sender bug cannot hide itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

SIGNATURE_TOLERANCE_SECONDS = 300


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- SMTP ------------------------------------------------------------------------------------


@dataclass
class Mail:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    def part(self, content_type: str) -> str:
        body = self.message.get_body(preferencelist=(content_type.split("/")[1],))
        assert body is not None and body.get_content_type() == content_type
        return str(body.get_content())


class _MailHandler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_RCPT(
        self, _server: Any, _session: Session, envelope: Envelope, address: str, _options: Any
    ) -> str:
        if address in self.server.refused:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server: Any, _session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.server.mails.append(Mail(str(envelope.mail_from), list(envelope.rcpt_tos), message))
        return "250 Message accepted"


class SmtpServer:
    """aiosmtpd on a free port; with ``user``/``password`` it demands AUTH (over plain TCP)."""

    def __init__(
        self, *, port: int | None = None, user: str | None = None, password: str | None = None
    ) -> None:
        self.port = port or free_port()
        self.user = user
        self.password = password
        self.mails: list[Mail] = []
        self.refused: set[str] = set()
        self.logins: list[str] = []
        self.running = False
        kwargs: dict[str, Any] = {}
        if user is not None:
            kwargs.update(
                authenticator=self._authenticate, auth_required=True, auth_require_tls=False
            )
        self._controller = Controller(
            _MailHandler(self), hostname="127.0.0.1", port=self.port, **kwargs
        )

    def _authenticate(
        self, _server: Any, _session: Session, _envelope: Envelope, _mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login.decode() == self.user
            and data.password.decode() == self.password
        )
        if ok:
            self.logins.append(data.login.decode())
        return AuthResult(success=ok)

    def start(self) -> SmtpServer:
        self._controller.start()
        self.running = True
        return self

    def stop(self) -> None:
        if self.running:
            self._controller.stop()
            self.running = False


# --- webhooks --------------------------------------------------------------------------------


def verify_standard_webhook(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """Standard Webhooks verification, as a receiver would write it."""
    try:
        msg_id = headers["webhook-id"]
        timestamp = headers["webhook-timestamp"]
        signatures = headers["webhook-signature"]
        if abs(time.time() - int(timestamp)) > SIGNATURE_TOLERANCE_SECONDS:
            return False
        prefix, _, encoded_key = secret.partition("_")
        if prefix != "whsec":
            return False
        key = base64.b64decode(encoded_key)
    except (KeyError, ValueError):
        return False
    content = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest())
    for candidate in signatures.split(" "):
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value.encode(), expected):
            return True
    return False


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool
    answered: int

    @property
    def json(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.body)
        return document


@dataclass
class WebhookReceiver:
    """An HTTP endpoint on a free port that is down until ``start()``; it answers 401 to a bad
    signature, 500 while ``failures`` lasts, and 204 once it accepts."""

    port: int = field(default_factory=free_port)
    secret: str | None = None
    failures: int = 0
    hits: list[Hit] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/kassa-events"

    @property
    def accepted(self) -> list[Hit]:
        return [h for h in self.hits if h.answered == 204]

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                verified = receiver.secret is not None and verify_standard_webhook(
                    receiver.secret, headers, body
                )
                with receiver._lock:
                    if not verified:
                        status = 401
                    elif receiver.failures > 0:
                        receiver.failures -= 1
                        status = 500
                    else:
                        status = 204
                    receiver.hits.append(Hit(self.path, headers, body, verified, status))
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
