"""Pydantic field types for money on input: JSON strings or numbers, read exactly."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

from kassa.core.money import AmountError, parse_amount


def _read(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        return parse_amount(value)
    except AmountError as exc:
        raise ValueError(str(exc)) from exc


_SCHEMA = {
    "anyOf": [{"type": "string", "pattern": r"^-?\d+(\.\d+)?$"}, {"type": "number"}],
    "examples": ["12.50"],
}

Amount = Annotated[
    Decimal,
    BeforeValidator(_read),
    PlainSerializer(lambda v: f"{v:f}", return_type=str),
    WithJsonSchema(_SCHEMA),
]
OptionalAmount = Annotated[
    Decimal | None,
    BeforeValidator(_read),
    PlainSerializer(lambda v: None if v is None else f"{v:f}", return_type=str | None),
    WithJsonSchema({"anyOf": [*_SCHEMA["anyOf"], {"type": "null"}], "examples": ["500.00"]}),
]
