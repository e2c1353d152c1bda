"""The customer form: the choices it offers, and its strings turned into service input."""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from starlette.datastructures import FormData

from kassa.business_models.service import list_business_models
from kassa.core.errors import NotFound
from kassa.core.ids import id_from_text
from kassa.core.periods import BillingPeriod
from kassa.core.vocabulary import BalanceControl, FieldType
from kassa.currencies.service import list_currencies
from kassa.custom_fields.service import list_custom_fields
from kassa.customer_classes.service import (
    default_class,
    enabled_fields,
    get_customer_class,
    list_customer_classes,
)
from kassa.customers.schemas import CustomerIn, CustomerPatch
from kassa.db.engine import DbSession
from kassa.db.models import Customer, CustomerClass, CustomField
from kassa.web.forms import optional, text

BALANCE_CONTROLS = (
    (BalanceControl.PREPAID, "Prepaid"),
    (BalanceControl.POSTPAID, "Postpaid"),
)
BILLING_PERIODS = (
    (BillingPeriod.DAILY, "Daily"),
    (BillingPeriod.WEEKLY, "Weekly (Monday to Sunday)"),
    (BillingPeriod.SEMIMONTHLY, "Semimonthly (1st-15th, 16th-end of month)"),
    (BillingPeriod.MONTHLY, "Monthly (calendar month)"),
    (BillingPeriod.MONTHLY_ANNIVERSARY, "Monthly, from the day the customer was created"),
    (BillingPeriod.THIRTY_DAYS, "Every 30 days"),
)
FIELDS = (
    "name",
    "balance_control",
    "currency",
    "credit_limit",
    "available_funds",
    "business_model_id",
    "customer_class_id",
    "billing_period",
    "billing_timezone",
    "email",
)
CUSTOM_PREFIX = "custom_data."
# What <input type="datetime-local"> sends: no seconds or no offset.
LOCAL_DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$")

ClassFields = list[tuple[CustomField, bool]]


@lru_cache(maxsize=1)
def timezones() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


@dataclass
class Choices:
    currencies: list[tuple[str, str]]
    business_models: list[tuple[str, str]]
    classes: list[tuple[str, str]]
    balance_controls: tuple[tuple[str, str], ...] = BALANCE_CONTROLS
    billing_periods: tuple[tuple[str, str], ...] = BILLING_PERIODS


def load_choices(session: DbSession, keep_currency: str | None = None) -> Choices:
    currencies = [(c.code, f"{c.code} · {c.name}") for c in list_currencies(session, enabled=True)]
    if keep_currency and keep_currency not in {code for code, _ in currencies}:
        currencies.append((keep_currency, keep_currency))
    return Choices(
        currencies=currencies,
        business_models=[(str(m.id), m.name) for m in list_business_models(session)],
        classes=[
            (str(c.id), c.name + (f" ({c.currency})" if c.currency else ""))
            for c in list_customer_classes(session)
        ],
    )


def chosen_class(session: DbSession, raw: Any) -> CustomerClass:
    """The class a form names, or Default when it names none (or one that does not exist)."""
    class_id = id_from_text(raw) if isinstance(raw, str) else None
    if class_id is not None:
        try:
            return get_customer_class(session, class_id)
        except NotFound:
            pass
    return default_class(session)


def class_fields(session: DbSession, raw_class_id: Any) -> ClassFields:
    return enabled_fields(session, chosen_class(session, raw_class_id))


def custom_inputs(form: Any, fields: ClassFields) -> dict[str, str]:
    """The class's custom data inputs as typed, keyed by input name."""
    values: dict[str, str] = {}
    for custom_field, _mandatory in fields:
        raw = form.get(CUSTOM_PREFIX + custom_field.name)
        values[CUSTOM_PREFIX + custom_field.name] = raw if isinstance(raw, str) else ""
    return values


def custom_data(form: FormData, fields: ClassFields) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for custom_field, _mandatory in fields:
        value = text(form, CUSTOM_PREFIX + custom_field.name)
        if not value:
            continue
        if custom_field.type == FieldType.DATETIME and LOCAL_DATETIME_RE.match(value):
            # The form asks for UTC; the browser's picker sends no offset.
            value = (value if value.count(":") == 2 else value + ":00") + "Z"
        data[custom_field.name] = value
    return data


def custom_values(customer: Customer, fields: ClassFields) -> dict[str, str]:
    """Stored custom data as the inputs show it."""
    values: dict[str, str] = {}
    for custom_field, _mandatory in fields:
        value = (customer.custom_data or {}).get(custom_field.name)
        if value is None:
            continue
        shown = str(value)
        if custom_field.type == FieldType.DATETIME and shown.endswith("Z"):
            shown = shown[:-1]
        values[CUSTOM_PREFIX + custom_field.name] = shown
    return values


