"""How an invoice line shows the units its usage adds up to.

Seconds are shown as minutes and bytes as MB, each to two decimals without trailing zeros
(``12.5 min``, ``1,024 MB``); a MB is 1,048,576 bytes, the MiB that data tariffs price by, so
that a line's MB times the price per MB is its amount. Messages and other units are counted
(``3 messages``, ``1 unit``).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from kassa.core.vocabulary import RatingUnit

BYTES_PER_MB = 1_048_576
SECONDS_PER_MINUTE = 60
_CENT = Decimal("0.01")


def _scaled(units: int, per: int, suffix: str) -> str:
    value = (Decimal(units) / per).quantize(_CENT, rounding=ROUND_HALF_UP)
    if value == 0 and units > 0:
        return f"< 0.01 {suffix}"
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{text} {suffix}"


def _counted(units: int, singular: str) -> str:
    return f"{units:,} {singular if units == 1 else singular + 's'}"


def units_display(units: int | None, unit: str | None) -> str | None:
    """``units`` of ``unit`` as an invoice shows them; None for a line without units."""
    if units is None or unit is None:
        return None
    if unit == RatingUnit.SECOND:
        return _scaled(units, SECONDS_PER_MINUTE, "min")
    if unit == RatingUnit.BYTE:
        return _scaled(units, BYTES_PER_MB, "MB")
    if unit in (RatingUnit.MESSAGE, RatingUnit.UNIT):
        return _counted(units, unit)
    return f"{units:,} {unit}"
