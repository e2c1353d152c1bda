"""The customer class form: stored class <-> form values <-> service input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.datastructures import FormData

from kassa.customer_classes.service import BUILT_IN_TEMPLATES
from kassa.db.models import CustomerClass, CustomField
from kassa.web.forms import split_list, text, texts

FIELD_MODES = (("", "Not used"), ("optional", "Optional"), ("mandatory", "Mandatory"))
EVENT_LABELS = {
    "customer_created": "Customer created",
    "customer_updated": "Customer details changed",
    "customer_status_changed": "Status changed",
    "payment_received": "Payment received",
    "credit_limit_warning": "Credit limit warning",
    "credit_limit_reached": "Credit limit reached",
    "funds_depleted": "Funds depleted",
    "invoice_issued": "Invoice issued",
    "invoice_overdue": "Invoice overdue",
    "customer_suspended": "Customer suspended",
    "subscription_created": "Subscription created",
    "subscription_cancelled": "Subscription cancelled",
}
EMPTY_TAX_ROWS = 1


def field_key(field_id: int) -> str:
    return f"field_{field_id}"


def invoice_templates(
    templates_dir: Path | None, current: str | None = None
) -> list[tuple[str, str]]:
    names = [("standard", "Standard"), ("none", "None (no invoice is issued)")]
    if templates_dir is not None and templates_dir.is_dir():
        names += [
            (p.stem, p.stem)
            for p in sorted(templates_dir.glob("*.html"))
            if p.stem not in BUILT_IN_TEMPLATES
        ]
    if current and current not in {n for n, _ in names}:
        names.append((current, current))
    return names


def values_of(cls: CustomerClass) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": cls.name,
        "currency": cls.currency or "",
        "grace_period_days": str(cls.grace_period_days),
        "suspend_after_days": "" if cls.suspend_after_days is None else str(cls.suspend_after_days),
        "invoice_template": cls.invoice_template,
        "tax_inclusive": "1" if cls.tax_inclusive else "0",
        "taxes": [(t["name"], t["rate"]) for t in cls.taxes],
        "notifications": list(cls.notifications),
        "credit_limit_warnings": ", ".join(cls.credit_limit_warnings),
    }
    for f in cls.custom_fields:
        values[field_key(f.custom_field_id)] = "mandatory" if f.mandatory else "optional"
    return values


def new_values() -> dict[str, Any]:
    return {
        "grace_period_days": "14",
        "invoice_template": "standard",
        "tax_inclusive": "0",
        "taxes": [],
        "notifications": ["invoice_issued", "payment_received", "credit_limit_warning"],
        "credit_limit_warnings": "80, 90",
    }


def values_from_form(form: FormData, fields: list[CustomField]) -> dict[str, Any]:
    rows = zip(texts(form, "tax_name"), texts(form, "tax_rate"), strict=False)
    values: dict[str, Any] = {
        "name": text(form, "name"),
        "currency": text(form, "currency"),
        "grace_period_days": text(form, "grace_period_days"),
        "suspend_after_days": text(form, "suspend_after_days"),
        "invoice_template": text(form, "invoice_template"),
        "tax_inclusive": "1" if text(form, "tax_inclusive") == "1" else "0",
        # Rows left blank are not taxes; dropping them keeps error rows aligned with inputs.
        "taxes": [(name, rate) for name, rate in rows if name or rate],
        "notifications": [v for v in form.getlist("notifications") if isinstance(v, str)],
        "credit_limit_warnings": text(form, "credit_limit_warnings"),
    }
    for f in fields:
        mode = text(form, field_key(f.id))
        values[field_key(f.id)] = mode if mode in ("optional", "mandatory") else ""
    return values


def payload(
    values: dict[str, Any], fields: list[CustomField]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Service input for the class, and the service's field names for the per-field inputs."""
    chosen = [f for f in fields if values.get(field_key(f.id))]
    renames = {}
    for i, f in enumerate(chosen):
        renames[f"custom_fields[{i}].custom_field_id"] = field_key(f.id)
        renames[f"custom_fields[{i}].mandatory"] = field_key(f.id)
    data = {
        "name": values["name"],
        "currency": values["currency"] or None,
        "grace_period_days": values["grace_period_days"] or 0,
        "suspend_after_days": values["suspend_after_days"] or None,
        "invoice_template": values["invoice_template"] or "standard",
        "taxation": {
            "inclusive": values["tax_inclusive"] == "1",
            "taxes": [{"name": name, "rate": rate} for name, rate in values["taxes"]],
        },
        "notifications": values["notifications"],
        "credit_limit_warnings": split_list(values["credit_limit_warnings"]),
        "custom_fields": [
            {
                "custom_field_id": f.id,
                "mandatory": values[field_key(f.id)] == "mandatory",
            }
            for f in chosen
        ],
    }
    return data, renames


def shown_fields(values: dict[str, Any], fields: list[CustomField]) -> set[str]:
    shown = {
        "name",
        "currency",
        "grace_period_days",
        "suspend_after_days",
        "invoice_template",
        "notifications",
        "credit_limit_warnings",
    }
    for i in range(len(values.get("taxes", []))):
        shown |= {f"taxation.taxes[{i}].name", f"taxation.taxes[{i}].rate"}
    return shown | {field_key(f.id) for f in fields}


def describe_taxes(cls: CustomerClass) -> str:
    if not cls.taxes:
        return "None"
    taxes = ", ".join(f"{t['name']} {t['rate']}%" for t in cls.taxes)
    return f"{taxes} ({'inclusive' if cls.tax_inclusive else 'exclusive'})"
