"""Invoice documents: HTML from a Jinja2 template, and a PDF made from that HTML once and kept.

This module is billing's document adapter, the one place in billing that uses Jinja2 and
WeasyPrint. An invoice is rendered with the template its customer class named when it was
issued (``invoice.template``): ``standard`` is built into Kassa; any other name is the
operator's file ``<name>.html`` in ``KASSA_INVOICE_TEMPLATES_DIR``. Templates are rendered in
a sandbox with autoescaping on, so names and custom data typed by anyone show as text.

The template context
--------------------
``invoice``
    ``id``, ``number``, ``status`` (``issued`` | ``paid`` | ``overdue``), ``currency``,
    ``issue_date`` and ``due_date`` (dates, in the billing time zone), ``billing_timezone``,
    ``period_start`` and ``period_end`` (aware datetimes in the billing time zone; the period
    is ``[start, end)``), ``period_first_day`` and ``period_last_day`` (dates, both included),
    ``subtotal``, ``total``, ``previous_balance``, ``payments``, ``amount_due`` (Decimals
    rounded to the currency), ``tax_inclusive`` (bool), ``paid_at`` and ``created_at`` (UTC).
    ``amount_due`` is ``previous_balance + total - payments``; below zero it is a credit.
``lines``
    In invoice order, each with ``position``, ``description``, ``service`` (or None),
    ``entry_type`` (``usage``, ``manual_charge``, ...), ``quantity`` (entries summed),
    ``amount`` (Decimal), and for rated usage ``units`` (int), ``unit`` (``second``, ``byte``,
    ``message``, ``unit``) and ``units_display`` (``12.5 min``, ``3.2 MB``, ``4 messages``), all
    None on other lines. Voice usage is a line per destination group
    (:mod:`kassa.billing.destinations`) with its rate prefix in ``destination_prefix``
    (``""`` for every other destination), None on other lines.
``taxes``
    Each with ``name``, ``rate`` (percent, as text: ``"21"``) and ``amount`` (Decimal).
    With ``invoice.tax_inclusive`` they are contained in the subtotal, otherwise added to it.
``customer``
    As it was when the invoice was issued: ``id``, ``name``, ``email``, ``custom_data`` (the
    raw values by field name) and ``fields`` (``[{name, label, value}]``, list values shown by
    their label).
``operator``
    From the environment: ``name`` (``KASSA_OPERATOR_NAME``), ``address`` (lines, from
    ``KASSA_OPERATOR_ADDRESS`` split at ``|``), ``email``, ``phone``, ``website``, ``tax_id``
    (``KASSA_OPERATOR_EMAIL``, ``_PHONE``, ``_WEBSITE``, ``_TAX_ID``) and ``payment_details``
    (lines, ``KASSA_OPERATOR_PAYMENT_DETAILS`` split at ``|``). Unset values are empty.

Filters: ``money`` (``1234.5`` -> ``1,234.50``), ``day`` (a date -> ``1 Dec 2026``).
An operator template may ``{% extends "kassa/standard.html" %}`` and override its blocks
(``title``, ``style``, ``pagefoot``, ``header``, ``parties``, ``lines``, ``totals``,
``account``, ``footer``). Credit notes extend it too (:mod:`kassa.billing.credit_note_documents`).

A render has a budget (:mod:`kassa.billing.template_budget`): ``KASSA_INVOICE_RENDER_SECONDS``
of time and ``KASSA_INVOICE_MAX_BYTES`` of output. A template over it fails with the code
``invoice_template_failed``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import (
    ChoiceLoader,
    FileSystemLoader,
    PrefixLoader,
    TemplateError,
    TemplateNotFound,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from kassa.billing.kept_pdfs import INVOICE_PDFS, pdf_filename
from kassa.billing.queries import get_invoice, invoice_lines
from kassa.billing.template_budget import (
    BudgetedSandbox,
    RenderBudget,
    TemplateOverBudget,
    render_within,
)
from kassa.billing.units import units_display
from kassa.core.clock import as_utc
from kassa.core.errors import Conflict
from kassa.core.money import from_micros, round_to_currency
from kassa.core.settings import Settings
from kassa.core.vocabulary import FieldType
from kassa.currencies.service import currency_exponent
from kassa.db.engine import Database
from kassa.db.models import CustomField, Invoice

BUILT_IN_DIR = Path(__file__).parent / "templates"
BUILT_IN_PREFIX = "kassa"
STANDARD = "standard"
TEMPLATE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,100}$")


@dataclass(frozen=True)
class Operator:
    """Who issues the invoices, as printed in their header and footer."""

    name: str = ""
    address: list[str] = field(default_factory=list)
    email: str = ""
    phone: str = ""
    website: str = ""
    tax_id: str = ""
    payment_details: list[str] = field(default_factory=list)

    @classmethod
    def from_env(cls) -> Operator:
        def text(name: str) -> str:
            return (os.environ.get(f"KASSA_OPERATOR_{name}") or "").strip()

        def lines(name: str) -> list[str]:
            return [part.strip() for part in text(name).split("|") if part.strip()]

        return cls(
            name=text("NAME"),
            address=lines("ADDRESS"),
            email=text("EMAIL"),
            phone=text("PHONE"),
            website=text("WEBSITE"),
            tax_id=text("TAX_ID"),
            payment_details=lines("PAYMENT_DETAILS"),
        )


def money(value: Decimal | str | int) -> str:
    """Thousands grouped, the decimals the amount carries (already those of its currency)."""
    amount = value if isinstance(value, Decimal) else Decimal(str(value))
    return f"{amount:,}"


def day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    return f"{value.day} {value:%b %Y}"


def render_budget(settings: Settings) -> RenderBudget:
    return RenderBudget(settings.invoice_render_seconds, settings.invoice_max_bytes)


@lru_cache(maxsize=16)
def _environment(templates_dir: Path | None) -> BudgetedSandbox:
    built_in = PrefixLoader({BUILT_IN_PREFIX: FileSystemLoader(BUILT_IN_DIR)})
    loaders: list[Any] = [built_in]
    if templates_dir is not None:
        loaders.insert(0, FileSystemLoader(templates_dir))
    env = BudgetedSandbox(
        loader=ChoiceLoader(loaders),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = money
    env.filters["day"] = day
    return env


def template_environment(templates_dir: Path | None) -> BudgetedSandbox:
    """The sandbox invoice documents render in, with the operator's templates first."""
    return _environment(templates_dir.resolve() if templates_dir is not None else None)


