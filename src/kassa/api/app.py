"""The JSON API under /api/v1."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from kassa.api.routers import (
    accounts,
    billing,
    charging,
    customer_classes,
    customers,
    health,
    ledger,
    products,
    reference,
    subscriptions,
    tariffs,
    users,
    webhooks,
)

API_PREFIX = "/api/v1"

# The real-time calls first: a request is matched against the routes in this order.
ROUTERS: tuple[APIRouter, ...] = (
    ledger.router,
    charging.router,
    health.authenticated_router,
    reference.router,
    customer_classes.router,
    customers.router,
    tariffs.router,
    products.router,
    accounts.router,
    billing.router,
    users.router,
    webhooks.router,
    subscriptions.router,
)


def install_api(app: FastAPI) -> None:
    """Each router straight onto the app under the prefix. FastAPI matches an included router
    by walking its routes, twice (to choose, then to handle) and again at every level of
    nesting; one level keeps that walk short for every request."""
    for router in ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
