"""Exact money: Decimal in Python, integer micros (1 unit = 1,000,000) in the database.

Amounts an operator types may carry at most the currency's exponent in decimals; rated usage
may carry up to six. Anything finer is refused, never rounded, so no cent appears or vanishes.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation

from kassa.core.errors import ValidationFailed

MICROS_PER_UNIT = 1_000_000
MICRO_EXPONENT = 6
# Rated usage (reservations, commits, usage records) may carry this many decimals in any
# currency.
RATED_DECIMALS = 6
# BIGINT micros hold about 9.2e12 units; keep well inside so sums cannot overflow.
MAX_AMOUNT = Decimal("1000000000000")
# How far a balance, and a customer's reservations together, may go (either way, for the
# balance). With the amount limit this keeps every sum the databases compute on a customer's
# row (limit - balance - reserved, balance + amount) inside BIGINT.
MAX_BALANCE_MICROS = 4 * 10**18
# Far from these magnitudes Decimal arithmetic overflows, or quietly underflows to zero; no
# amount, rate or custom number needs them.
MAX_MAGNITUDE = 30
# Enough precision for any number parse_amount accepts, so normalize() never rounds.
EXACT = Context(prec=2 * MAX_MAGNITUDE + 2)
DECIMAL_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


class AmountError(ValueError):
    """A human-readable reason an amount is unacceptable."""


def parse_amount(value: object) -> Decimal:
    """Turn a JSON string or number into a finite Decimal, exactly."""
    if isinstance(value, bool):
        raise AmountError('must be a decimal number, e.g. "12.50"')
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        # repr() is the shortest string that round-trips, i.e. what the JSON text said.
        result = Decimal(repr(value))
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            raise AmountError("must not be empty")
        try:
            result = Decimal(text)
        except InvalidOperation as exc:
            raise AmountError(f"{value!r} is not a decimal number") from exc
        # Decimal() also takes "1_000" and digits of other scripts (NaN is refused below).
        if result.is_finite() and not DECIMAL_TEXT.fullmatch(text):
            raise AmountError(f"{value!r} is not a decimal number")
    else:
        raise AmountError('must be a decimal number, e.g. "12.50"')
    if not result.is_finite():
        raise AmountError("must be a finite number")
    exponent = result.as_tuple().exponent
    assert isinstance(exponent, int)
    if result.adjusted() > MAX_MAGNITUDE or exponent < -MAX_MAGNITUDE:
        raise AmountError("is out of range")
    return result


def decimals_of(amount: Decimal) -> int:
    exponent = amount.normalize(EXACT).as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


def check_amount(
    amount: Decimal,
    *,
    max_decimals: int,
    allow_zero: bool = True,
    allow_negative: bool = False,
) -> Decimal:
    if amount < 0 and not allow_negative:
        raise AmountError("must not be negative")
    if amount == 0 and not allow_zero:
        raise AmountError("must be greater than zero")
    if abs(amount) >= MAX_AMOUNT:
        raise AmountError(f"must be less than {MAX_AMOUNT:,}")
    if decimals_of(amount) > max_decimals:
        if max_decimals == 0:
            raise AmountError("must be a whole number in this currency")
        raise AmountError(f"must have at most {max_decimals} decimal places in this currency")
    return amount


def to_micros(amount: Decimal) -> int:
    scaled = amount * MICROS_PER_UNIT
    if scaled != scaled.to_integral_value():
        raise AmountError("must have at most 6 decimal places")
    return int(scaled)


def amount_micros(value: Decimal, *, field: str, max_decimals: int) -> int:
    """A positive amount with no more decimals than allowed, in micros; else a 422 on ``field``."""
    try:
        return to_micros(check_amount(value, max_decimals=max_decimals, allow_zero=False))
    except AmountError as exc:
        raise ValidationFailed.field(field, str(exc)) from exc


def from_micros(micros: int) -> Decimal:
    return Decimal(micros).scaleb(-MICRO_EXPONENT)


def format_micros(micros: int, exponent: int) -> str:
    """Decimal string with at least the currency's decimals, more only when they are non-zero.

    In integers: every amount Kassa shows passes through here, invoice runs by the hundred
    thousand, and Decimal formatting costs several times as much."""
    units, fraction = divmod(abs(micros), MICROS_PER_UNIT)
    decimals = f"{fraction:06d}".rstrip("0").ljust(exponent, "0")
    sign = "-" if micros < 0 else ""
    return f"{sign}{units}.{decimals}" if decimals else f"{sign}{units}"


def round_to_currency(amount: Decimal, exponent: int) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-exponent), rounding=ROUND_HALF_UP)


def round_micros(micros: int, exponent: int) -> int:
    """``round_to_currency`` on micros, in integers: the same result (half away from zero) at
    a fraction of the cost, for work that rounds many amounts."""
    if exponent >= MICRO_EXPONENT:
        return micros
    step = 10 ** (MICRO_EXPONENT - exponent)
    units, rest = divmod(abs(micros), step)
    if 2 * rest >= step:
        units += 1
    return units * step if micros >= 0 else -units * step