def _template_file(name: str, templates_dir: Path | None) -> str:
    if name == STANDARD:
        return f"{BUILT_IN_PREFIX}/{STANDARD}.html"
    if not TEMPLATE_NAME.match(name):
        raise Conflict(
            f"'{name}' is not a valid invoice template name", code="invoice_template_missing"
        )
    if templates_dir is None or not (templates_dir / f"{name}.html").is_file():
        raise Conflict(
            f"the invoice template '{name}' is not installed "
            f"(put it in KASSA_INVOICE_TEMPLATES_DIR as {name}.html)",
            code="invoice_template_missing",
        )
    return f"{name}.html"


def _customer_fields(session: Session, data: dict[str, Any]) -> list[dict[str, Any]]:
    if not data:
        return []
    known = {
        f.name: f
        for f in session.scalars(
            select(CustomField).where(CustomField.name.in_(list(data))).order_by(CustomField.id)
        )
    }
    shown: list[dict[str, Any]] = []
    for name in sorted(data, key=lambda n: (known[n].id if n in known else 1 << 62, n)):
        value = data[name]
        if value is None or value == "":
            continue
        definition = known.get(name)
        if definition is not None and definition.type == FieldType.LIST and definition.options:
            labels = {str(o.get("value")): o.get("label") for o in definition.options}
            value = labels.get(str(value), value)
        label = definition.label if definition is not None else name.replace("_", " ").title()
        shown.append({"name": name, "label": label, "value": value})
    return shown


def invoice_context(
    session: Session, invoice: Invoice, operator: Operator | None = None
) -> dict[str, Any]:
    """What a template sees; the module docstring describes every name."""
    exponent = currency_exponent(session, invoice.currency)

    def amount(micros: int) -> Decimal:
        return round_to_currency(from_micros(micros), exponent)

    zone = ZoneInfo(invoice.billing_timezone)
    start = as_utc(invoice.period_start).astimezone(zone)
    end = as_utc(invoice.period_end).astimezone(zone)
    snapshot = invoice.customer_snapshot or {}
    custom_data = dict(snapshot.get("custom_data") or {})
    return {
        "invoice": {
            "id": invoice.id,
            "number": invoice.number,
            "status": invoice.status,
            "currency": invoice.currency,
            "issue_date": invoice.issue_date,
            "due_date": invoice.due_date,
            "billing_timezone": invoice.billing_timezone,
            "period_start": start,
            "period_end": end,
            "period_first_day": start.date(),
            "period_last_day": (end - timedelta(microseconds=1)).date(),
            "subtotal": amount(invoice.subtotal_micros),
            "total": amount(invoice.total_micros),
            "previous_balance": amount(invoice.previous_balance_micros),
            "payments": amount(invoice.payments_micros),
            "amount_due": amount(invoice.amount_due_micros),
            "tax_inclusive": invoice.tax_inclusive,
            "paid_at": as_utc(invoice.paid_at) if invoice.paid_at else None,
            "created_at": as_utc(invoice.created_at),
        },
        "lines": [
            {
                "position": line.position,
                "description": line.description,
                "service": line.service,
                "entry_type": line.entry_type,
                "quantity": line.quantity,
                "amount": amount(line.amount_micros),
                "units": line.units,
                "unit": line.unit,
                "units_display": units_display(line.units, line.unit),
                "destination_prefix": line.destination_prefix,
            }
            for line in invoice_lines(session, invoice.id)
        ],
        "taxes": [
            {"name": t["name"], "rate": t["rate"], "amount": amount(int(t["amount_micros"]))}
            for t in invoice.taxes or []
        ],
        "customer": {
            "id": invoice.customer_id,
            "name": str(snapshot.get("name") or ""),
            "email": snapshot.get("email") or "",
            "custom_data": custom_data,
            "fields": _customer_fields(session, custom_data),
        },
        "operator": operator or Operator.from_env(),
    }


