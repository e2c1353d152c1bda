"""The one place the web UI turns domain errors into what staff read: a status, a title, a
sentence, and messages keyed by the form field they belong to."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from kassa.core.errors import KassaError

TITLES = {
    400: "Request failed",
    401: "Sign-in required",
    402: "Insufficient funds",
    403: "Not allowed",
    404: "Not found",
    409: "Cannot do that",
    422: "Please correct the highlighted fields",
    429: "Too many attempts",
    503: "Busy",
}

# Conflicts that are about one form field: the message belongs next to that field.
CONFLICT_FIELDS = {
    "customer_name_taken": "name",
    "class_name_taken": "name",
    "business_model_name_taken": "name",
    "custom_field_name_taken": "name",
    "class_currency_conflict": "currency",
    "tariff_name_taken": "name",
    "product_name_taken": "name",
    "plan_name_taken": "name",
}

# Field names the services give per list item ("services[2]") shown once for the whole input.
LIST_ITEM_RE = re.compile(r"^(notifications|credit_limit_warnings|services)\[\d+\]$")

FRIENDLY_PYDANTIC = {
    "missing": "This field is required",
    "int_parsing": "Must be a whole number",
    "int_type": "Must be a whole number",
    "int_from_float": "Must be a whole number",
    "decimal_parsing": "Must be a number",
    "decimal_type": "Must be a number",
    "finite_number": "Must be a finite number",
    "bool_parsing": "Must be yes or no",
}


@dataclass
class WebProblem:
    status: int
    title: str
    message: str
    fields: dict[str, str] = field(default_factory=dict)


def form_field(name: str) -> str:
    """The form input a service field name is shown beside."""
    return name.split("[", 1)[0] if LIST_ITEM_RE.match(name) else name


def _add(fields: dict[str, str], name: str, message: str) -> None:
    key = form_field(name)
    # Service messages read as "<field> must ..."; beside the field they start a sentence.
    message = message[:1].upper() + message[1:]
    # The first message for an input is the one to fix first; later ones follow it.
    fields[key] = f"{fields[key]}; {message}" if key in fields else message


def problem_for(error: KassaError, renames: dict[str, str] | None = None) -> WebProblem:
    status = error.http_status
    fields: dict[str, str] = {}
    for item in error.errors:
        _add(fields, (renames or {}).get(item.field, item.field), item.message)
    if not fields and error.code in CONFLICT_FIELDS:
        _add(fields, CONFLICT_FIELDS[error.code], error.detail)
    message = error.detail
    if status == 422 and fields:
        message = TITLES[422] + "."
    elif message:
        message = message[0].upper() + message[1:]
    return WebProblem(status, TITLES.get(status, TITLES[400]), message, fields)


def loc_name(loc: tuple[int | str, ...]) -> str:
    """pydantic's error location as the dotted, indexed name the services use."""
    name = ""
    for part in loc:
        if isinstance(part, int):
            name += f"[{part}]"
        elif "[" in part or part.startswith("function-"):
            continue
        else:
            name += f".{part}" if name else part
    return name or "form"


def _pydantic_message(error: Any) -> str:
    kind = str(error.get("type", ""))
    if kind in FRIENDLY_PYDANTIC:
        return FRIENDLY_PYDANTIC[kind]
    message = str(error.get("msg", "is invalid"))
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            message = message[len(prefix) :]
    return message


def problem_for_validation(
    error: ValidationError, renames: dict[str, str] | None = None
) -> WebProblem:
    """A form's values that did not even parse (a word in a number field, say)."""
    fields: dict[str, str] = {}
    for item in error.errors():
        name = loc_name(tuple(item.get("loc", ())))
        _add(fields, (renames or {}).get(name, name), _pydantic_message(item))
    return WebProblem(422, TITLES[422], TITLES[422] + ".", fields)


def unplaced(problem: WebProblem, shown: set[str]) -> list[str]:
    """Messages for fields the form has no input for, to show above the form instead."""
    return [f"{name}: {message}" for name, message in problem.fields.items() if name not in shown]