def new_customer_values(session: DbSession) -> dict[str, Any]:
    currencies = list_currencies(session, enabled=True)
    return {
        "balance_control": BalanceControl.PREPAID,
        "currency": currencies[0].code if currencies else "",
        "customer_class_id": str(default_class(session).id),
        "billing_period": BillingPeriod.MONTHLY,
        "billing_timezone": "UTC",
    }


def _int_or_text(value: str | None) -> Any:
    """Ids as ints when they are digits; anything else goes to pydantic to be named wrong."""
    if value is None:
        return None
    found = id_from_text(value)
    return value if found is None else found


def customer_in(form: FormData, fields: ClassFields) -> CustomerIn:
    """The posted form as service input (raises pydantic's ValidationError)."""
    balance_control = text(form, "balance_control")
    values: dict[str, Any] = {
        "name": text(form, "name"),
        "balance_control": balance_control,
        "currency": text(form, "currency"),
        "customer_class_id": _int_or_text(optional(form, "customer_class_id")),
        "billing_period": text(form, "billing_period") or BillingPeriod.MONTHLY,
        "billing_timezone": text(form, "billing_timezone"),
        "email": optional(form, "email"),
        "custom_data": custom_data(form, fields),
    }
    model = optional(form, "business_model_id")
    if model is not None:
        values["business_model_id"] = _int_or_text(model)
    # Only the amount that belongs to the chosen balance control is read; the other input is
    # hidden, and whatever it still holds is not what the user means.
    if balance_control == BalanceControl.POSTPAID:
        values["credit_limit"] = optional(form, "credit_limit")
    elif balance_control == BalanceControl.PREPAID:
        values["available_funds"] = optional(form, "available_funds")
    return CustomerIn.model_validate(values)


def customer_patch(form: FormData, customer: Customer, fields: ClassFields) -> CustomerPatch:
    values: dict[str, Any] = {
        "name": text(form, "name"),
        "business_model_id": _int_or_text(optional(form, "business_model_id")),
        "customer_class_id": _int_or_text(optional(form, "customer_class_id")),
        "billing_period": optional(form, "billing_period"),
        "billing_timezone": text(form, "billing_timezone"),
        "email": optional(form, "email"),
        "custom_data": custom_data(form, fields),
    }
    if customer.balance_control == BalanceControl.POSTPAID:
        # Blank means no limit.
        values["credit_limit"] = optional(form, "credit_limit")
    return CustomerPatch.model_validate(values)


def customer_values(customer: Customer, credit_limit: str | None) -> dict[str, Any]:
    return {
        "name": customer.name,
        "credit_limit": credit_limit or "",
        "business_model_id": str(customer.business_model_id),
        "customer_class_id": str(customer.customer_class_id),
        "billing_period": customer.billing_period,
        "billing_timezone": customer.billing_timezone,
        "email": customer.email or "",
    }


def field_labels(session: DbSession) -> dict[str, str]:
    return {f.name: f.label for f in list_custom_fields(session)}


def _limits(low: Any, high: Any, unit: str = "") -> str:
    if low is not None and high is not None:
        return f"from {low} to {high}{unit}"
    if low is not None:
        return f"at least {low}{unit}"
    if high is not None:
        return f"at most {high}{unit}"
    return ""


def _help(field: CustomField) -> str:
    parts: list[str] = []
    if field.type == FieldType.TEXT:
        limits = _limits(field.min_length, field.max_length, " characters")
        parts.append(f"Text, {limits}." if limits else "")
    elif field.type == FieldType.NUMBER:
        limits = _limits(field.min_value, field.max_value)
        parts.append(f"A number, {limits}." if limits else "A number.")
    elif field.type == FieldType.DATE:
        limits = _limits(field.min_value, field.max_value)
        parts.append(f"A date, {limits}." if limits else "")
    elif field.type == FieldType.DATETIME:
        limits = _limits(field.min_value, field.max_value)
        parts.append("Date and time in UTC" + (f", {limits}." if limits else "."))
    if field.default_value is not None:
        parts.append(f"Left empty, it is {field.default_value}.")
    if field.personal_data:
        parts.append("Personal data.")
    return " ".join(p for p in parts if p)


INPUT_TYPES: dict[str, str] = {
    FieldType.TEXT: "text",
    FieldType.NUMBER: "text",
    FieldType.DATE: "date",
    FieldType.DATETIME: "datetime-local",
}


def custom_field_inputs(fields: ClassFields) -> list[dict[str, Any]]:
    """What the Custom data section renders for each of a class's fields."""
    return [
        {
            "name": CUSTOM_PREFIX + field.name,
            "label": field.label + (" (UTC)" if field.type == FieldType.DATETIME else ""),
            "type": field.type,
            "input_type": INPUT_TYPES.get(field.type, "text"),
            "inputmode": "decimal" if field.type == "number" else None,
            "mandatory": mandatory,
            "help": _help(field),
            "options": [(o["value"], o["label"]) for o in field.options or []],
        }
        for field, mandatory in fields
    ]