def render_invoice_html(
    session: Session,
    invoice: Invoice,
    templates_dir: Path | None,
    *,
    operator: Operator | None = None,
    budget: RenderBudget | None = None,
) -> str:
    """The invoice as HTML, from the template named by ``invoice.template``, within
    ``budget`` (the defaults when None)."""
    name = _template_file(invoice.template, templates_dir)
    context = invoice_context(session, invoice, operator)
    return render_document(
        templates_dir, name, context, budget, f"invoice template '{invoice.template}'"
    )


def render_document(
    templates_dir: Path | None,
    name: str,
    context: dict[str, Any],
    budget: RenderBudget | None,
    what: str,
) -> str:
    """Render the template ``name`` within ``budget``; a template that fails is a Conflict
    naming ``what`` it is."""
    env = template_environment(templates_dir)
    try:
        return render_within(env.get_template(name), context, budget or RenderBudget())
    except (TemplateOverBudget, OverflowError, RecursionError, MemoryError) as exc:
        reason = str(exc) if isinstance(exc, TemplateOverBudget) else type(exc).__name__
        raise Conflict(f"the {what} was stopped: {reason}", code="invoice_template_failed") from exc
    except TemplateNotFound as exc:
        raise Conflict(
            f"the {what} needs '{exc.name}', which is missing", code="invoice_template_missing"
        ) from exc
    except TemplateError as exc:
        line = getattr(exc, "lineno", None)
        where = f" (line {line})" if line else ""
        raise Conflict(
            f"the {what} cannot be rendered{where}: {exc}", code="invoice_template_invalid"
        ) from exc


def base_url(invoice: Invoice, templates_dir: Path | None) -> str:
    """Where relative links of the template (a logo, a stylesheet) are found."""
    folder = (
        BUILT_IN_DIR if invoice.template == STANDARD or templates_dir is None else templates_dir
    )
    return str(folder.resolve()) + os.sep


def html_to_pdf(html: str, base: str | None = None) -> bytes:
    # Imported here: WeasyPrint takes a second to load, which only PDF callers should pay.
    from weasyprint import HTML

    pdf = HTML(string=html, base_url=base).write_pdf()
    assert pdf is not None
    return bytes(pdf)


def invoice_pdf(
    session: Session,
    invoice_id: int,
    templates_dir: Path | None = None,
    *,
    operator: Operator | None = None,
) -> bytes:
    """The invoice's PDF: made from its HTML on the first call and kept, the same bytes after.

    Call it in a read-write transaction (``db.transaction()``), which the caller commits.
    ``templates_dir`` defaults to ``KASSA_INVOICE_TEMPLATES_DIR``. Raises ``NotFound`` for
    an unknown invoice.
    """
    kept = INVOICE_PDFS.kept(session, invoice_id)
    if kept is not None:
        return kept
    invoice = get_invoice(session, invoice_id)
    settings = Settings.from_env()
    if templates_dir is None:
        templates_dir = settings.invoice_templates_dir
    html = render_invoice_html(
        session, invoice, templates_dir, operator=operator, budget=render_budget(settings)
    )
    return INVOICE_PDFS.keep(
        session, invoice_id, html_to_pdf(html, base_url(invoice, templates_dir))
    )


def document_pdf(
    db: Database, invoice_id: int, templates_dir: Path | None, budget: RenderBudget | None = None
) -> tuple[str, bytes]:
    """The invoice's file name and kept PDF, rendering outside any write transaction (SQLite
    lets one writer in at a time, and a PDF takes a while)."""
    with db.reading() as session:
        invoice = get_invoice(session, invoice_id)
        filename = pdf_filename(invoice.number, invoice.id)
        pdf = INVOICE_PDFS.kept(session, invoice_id)
        if pdf is not None:
            return filename, pdf
        html = render_invoice_html(session, invoice, templates_dir, budget=budget)
        base = base_url(invoice, templates_dir)
    made = html_to_pdf(html, base)
    with db.transaction() as session:
        return filename, INVOICE_PDFS.keep(session, invoice_id, made)
