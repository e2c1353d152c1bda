"""Reading posted forms, and what a form template needs to show: values, errors, a summary."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from kassa.core.errors import ValidationFailed
from kassa.core.ids import id_from_text
from kassa.web.errors import WebProblem, unplaced


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def optional(form: FormData, name: str) -> str | None:
    """Blank means 'not given'."""
    return text(form, name) or None


def texts(form: FormData, name: str) -> list[str]:
    return [v.strip() if isinstance(v, str) else "" for v in form.getlist(name)]


def split_list(value: str) -> list[str]:
    """'80, 90' or '80 90' -> ['80', '90']."""
    return [part for part in value.replace(",", " ").split() if part]


def typed_values(form: FormData) -> dict[str, str]:
    """Everything the user typed, to put back into the form when it is shown again."""
    values: dict[str, str] = {}
    for key, value in form.multi_items():
        if isinstance(value, str) and key != "csrf_token":
            values.setdefault(key, value)
    return values


@dataclass
class FormView:
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    message: str | None = None
    other_errors: list[str] = field(default_factory=list)

    def value(self, name: str, default: Any = "") -> Any:
        value = self.values.get(name)
        return default if value is None else value

    def error(self, name: str) -> str | None:
        return self.errors.get(name)

    @classmethod
    def failed(cls, values: dict[str, Any], problem: WebProblem, shown: Iterable[str]) -> FormView:
        return cls(
            values=values,
            errors=problem.fields,
            message=problem.message,
            other_errors=unplaced(problem, set(shown)),
        )


def id_filter(raw: str, field: str, message: str) -> int | None:
    """A list filter naming a row by id: None when left blank, refused when not an id."""
    if not raw.strip():
        return None
    found = id_from_text(raw)
    if found is None:
        raise ValidationFailed.field(field, message)
    return found
