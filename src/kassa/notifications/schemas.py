from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from kassa.core.vocabulary import DeliveryStatus


class WebhookEndpointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(max_length=2000)
    events: list[str] = Field(min_length=1, max_length=50)
    active: bool = True


class WebhookEndpointPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str | None = Field(default=None, max_length=2000)
    events: list[str] | None = Field(default=None, min_length=1, max_length=50)
    active: bool | None = None


class WebhookEndpointOut(BaseModel):
    id: int
    url: str
    events: list[str]
    active: bool
    created_at: datetime


class WebhookEndpointCreated(WebhookEndpointOut):
    # Only in the answer to the creation: the secret is never shown again.
    secret: str


class WebhookEndpointPage(BaseModel):
    items: list[WebhookEndpointOut]
    next_cursor: str | None


class DeliveryOut(BaseModel):
    id: int
    event_id: int
    event_type: str
    channel: str
    target: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    response_status: int | None
    delivered_at: datetime | None
    created_at: datetime


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None


class InvoiceEmailQueued(BaseModel):
    """An invoice's email queued again: sent by the next delivery round."""

    invoice_id: int
    number: str
    email: str
    delivery_id: int
