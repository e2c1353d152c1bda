"""The server-rendered web UI for the operator's staff."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from kassa.web.cookie import SessionCookie
from kassa.web.render import STATIC_DIR
from kassa.web.routes import (
    account,
    accounts,
    billing_runs,
    business_models,
    credit_notes,
    currencies,
    custom_fields,
    customer_classes,
    customer_pages,
    customer_subscriptions,
    customers,
    invoices,
    ledger_pages,
    login,
    plans,
    products,
    rates,
    tariffs,
    users,
    webhooks,
)


def install(app: FastAPI, secret: str, cookie_secure: str = "auto") -> None:
    app.add_middleware(SessionCookie, secret_key=secret, secure=cookie_secure)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in (
        login,
        account,
        users,
        customers,
        customer_pages,
        customer_subscriptions,
        accounts,
        ledger_pages,
        invoices,
        credit_notes,
        billing_runs,
        webhooks,
        tariffs,
        rates,
        products,
        plans,
        customer_classes,
        custom_fields,
        business_models,
        currencies,
    ):
        app.include_router(module.router)
