"""The JSON API under /api/v1."""

from __future__ import annotations

from fastapi import APIRouter

from kassa.api.routers import (
    billing,
    customer_classes,
    customers,
    health,
    ledger,
    reference,
    users,
    webhooks,
)

API_PREFIX = "/api/v1"


def api_router() -> APIRouter:
    router = APIRouter(prefix=API_PREFIX)
    router.include_router(health.router)
    router.include_router(reference.router)
    router.include_router(customer_classes.router)
    router.include_router(customers.router)
    router.include_router(ledger.router)
    router.include_router(billing.router)
    router.include_router(users.router)
    router.include_router(webhooks.router)
    return router
