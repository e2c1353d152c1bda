"""ISO 4217 currencies, seeded from the ``iso4217`` package's copy of the ISO tables."""

from __future__ import annotations

from iso4217 import Currency as IsoCurrency
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from kassa.auth import audit
from kassa.auth.actor import Actor
from kassa.core.errors import Conflict, FieldErrors, NotFound, ValidationFailed
from kassa.db.engine import Unit
from kassa.db.models import Currency
from kassa.db.pagination import paginate

ENABLED_ON_FIRST_START = ("USD", "EUR")


def seed_currencies(session: Session) -> int:
    """Insert the currencies the table lacks; returns how many were added."""
    known = set(session.scalars(select(Currency.code)))
    first_start = not known
    added = 0
    for iso in IsoCurrency:
        if iso.code in known:
            continue
        session.add(
            Currency(
                code=iso.code,
                name=iso.currency_name,
                numeric_code=f"{iso.number:03d}" if iso.number else None,
                exponent=iso.exponent,
                enabled=first_start and iso.code in ENABLED_ON_FIRST_START,
            )
        )
        added += 1
    session.flush()
    return added


def list_currencies(session: Session, *, enabled: bool | None = None) -> list[Currency]:
    stmt = select(Currency).order_by(Currency.code)
    if enabled is not None:
        stmt = stmt.where(Currency.enabled.is_(enabled))
    return list(session.scalars(stmt))


def page_currencies(
    session: Session, *, enabled: bool | None = None, limit: int | None, cursor: str | None
) -> tuple[list[Currency], str | None]:
    stmt = select(Currency)
    if enabled is not None:
        stmt = stmt.where(Currency.enabled.is_(enabled))
    return paginate(session, stmt, Currency.code, limit=limit, cursor=cursor)


def get_currency(session: Session, code: str) -> Currency:
    currency = session.get(Currency, code.upper())
    if currency is None:
        raise NotFound(f"currency '{code}' is not an ISO 4217 code", code="currency_not_found")
    return currency


def set_enabled(session: Session, actor: Actor, code: str, enabled: bool) -> Currency:
    currency = get_currency(session, code)
    if enabled and currency.exponent is None:
        raise Conflict(
            f"{currency.code} ({currency.name}) is not a money currency and cannot be charged in",
            code="currency_not_chargeable",
        )
    if currency.enabled != enabled:
        audit.record(
            session,
            actor,
            "update",
            "currency",
            currency.code,
            before={"enabled": currency.enabled},
            after={"enabled": enabled},
        )
        currency.enabled = enabled
    return currency


def require_enabled(session: Session, code: str | None, field: str = "currency") -> Currency:
    """The currency a customer or class may use: known, enabled, and money."""
    if not code or not isinstance(code, str):
        raise ValidationFailed.field(field, "is required")
    currency = session.get(Currency, code.strip().upper())
    if currency is None:
        raise ValidationFailed.field(field, f"'{code}' is not an ISO 4217 currency code")
    if not currency.enabled:
        raise ValidationFailed.field(
            field, f"{currency.code} is not enabled; enable it under Currencies first"
        )
    return currency


def enabled_code(session: Session, code: str, errors: FieldErrors) -> str | None:
    """``code`` as an enabled currency's code, or None with the reason added to ``errors``:
    for a form that reports every refused field at once."""
    try:
        return require_enabled(session, code).code
    except ValidationFailed as exc:
        errors.items.extend(exc.errors)
        return None


class CurrencyOut(BaseModel):
    code: str
    name: str
    exponent: int | None
    enabled: bool


class CurrencyPage(BaseModel):
    items: list[CurrencyOut]
    next_cursor: str | None


class CurrencyChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool


def currency_out(currency: Currency) -> CurrencyOut:
    return CurrencyOut(
        code=currency.code, name=currency.name, exponent=currency.exponent, enabled=currency.enabled
    )


_EXPONENTS: dict[str, int] = {}


def currency_exponent(session: Unit, code: str) -> int:
    """ISO 4217 exponents never change, so each process reads them once."""
    if code not in _EXPONENTS:
        rows = session.execute(select(Currency.code, Currency.exponent))
        _EXPONENTS.update({c: e or 0 for c, e in rows})
    return _EXPONENTS.get(code, 2)
