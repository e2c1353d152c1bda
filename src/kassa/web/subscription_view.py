"""What the customer page shows of the customer's subscriptions, and its Subscribe form."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from fastapi import Request

from kassa.accounts.queries import get_account, list_accounts
from kassa.core.clock import utcnow
from kassa.core.errors import FieldErrors, KassaError
from kassa.db.engine import DbSession
from kassa.db.models import Customer
from kassa.subscriptions import plans, queries
from kassa.web.forms import FormView

SUBSCRIPTIONS_SHOWN = 50
# The customer's accounts a subscription may name, offered in a select.
ACCOUNT_CHOICES = 500
LOCAL_DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$")


def parse_utc(raw: str, field: str, errors: FieldErrors) -> datetime | None:
    """What a datetime-local input sends, read as UTC; blank is None."""
    if not raw:
        return None
    try:
        if not LOCAL_DATETIME_RE.match(raw):
            raise ValueError
        return datetime.fromisoformat(raw).replace(tzinfo=UTC)
    except ValueError:
        errors.add(field, "Enter a date and time, e.g. 2027-01-01T00:00")
        return None


def _account_names(session: DbSession, account_ids: set[int]) -> dict[int, str]:
    return {a: get_account(session, a).identifier for a in sorted(account_ids)}


def customer_subscriptions(
    request: Request, session: DbSession, customer: Customer, form: FormView | None
) -> dict[str, Any]:
    """What the customer page shows of its subscriptions, and its Subscribe form."""
    cursor = request.query_params.get("subs") or None
    try:
        rows, next_cursor = queries.page_subscriptions(
            session, customer.id, limit=SUBSCRIPTIONS_SHOWN, cursor=cursor
        )
    except KassaError:
        rows, next_cursor = [], None
    shown = queries.subscriptions_out(session, rows, utcnow())
    accounts, _ = list_accounts(session, customer_id=customer.id, limit=ACCOUNT_CHOICES)
    return {
        "subscriptions": shown,
        "subs_cursor": cursor,
        "subs_next": next_cursor,
        "subscription_accounts": _account_names(
            session, {s.account_id for s in shown if s.account_id is not None}
        ),
        "plan_options": [
            (str(p.id), f"{p.name} · {p.periodic_fee} {p.currency}")
            for p in plans.plans_out(session, plans.list_plans(session, customer.currency))
        ],
        "account_options": [(str(a.id), a.identifier) for a in accounts],
        "sub_form": form or FormView(),
    }
