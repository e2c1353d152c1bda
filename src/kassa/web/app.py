"""The server-rendered web UI for the operator's staff."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from kassa.web.render import STATIC_DIR
from kassa.web.routes import (
    billing_runs,
    business_models,
    currencies,
    custom_fields,
    customer_classes,
    customer_pages,
    customers,
    invoices,
    ledger_pages,
    login,
    webhooks,
)


def install(app: FastAPI, secret: str) -> None:
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        session_cookie="kassa_session",
        same_site="lax",
        https_only=False,
        max_age=12 * 3600,
    )
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in (
        login,
        customers,
        customer_pages,
        ledger_pages,
        invoices,
        billing_runs,
        webhooks,
        customer_classes,
        custom_fields,
        business_models,
        currencies,
    ):
        app.include_router(module.router)
