"""Reading and checking custom field values, by the field's type.

Limits are stored as text; a value is normalized to what JSON can carry exactly: numbers as
integers or decimal strings, dates as ISO dates, datetimes as RFC 3339 in UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from kassa.core.clock import OUT_OF_RANGE
from kassa.core.money import EXACT, AmountError, parse_amount
from kassa.core.vocabulary import FieldType
from kassa.db.models import CustomField


class ValueProblem(ValueError):
    pass


def parse_number(value: Any) -> Decimal:
    try:
        return parse_amount(value)
    except AmountError as exc:
        raise ValueProblem("must be a number") from exc


def parse_date(value: Any) -> date:
    if not isinstance(value, str):
        raise ValueProblem("must be a date like 2026-12-31")
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise ValueProblem("must be a date like 2026-12-31") from exc


def parse_datetime(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueProblem("must be a date and time like 2026-12-31T10:00:00Z")
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueProblem("must be a date and time like 2026-12-31T10:00:00Z") from exc
    if parsed.tzinfo is None:
        raise ValueProblem("must include a time zone offset, e.g. Z or +01:00")
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise ValueProblem(OUT_OF_RANGE) from None


def parse_limit(field_type: str, value: Any) -> Decimal | date | datetime:
    if field_type == FieldType.NUMBER:
        return parse_number(value)
    if field_type == FieldType.DATE:
        return parse_date(value)
    return parse_datetime(value)


def limit_text(field_type: str, value: Any) -> str:
    parsed = parse_limit(field_type, value)
    if isinstance(parsed, Decimal):
        return f"{parsed.normalize(EXACT):f}"
    if isinstance(parsed, datetime):
        return parsed.isoformat().replace("+00:00", "Z")
    return parsed.isoformat()


def _json_number(value: Decimal) -> int | str:
    normalized = value.normalize(EXACT)
    if normalized == normalized.to_integral_value():
        return int(normalized)
    return f"{normalized:f}"


def check_value(field: CustomField, value: Any) -> Any:
    """The normalized value, or ValueProblem with a message fit to show beside the field."""
    if field.type == FieldType.TEXT:
        if not isinstance(value, str):
            raise ValueProblem("must be text")
        text = value.strip()
        if field.min_length is not None and len(text) < field.min_length:
            raise ValueProblem(f"must be at least {field.min_length} characters")
        if field.max_length is not None and len(text) > field.max_length:
            raise ValueProblem(f"must be at most {field.max_length} characters")
        return text
    if field.type == FieldType.LIST:
        allowed = [o["value"] for o in field.options or []]
        if not isinstance(value, str) or value not in allowed:
            raise ValueProblem(f"must be one of: {', '.join(allowed)}")
        return value
    if field.type == FieldType.NUMBER and isinstance(value, bool):
        raise ValueProblem("must be a number")
    parsed = parse_limit(field.type, value)
    low = parse_limit(field.type, field.min_value) if field.min_value is not None else None
    high = parse_limit(field.type, field.max_value) if field.max_value is not None else None
    if low is not None and parsed < low:  # type: ignore[operator]
        raise ValueProblem(f"must be at least {field.min_value}")
    if high is not None and parsed > high:  # type: ignore[operator]
        raise ValueProblem(f"must be at most {field.max_value}")
    if isinstance(parsed, Decimal):
        return _json_number(parsed)
    if isinstance(parsed, datetime):
        return parsed.isoformat().replace("+00:00", "Z")
    return parsed.isoformat()


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def validate_custom_data(
    enabled: list[tuple[CustomField, bool]],
    data: dict[str, Any] | None,
    field_prefix: str = "custom_data",
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Check a customer's custom data against its class's fields.

    Returns the normalized data and a list of (field, message) problems."""
    data = dict(data or {})
    problems: list[tuple[str, str]] = []
    by_name = {f.name: (f, mandatory) for f, mandatory in enabled}
    for key in data:
        if key not in by_name:
            problems.append(
                (f"{field_prefix}.{key}", "is not a custom field of this customer class")
            )
    result: dict[str, Any] = {}
    for name, (field, mandatory) in by_name.items():
        value = data.get(name)
        if is_blank(value):
            if field.default_value is not None:
                value = field.default_value
            elif mandatory:
                problems.append((f"{field_prefix}.{name}", f"{field.label} is required"))
                continue
            else:
                continue
        try:
            result[name] = check_value(field, value)
        except ValueProblem as exc:
            problems.append((f"{field_prefix}.{name}", str(exc)))
    return result, problems
