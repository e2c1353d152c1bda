"""Setting up classes, fields and customers directly through the services, for web tests."""

from __future__ import annotations

import re
from typing import Any

from kassa.auth.actor import SYSTEM
from kassa.custom_fields.schemas import CustomFieldIn
from kassa.custom_fields.service import create_custom_field
from kassa.customer_classes.schemas import ClassFieldIn, CustomerClassIn
from kassa.customer_classes.service import create_customer_class
from kassa.customers.schemas import CustomerIn
from kassa.customers.service import create_customer
from kassa.db.engine import Database


def add_field(db: Database, **values: Any) -> int:
    body: dict[str, Any] = {"name": "tax_code", "label": "Tax code", "type": "text"}
    body.update(values)
    with db.transaction() as session:
        return create_custom_field(session, SYSTEM, CustomFieldIn(**body)).id


def add_class(db: Database, name: str, fields: dict[int, bool] | None = None, **values: Any) -> int:
    links = [ClassFieldIn(custom_field_id=f, mandatory=m) for f, m in (fields or {}).items()]
    with db.transaction() as session:
        return create_customer_class(
            session, SYSTEM, CustomerClassIn(name=name, custom_fields=links, **values)
        ).id


def add_customer(db: Database, name: str = "Acme Ltd", **values: Any) -> int:
    body: dict[str, Any] = {
        "name": name,
        "balance_control": "postpaid",
        "currency": "USD",
        "credit_limit": "500.00",
        "business_model_id": 1,
    }
    body.update(values)
    with db.transaction() as session:
        return create_customer(session, SYSTEM, CustomerIn(**body)).id


def class_form(**overrides: object) -> dict[str, object]:
    """The posted form of a customer class with every parameter set (no CSRF token)."""
    data: dict[str, object] = {
        "name": "Business",
        "currency": "EUR",
        "grace_period_days": "30",
        "suspend_after_days": "10",
        "invoice_template": "standard",
        "tax_inclusive": "0",
        "tax_name": ["VAT", "City tax", ""],
        "tax_rate": ["21", "1.5", ""],
        "notifications": ["invoice_issued", "invoice_overdue"],
        "credit_limit_warnings": "75, 90",
    }
    data.update(overrides)
    return data


def field_error(html: str, name: str) -> str | None:
    """The error shown right under the input called ``name``, if any."""
    ident = "f-" + re.sub(r"[^a-zA-Z0-9_-]+", "-", name).strip("-")
    match = re.search(rf'<p class="field-error" id="{re.escape(ident)}-error">([^<]*)</p>', html)
    return match.group(1) if match else None


def input_value(html: str, name: str) -> str | None:
    match = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*value="([^"]*)"', html)
    return match.group(1) if match else None
