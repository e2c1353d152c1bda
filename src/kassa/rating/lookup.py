"""The rate for a destination: the longest of its prefixes a tariff prices, as of a time.

A tariff may hold hundreds of thousands of prefixes, so the lookup never scans them: it asks
the unique index (tariff_id, prefix, effective_from) for the destination's own prefixes only,
in one statement with an IN list (at most 33 of them: the prefix column holds 32 digits), and
keeps the longest, latest effective one. The statement runs on the real-time path, so it is
prepared once per number of prefixes (docs/architecture.md §6).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, func, select

from kassa.core.errors import ValidationFailed
from kassa.db.engine import Unit
from kassa.db.fast.prepared import Prepared
from kassa.db.models import Rate
from kassa.rating.cost import RateTerms

# The longest prefix a rate may have (the width of rates.prefix).
MAX_PREFIX_DIGITS = 32

_rates = cast(Table, Rate.__table__)


@dataclass(frozen=True, slots=True)
class FoundRate:
    """The rate that prices a destination, as it was at the time asked about."""

    tariff_id: int
    prefix: str
    description: str | None
    terms: RateTerms


def destination_digits(destination: str | None, *, field: str = "destination") -> str:
    """The digits rates are matched on: a leading ``+`` is ignored, anything else but digits is
    a 422 on ``field``. No destination is ``""``, which only the catch-all rate matches."""
    if destination is None:
        return ""
    digits = destination[1:] if destination.startswith("+") else destination
    if not digits.isascii() or not digits.isdigit():
        raise ValidationFailed.field(
            field, "must be digits, optionally after a leading '+' (e.g. +442071234567)"
        )
    return digits


_BY_ARITY: dict[int, Prepared] = {}


def lookup_statement(arity: int) -> Prepared:
    """The lookup for a destination of ``arity`` prefixes (one statement per arity)."""
    statement = _BY_ARITY.get(arity)
    if statement is None:
        statement = _BY_ARITY[arity] = Prepared(
            select(
                _rates.c.prefix,
                _rates.c.description,
                _rates.c.price_micros,
                _rates.c.per,
                _rates.c.first_interval,
                _rates.c.next_interval,
                _rates.c.connect_fee_micros,
                _rates.c.free_units,
            )
            .where(
                _rates.c.tariff_id == bindparam("tid"),
                _rates.c.prefix.in_([bindparam(f"p{i}") for i in range(arity)]),
                _rates.c.effective_from <= bindparam("at"),
            )
            .order_by(func.length(_rates.c.prefix).desc(), _rates.c.effective_from.desc())
            .limit(1)
        )
    return statement


def find_rate(session: Unit, tariff_id: int, digits: str, at: datetime) -> FoundRate | None:
    """The rate of ``tariff_id`` for the destination ``digits`` (from
    :func:`destination_digits`) effective at ``at``, or None when no prefix of it has one.

    Among a prefix's rates the latest already effective wins; a prefix whose rates all start
    later is passed over for a shorter one."""
    prefixes = [digits[:i] for i in range(min(len(digits), MAX_PREFIX_DIGITS) + 1)]
    params: dict[str, object] = {f"p{i}": prefix for i, prefix in enumerate(prefixes)}
    params["tid"] = tariff_id
    params["at"] = at
    row = lookup_statement(len(prefixes)).first(session, params)
    if row is None:
        return None
    prefix, description, *terms = row
    return FoundRate(tariff_id, prefix, description, RateTerms(*terms))


def no_rate(tariff_id: int, digits: str, *, field: str = "destination") -> ValidationFailed:
    shown = f"+{digits}" if digits else "no destination"
    return ValidationFailed.field(
        field, f"tariff {tariff_id} has no rate for {shown}", code="no_rate"
    )
