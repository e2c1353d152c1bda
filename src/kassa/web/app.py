"""The server-rendered web UI for the operator's staff."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.sessions import SessionMiddleware


def install(app: FastAPI, secret: str) -> None:
    app.add_middleware(
        SessionMiddleware, secret_key=secret, session_cookie="kassa_session", same_site="lax",
        https_only=False, max_age=12 * 3600,
    )
