"""The money sections of the customer page: the transaction form, the ledger history, the open
reservations and the invoices, read from the ledger and billing services."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.datastructures import FormData

from kassa.auth.service import usernames
from kassa.billing import queries as billing
from kassa.core.clock import as_utc, utcnow
from kassa.core.money import format_micros
from kassa.core.vocabulary import EntryType
from kassa.db.engine import DbSession
from kassa.db.models import Customer, Invoice
from kassa.ledger import authorization_queries
from kassa.ledger.transactions import list_transactions
from kassa.web.errors import TITLES, WebProblem
from kassa.web.forms import FormView, text

HISTORY_PAGE = 20
CUSTOMER_INVOICES = 10
FORM_FIELDS = ("type", "amount", "visible_comment", "internal_comment")
# (type, label, what it does to the balance): the sign is the type's, amounts are positive.
TRANSACTION_TYPES = (
    (EntryType.PAYMENT, "Payment", "lowers what the customer owes"),
    (EntryType.MANUAL_CREDIT, "Manual credit", "lowers what the customer owes"),
    (EntryType.PROMOTIONAL_CREDIT, "Promotional credit", "lowers what the customer owes"),
    (EntryType.MANUAL_CHARGE, "Manual charge", "raises what the customer owes"),
    (EntryType.REFUND, "Refund", "raises what the customer owes"),
)
POSTABLE = frozenset(value for value, _, _ in TRANSACTION_TYPES)
TYPE_LABELS: dict[str, str] = {
    **{value: label for value, label, _ in TRANSACTION_TYPES},
    EntryType.USAGE: "Usage",
    EntryType.TAX: "Tax",
    EntryType.SUBSCRIPTION: "Subscription fee",
}


def blank_form() -> FormView:
    # The form key makes a double-clicked Save post once: the second is answered from the first.
    return FormView(values={"type": EntryType.PAYMENT, "form_key": secrets.token_urlsafe(16)})


def type_options() -> list[tuple[str, str]]:
    return [(value, f"{label} — {effect}") for value, label, effect in TRANSACTION_TYPES]


def form_values(form: FormData) -> dict[str, str]:
    return {name: text(form, name) for name in (*FORM_FIELDS, "form_key")}


def transaction_body(values: dict[str, str]) -> dict[str, str] | WebProblem:
    """The service input, or a problem naming each field the form got wrong."""
    fields: dict[str, str] = {}
    if values["type"] not in POSTABLE:
        fields["type"] = "Choose a transaction type"
    if not values["amount"]:
        fields["amount"] = "Amount is required"
    if fields:
        return WebProblem(422, TITLES[422], TITLES[422] + ".", fields)
    return {name: values[name] for name in FORM_FIELDS}


def signed(micros: int, exponent: int) -> str:
    """An amount as it acts on the balance: + owes more, - owes less."""
    amount = format_micros(micros, exponent)
    return amount if micros < 0 else "+" + amount


def history(
    session: DbSession, customer_id: int, exponent: int, cursor: str
) -> tuple[list[dict[str, Any]], str | None]:
    entries, next_cursor = list_transactions(
        session, customer_id, limit=HISTORY_PAGE, cursor=cursor or None
    )
    names = usernames(session, {e.user_id for e in entries if e.user_id is not None})
    rows = [
        {
            "id": e.id,
            "when": e.created_at,
            "occurred_at": e.occurred_at,
            "type": TYPE_LABELS.get(e.type, e.type),
            "service": e.service,
            "amount": signed(e.amount_micros, exponent),
            "credit": e.amount_micros < 0,
            "balance_after": format_micros(e.balance_after_micros, exponent),
            "visible_comment": e.visible_comment,
            "internal_comment": e.internal_comment,
            "user": names.get(e.user_id, "") if e.user_id is not None else "system",
        }
        for e in entries
    ]
    return rows, next_cursor


def expires_in(moment: datetime, now: datetime) -> str:
    seconds = max(0, int((as_utc(moment) - now).total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def open_reservations(session: DbSession, customer_id: int, exponent: int) -> list[dict[str, Any]]:
    now = utcnow()
    return [
        {
            "id": a.id,
            "service": a.service,
            "session_id": a.session_id,
            "amount": format_micros(a.amount_micros, exponent),
            "held": format_micros(a.held_micros, exponent),
            "expires_at": a.expires_at,
            "expires_in": expires_in(a.expires_at, now),
        }
        for a in authorization_queries.open_reservations(session, customer_id, now)
    ]


def period_days(start: datetime, end: datetime, timezone: str) -> tuple[str, str]:
    """A half-open period as the first and last local days it covers."""
    try:
        zone: Any = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    first = as_utc(start).astimezone(zone).date()
    last = (as_utc(end).astimezone(zone) - timedelta(microseconds=1)).date()
    return first.isoformat(), max(first, last).isoformat()


def period_label(start: datetime, end: datetime, timezone: str) -> str:
    first, last = period_days(start, end, timezone)
    return first if first == last else f"{first} to {last}"


def invoice_row(session: DbSession, invoice: Invoice, customer_name: str | None) -> dict[str, Any]:
    summary = billing.invoice_summary(session, invoice)
    return {
        "id": invoice.id,
        "number": invoice.number,
        "customer_id": invoice.customer_id,
        "customer_name": customer_name
        if customer_name is not None
        else str(invoice.customer_snapshot.get("name", "")),
        "period": period_days(invoice.period_start, invoice.period_end, invoice.billing_timezone),
        "issue_date": invoice.issue_date,
        "due_date": invoice.due_date,
        "currency": invoice.currency,
        "total": summary.total,
        "amount_due": summary.amount_due,
        "status": invoice.status,
    }


def customer_invoices(session: DbSession, customer: Customer) -> tuple[list[dict[str, Any]], bool]:
    rows, next_cursor = billing.list_invoices(
        session, customer_id=customer.id, limit=CUSTOMER_INVOICES
    )
    return [invoice_row(session, r, customer.name) for r in rows], next_cursor is not None


def money_context(
    session: DbSession, customer: Customer, exponent: int, cursor: str
) -> dict[str, Any]:
    rows, next_cursor = history(session, customer.id, exponent, cursor)
    invoices, more_invoices = customer_invoices(session, customer)
    return {
        "history": rows,
        "history_cursor": cursor,
        "history_next": next_cursor,
        "reservations": open_reservations(session, customer.id, exponent),
        "invoices": invoices,
        "more_invoices": more_invoices,
        "type_options": type_options(),
        "transaction_types": TRANSACTION_TYPES,
    }
