"""The events a customer can be notified of (docs/architecture.md §1 and §4)."""

from __future__ import annotations

EVENTS: tuple[str, ...] = (
    "customer_created",
    "customer_updated",
    "customer_status_changed",
    "payment_received",
    "credit_limit_warning",
    "credit_limit_reached",
    "funds_depleted",
    "invoice_issued",
    "invoice_overdue",
    "customer_suspended",
    "subscription_created",
    "subscription_cancelled",
)
