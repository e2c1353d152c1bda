"""The budget an invoice template renders within: so much time, so much output.

Operator templates run in Jinja's sandbox, which keeps them from Python's internals but not
from work without end: a loop over a billion numbers, a string multiplied a billion times. A
template over its budget fails with ``TemplateOverBudget`` instead of holding a server thread
or its memory.

- Output is produced as a stream and counted; past ``max_bytes`` the render stops.
- ``range()`` gives at most ``MAX_RANGE`` numbers and checks the clock as a loop walks it, so
  nested loops stop at the deadline even when they write nothing.
- ``*``, ``**`` and ``+`` refuse results larger than the output may be (strings, lists) or
  numbers of more than ``MAX_INT_BITS`` bits.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from jinja2.sandbox import SandboxedEnvironment

DEFAULT_SECONDS = 5.0
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
MAX_RANGE = 100_000
MAX_INT_BITS = 4096


class TemplateOverBudget(Exception):
    """What the template did past its budget, in words for the operator."""


@dataclass(frozen=True)
class RenderBudget:
    seconds: float = DEFAULT_SECONDS
    max_bytes: int = DEFAULT_MAX_BYTES


class _Meter:
    def __init__(self, budget: RenderBudget) -> None:
        self.budget = budget
        self.deadline = time.monotonic() + budget.seconds

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise TemplateOverBudget(f"it took longer than {self.budget.seconds:g} seconds")

    def check_size(self, size: int, what: str) -> None:
        if size > self.budget.max_bytes:
            raise TemplateOverBudget(f"{what} is larger than {self.budget.max_bytes:,} bytes")


# The render under way in this thread; the environment itself is shared and cached.
_meter: ContextVar[_Meter | None] = ContextVar("invoice_template_meter", default=None)


def _current() -> _Meter:
    meter = _meter.get()
    if meter is None:
        # Rendered outside render_within: the defaults still apply.
        meter = _Meter(RenderBudget())
        _meter.set(meter)
    return meter


class _TimedRange:
    """``range`` for templates: capped in length, and watching the clock while walked."""

    def __init__(self, *args: int) -> None:
        self.numbers = range(*args)
        if len(self.numbers) > MAX_RANGE:
            raise TemplateOverBudget(f"range() of more than {MAX_RANGE:,} numbers")

    def __len__(self) -> int:
        return len(self.numbers)

    def __iter__(self) -> Iterator[int]:
        meter = _current()
        for number in self.numbers:
            meter.check_time()
            yield number


def _size(value: Any) -> int | None:
    return len(value) if isinstance(value, str | bytes | list | tuple) else None


def _check_binop(operator: str, left: Any, right: Any) -> None:
    meter = _current()
    meter.check_time()
    if isinstance(left, bool) or isinstance(right, bool):
        return
    if operator == "**" and isinstance(left, int) and isinstance(right, int):
        if abs(left) > 1 and right > 0 and abs(left).bit_length() * right > MAX_INT_BITS:
            raise TemplateOverBudget(f"a number of more than {MAX_INT_BITS} bits")
    elif operator == "*":
        for sequence, count in ((left, right), (right, left)):
            size = _size(sequence)
            if size is not None and isinstance(count, int):
                meter.check_size(size * count, "a repeated value")
        numbers = isinstance(left, int) and isinstance(right, int)
        if numbers and left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise TemplateOverBudget(f"a number of more than {MAX_INT_BITS} bits")
    elif operator == "+":
        left_size, right_size = _size(left), _size(right)
        if left_size is not None and right_size is not None:
            meter.check_size(left_size + right_size, "a joined value")


class BudgetedSandbox(SandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "+"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.globals["range"] = _TimedRange

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _check_binop(operator, left, right)
        return super().call_binop(context, operator, left, right)


def render_within(template: Any, context: dict[str, Any], budget: RenderBudget) -> str:
    """The template's output, streamed and measured against ``budget``."""
    meter = _Meter(budget)
    token = _meter.set(meter)
    try:
        parts: list[str] = []
        size = 0
        for chunk in template.generate(context):
            size += len(chunk.encode())
            meter.check_size(size, "the document")
            meter.check_time()
            parts.append(chunk)
        return "".join(parts)
    finally:
        _meter.reset(token)
