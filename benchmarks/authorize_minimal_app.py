"""The HTTP floor for authorizations: FastAPI, the bearer-token lookup and the reserve/commit
statements of ``authorize_sql``, JSON back — and nothing else.

Served by uvicorn exactly like Kassa (``--factory authorize_minimal_app:create_app``, same
workers and flags) against the same database (``KASSA_DATABASE_URL``), with the same paths and
request bodies, so one wrk script drives both. Set ``BENCH_FLOOR_TOKEN_TTL`` (seconds) to
remember a token's user for that long, as Kassa does when it caches tokens.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from authorize_sql import Floor, connect, money, to_micros
from fastapi import Body, FastAPI, Request
from fastapi.responses import JSONResponse


def _iso(value: Any) -> str:
    # SQLite hands timestamps back as the text they were stored as.
    return value if isinstance(value, str) else value.isoformat()


def _out(view: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": view["id"],
        "customer_id": view["customer_id"],
        "status": view["status"],
        "service": view["service"],
        "session_id": view["session_id"],
        "currency": view["currency"],
        "amount": money(view["amount_micros"]),
        "committed_amount": money(view.get("committed_micros")),
        "transaction_id": view.get("transaction_id"),
        "available_funds": money(view["available_micros"]),
        "created_at": _iso(view["created_at"]),
        "updated_at": _iso(view.get("updated_at", view["created_at"])),
        "expires_at": _iso(view["expires_at"]),
    }


def create_app() -> FastAPI:
    url = os.environ["KASSA_DATABASE_URL"]
    token_ttl = float(os.environ.get("BENCH_FLOOR_TOKEN_TTL") or 0)
    local = threading.local()
    tokens: dict[str, tuple[float, int]] = {}

    def floor() -> Floor:
        # One connection per worker thread, as a pool would hand out.
        conn = getattr(local, "floor", None)
        if conn is None:
            conn = local.floor = connect(url)
        return conn

    def user_id(request: Request) -> int | None:
        token = request.headers.get("authorization", "").partition(" ")[2].strip()
        if token_ttl:
            hit = tokens.get(token)
            if hit is not None and hit[0] > time.monotonic():
                return hit[1]
        found = floor().authenticate(token)
        if found is None:
            return None
        if token_ttl:
            tokens[token] = (time.monotonic() + token_ttl, found[0])
        return found[0]

    def refused(status: int) -> JSONResponse:
        return JSONResponse({"status": status}, status_code=status)

    app = FastAPI()

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/api/v1/customers/{customer_id}/authorizations")
    def reserve(customer_id: int, request: Request, body: dict[str, Any] = Body(...)) -> Any:
        user = user_id(request)
        if user is None:
            return refused(401)
        view = floor().reserve(
            user,
            customer_id,
            to_micros(str(body["amount"])),
            body["service"],
            body.get("session_id"),
        )
        if view is None:
            return refused(402)
        return JSONResponse(_out(view), status_code=201)

    @app.post("/api/v1/authorizations/{authorization_id}/commit")
    def commit(authorization_id: int, request: Request, body: dict[str, Any] = Body(...)) -> Any:
        user = user_id(request)
        if user is None:
            return refused(401)
        view = floor().commit_authorization(user, authorization_id, to_micros(str(body["amount"])))
        if view is None:
            return refused(409)
        return JSONResponse(_out(view), status_code=200)

    return app
