"""A tariff's rates one by one: add, list (by prefix), delete; and the rules every rate keeps,
which the CSV import (:mod:`kassa.rating.rate_import`) applies too."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from kassa.auth import audit
from kassa.auth.actor import Actor
from kassa.core.clock import as_utc, utcnow
from kassa.core.errors import Conflict, FieldErrors, NotFound, ValidationFailed
from kassa.core.money import MAX_AMOUNT, RATED_DECIMALS, AmountError, decimals_of, format_micros
from kassa.currencies.service import currency_exponent
from kassa.db.models import Rate
from kassa.db.models.rate import ALWAYS_EFFECTIVE
from kassa.db.pagination import paginate
from kassa.db.unique import flush_or_conflict
from kassa.rating.schemas import RateIn, RateOut
from kassa.rating.tariffs import get_tariff

MAX_PREFIX_LENGTH = 32
PREFIX_MESSAGE = 'must be digits only (no "+" or spaces), or empty for every other destination'


def prefix_problem(prefix: str) -> str | None:
    """Why ``prefix`` cannot be a rate's prefix, or None when it can."""
    if len(prefix) > MAX_PREFIX_LENGTH:
        return f"must be at most {MAX_PREFIX_LENGTH} digits"
    if prefix and not (prefix.isascii() and prefix.isdigit()):
        return PREFIX_MESSAGE
    return None


def rated_micros(value: Decimal) -> int:
    """A price or fee in micros: not negative, at most six decimals, never rounded."""
    if value < 0:
        raise AmountError("must not be negative")
    if value >= MAX_AMOUNT:
        raise AmountError(f"must be less than {MAX_AMOUNT:,}")
    if decimals_of(value) > RATED_DECIMALS:
        raise AmountError(f"must have at most {RATED_DECIMALS} decimal places")
    return int(value.scaleb(RATED_DECIMALS))


def effective_problem(value: datetime) -> str | None:
    if value.tzinfo is None or value.utcoffset() is None:
        return "must include a time zone, e.g. 2027-01-01T00:00:00Z"
    if as_utc(value) <= ALWAYS_EFFECTIVE:
        return "must be after 1970-01-01T00:00:00Z; leave it empty for always"
    return None


def snapshot(rate: Rate) -> dict[str, Any]:
    return {
        "prefix": rate.prefix,
        "price_micros": rate.price_micros,
        "per": rate.per,
        "first_interval": rate.first_interval,
        "next_interval": rate.next_interval,
        "connect_fee_micros": rate.connect_fee_micros,
        "free_units": rate.free_units,
        "effective_from": shown_effective(rate.effective_from),
        "description": rate.description,
    }


def shown_effective(stored: datetime) -> str | None:
    return None if as_utc(stored) == ALWAYS_EFFECTIVE else as_utc(stored).isoformat()


def _rate_exists(prefix: str, effective: datetime) -> Conflict:
    when = "always" if effective == ALWAYS_EFFECTIVE else f"from {effective.isoformat()}"
    return Conflict(
        f"the tariff already has a rate for prefix '{prefix}' effective {when}",
        code="rate_exists",
    )


def add_rate(session: Session, actor: Actor, tariff_id: int, data: RateIn) -> Rate:
    tariff = get_tariff(session, tariff_id, for_update=True)
    errors = FieldErrors()
    prefix = data.prefix.strip()
    problem = prefix_problem(prefix)
    if problem:
        errors.add("prefix", problem)
    micros: dict[str, int] = {}
    for field, value in (("price", data.price), ("connect_fee", data.connect_fee)):
        try:
            micros[field] = rated_micros(Decimal(value))
        except AmountError as exc:
            errors.add(field, str(exc))
    effective = ALWAYS_EFFECTIVE
    if data.effective_from is not None:
        problem = effective_problem(data.effective_from)
        if problem:
            errors.add("effective_from", problem)
        else:
            effective = as_utc(data.effective_from)
    description = (data.description or "").strip() or None
    errors.raise_if_any()
    clash = exists().where(
        Rate.tariff_id == tariff.id, Rate.prefix == prefix, Rate.effective_from == effective
    )
    if session.scalar(select(clash)):
        raise _rate_exists(prefix, effective)
    rate = Rate(
        tariff_id=tariff.id,
        prefix=prefix,
        price_micros=micros["price"],
        per=data.per,
        first_interval=data.first_interval,
        next_interval=data.next_interval,
        connect_fee_micros=micros["connect_fee"],
        free_units=data.free_units,
        effective_from=effective,
        description=description,
        created_at=utcnow(),
    )
    session.add(rate)
    flush_or_conflict(session, _rate_exists(prefix, effective))
    audit.record(session, actor, "create", "rate", rate.id, after=snapshot(rate))
    return rate


def get_rate(session: Session, tariff_id: int, rate_id: int) -> Rate:
    get_tariff(session, tariff_id)
    rate = session.get(Rate, rate_id)
    if rate is None or rate.tariff_id != tariff_id:
        raise NotFound(f"tariff {tariff_id} has no rate {rate_id}", code="rate_not_found")
    return rate


def delete_rate(session: Session, actor: Actor, tariff_id: int, rate_id: int) -> None:
    rate = get_rate(session, tariff_id, rate_id)
    audit.record(session, actor, "delete", "rate", rate.id, before=snapshot(rate))
    session.delete(rate)
    session.flush()


def page_rates(
    session: Session,
    tariff_id: int,
    *,
    prefix: str | None,
    limit: int | None,
    cursor: str | None,
) -> tuple[list[Rate], str | None]:
    """The tariff's rates in the order they were added; ``prefix`` keeps those whose prefix
    starts with it."""
    get_tariff(session, tariff_id)
    stmt = select(Rate).where(Rate.tariff_id == tariff_id)
    if prefix:
        prefix = prefix.strip()
        problem = prefix_problem(prefix)
        if problem:
            raise ValidationFailed.field("prefix", problem)
        # Digits only, so no LIKE wildcard can slip in.
        stmt = stmt.where(Rate.prefix.like(f"{prefix}%"))
    return paginate(session, stmt, Rate.id, limit=limit, cursor=cursor)


def rate_out(rate: Rate, exponent: int) -> RateOut:
    effective = as_utc(rate.effective_from)
    return RateOut(
        id=rate.id,
        tariff_id=rate.tariff_id,
        prefix=rate.prefix,
        price=format_micros(rate.price_micros, exponent),
        per=rate.per,
        first_interval=rate.first_interval,
        next_interval=rate.next_interval,
        connect_fee=format_micros(rate.connect_fee_micros, exponent),
        free_units=rate.free_units,
        effective_from=None if effective == ALWAYS_EFFECTIVE else effective,
        description=rate.description,
        created_at=rate.created_at,
    )


def rates_out(session: Session, currency: str, rates: list[Rate]) -> list[RateOut]:
    exponent = currency_exponent(session, currency)
    return [rate_out(rate, exponent) for rate in rates]
