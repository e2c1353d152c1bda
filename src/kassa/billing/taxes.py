"""Taxes of an invoice: each named percentage rounded once, on the invoice's subtotal.

Exclusive taxes are added on top of the subtotal; inclusive taxes are already inside it and
are only shown (the net is what remains after taking them out).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from kassa.core.money import from_micros, round_to_currency, to_micros


@dataclass(frozen=True)
class TaxAmount:
    name: str
    rate: str
    amount_micros: int


def compute_taxes(
    subtotal_micros: int, taxes: list[dict[str, str]], *, inclusive: bool, exponent: int
) -> list[TaxAmount]:
    """Taxes on a positive subtotal; a credit balance (subtotal <= 0) carries no tax."""
    if subtotal_micros <= 0 or not taxes:
        return []
    subtotal = from_micros(subtotal_micros)
    rates = [Decimal(t["rate"]) for t in taxes]
    base = subtotal / (1 + sum(rates, Decimal(0)) / 100) if inclusive else subtotal
    return [
        TaxAmount(
            name=tax["name"],
            rate=tax["rate"],
            amount_micros=to_micros(round_to_currency(base * rate / 100, exponent)),
        )
        for tax, rate in zip(taxes, rates, strict=True)
    ]
