"""Templates, the filters they use, and the context every page shares."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup
from starlette.templating import Jinja2Templates

from kassa import __version__
from kassa.auth.actor import Permission
from kassa.core.clock import as_utc
from kassa.core.vocabulary import (
    BalanceControl,
    BillingRunStatus,
    CustomerStatus,
    FieldType,
    InvoiceStatus,
    Role,
)
from kassa.web.session import csrf_token, take_flashes

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

STATUS_LABELS: dict[str, str] = {
    CustomerStatus.ACTIVE: "Active",
    CustomerStatus.BLOCKED: "Blocked",
    CustomerStatus.SUSPENDED: "Suspended",
    CustomerStatus.CLOSED: "Closed",
    CustomerStatus.CREDIT_EXCEEDED: "Credit exceeded",
    CustomerStatus.NO_AVAILABLE_FUNDS: "No available funds",
}


def money(value: Any) -> str:
    """A decimal string with thousands separators; its decimals are kept exactly."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return f"{amount:,f}"


def when(value: datetime | date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return as_utc(value).strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()


def humanize(value: Any) -> str:
    text = str(value or "").replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def field_id(name: str) -> str:
    return "f-" + re.sub(r"[^a-zA-Z0-9_-]+", "-", name).strip("-")


def status_badge(status: str) -> Markup:
    label = STATUS_LABELS.get(status, humanize(status))
    return Markup('<span class="badge badge-{}">{}</span>').format(status, label)


def _shared(request: Request) -> dict[str, Any]:
    return {
        "actor": getattr(request.state, "actor", None),
        "csrf_token": csrf_token(request),
        "take_flashes": lambda: take_flashes(request),
        "Permission": Permission,
        "version": __version__,
        "path": request.url.path,
    }


templates = Jinja2Templates(directory=str(TEMPLATES_DIR), context_processors=[_shared])
templates.env.filters.update(
    money=money, when=when, humanize=humanize, fid=field_id, status_badge=status_badge
)
templates.env.globals["STATUS_LABELS"] = STATUS_LABELS
# The fixed word lists (kassa.core.vocabulary), for templates to compare with; as globals they
# reach imported macros too, which see no request context.
templates.env.globals.update(
    BalanceControl=BalanceControl,
    BillingRunStatus=BillingRunStatus,
    CustomerStatus=CustomerStatus,
    FieldType=FieldType,
    InvoiceStatus=InvoiceStatus,
    Role=Role,
)


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any] | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    return templates.TemplateResponse(
        request, name, dict(context or {}), status_code=status_code, headers=headers
    )


def redirect(url: str) -> RedirectResponse:
    # 303: the browser follows a POST's answer with a GET, so a reload never re-posts.
    return RedirectResponse(url, status_code=303)
