"""The cost of units at a rate, in exact integers (micros), and its inverse: how many units a
sum of money buys.

Cost of ``n`` units: 0 for ``n == 0``; otherwise ``connect_fee + billed * price / per`` rounded
up to the micro, where ``b = max(n - free_units, 0)`` and ``billed`` is 0 for ``b == 0``, else
``first_interval + ceil(max(b - first_interval, 0) / next_interval) * next_interval``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RateTerms:
    """A rate's price and how it counts units: ``price_micros`` per ``per`` units, billed in a
    first interval and then in steps of ``next_interval``, after ``free_units`` free ones, plus
    ``connect_fee_micros`` once for any use at all."""

    price_micros: int
    per: int
    first_interval: int
    next_interval: int
    connect_fee_micros: int = 0
    free_units: int = 0


def billed_units(terms: RateTerms, units: int) -> int:
    """The units charged for ``units`` used: rounded up to the intervals, free ones left out."""
    counted = units - terms.free_units
    if counted <= 0:
        return 0
    beyond = counted - terms.first_interval
    if beyond <= 0:
        return terms.first_interval
    steps = -(-beyond // terms.next_interval)
    return terms.first_interval + steps * terms.next_interval


def cost_micros(terms: RateTerms, units: int) -> int:
    if units <= 0:
        return 0
    priced = billed_units(terms, units) * terms.price_micros
    return terms.connect_fee_micros + -(-priced // terms.per)


def most_units_within(terms: RateTerms, units: int, funds_micros: int) -> int:
    """The largest ``n <= units`` whose cost ``funds_micros`` covers (0 when none but no use
    does).

    In closed form: the cost only grows with ``n``, and it is at most the funds exactly when
    the billed units are at most ``floor((funds - connect_fee) * per / price)``; the most
    units with that many billed end where an interval ends."""
    if units <= 0 or funds_micros < terms.connect_fee_micros:
        return 0
    if terms.price_micros == 0:
        return units
    most_billed = (funds_micros - terms.connect_fee_micros) * terms.per // terms.price_micros
    if most_billed < terms.first_interval:
        most = terms.free_units
    else:
        steps = (most_billed - terms.first_interval) // terms.next_interval
        most = terms.free_units + terms.first_interval + steps * terms.next_interval
    return min(most, units)
