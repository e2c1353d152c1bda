"""Rated authorizations: the network asks in units (seconds, bytes), Kassa rates and decides.

A rated authorization is a money reservation like any other (kassa.ledger.authorizations holds,
extends and settles it, in the same locks and statements), whose amount is the cost of the
units granted at the rate of the account's product when the session started. The rate's
terms are copied onto its row, so extending and committing price at the rate reserved.
"""

from __future__ import annotations

from datetime import timedelta
from typing import cast

from sqlalchemy import Table, bindparam, func, select

from kassa.auth.actor import Actor
from kassa.charging.rates import snapshot, terms_of
from kassa.charging.schemas import RatedReserveIn
from kassa.core.clock import utcnow
from kassa.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from kassa.core.vocabulary import AccountStatus, AuthorizationStatus, CustomerStatus
from kassa.currencies.service import currency_exponent
from kassa.db.engine import Unit
from kassa.db.fast.prepared import Prepared
from kassa.db.models import Authorization
from kassa.ledger import authorizations as ledger
from kassa.ledger.authorization_queries import AuthorizationRecord, AuthorizationView
from kassa.ledger.entries import RatedUsage
from kassa.ledger.holds import available_micros
from kassa.ledger.locks import LOCK_ACCOUNT_TO_RESERVE, LOCK_CUSTOMER_FUNDS
from kassa.ledger.schemas import DEFAULT_TTL_SECONDS, CommitIn, ExtendIn
from kassa.rating.cost import cost_micros, most_units_within
from kassa.rating.lookup import destination_digits, find_rate, no_rate

_auths = cast(Table, Authorization.__table__)
_OPEN_SESSIONS = Prepared(
    select(func.count())
    .select_from(_auths)
    .where(
        _auths.c.account_id == bindparam("aid"),
        _auths.c.status == AuthorizationStatus.RESERVED,
        _auths.c.expires_at > bindparam("now"),
    )
)


def account_not_found(identifier: str) -> NotFound:
    return NotFound(f"no account is named {identifier!r}", code="account_not_found")


def service_not_rated(service: str, field: str = "service") -> ValidationFailed:
    return ValidationFailed.field(
        field,
        f"'{service}' is not a service of the account's product",
        code="service_not_offered",
    )


def reserve(session: Unit, actor: Actor, data: RatedReserveIn) -> AuthorizationView:
    now = utcnow()
    digits = destination_digits(data.destination)
    if data.min_units is not None and data.min_units > data.units:
        raise ValidationFailed.field("min_units", "must not be more than units")
    row = LOCK_ACCOUNT_TO_RESERVE.first(
        session, {"identifier": data.account, "service": data.service}
    )
    if row is None:
        raise account_not_found(data.account)
    (account_id, account_status, max_sessions, customer_id, status, currency) = row[:6]
    limit, balance, reserved, tariff_id, unit = row[6:11]
    if status == CustomerStatus.CLOSED:
        raise Conflict(f"customer {customer_id} is closed", code="customer_closed")
    if tariff_id is None:
        raise service_not_rated(data.service)
    if account_status != AccountStatus.ACTIVE:
        raise Forbidden(
            f"account {data.account} is {account_status}",
            code="account_not_active",
            extra={"account_status": account_status, "customer_status": status},
        )
    if status != CustomerStatus.ACTIVE:
        raise ledger.not_active(customer_id, status)
    rate = find_rate(session, tariff_id, digits, now)
    if rate is None:
        raise no_rate(tariff_id, digits)
    if max_sessions is not None:
        (open_sessions,) = _OPEN_SESSIONS.one(session, {"aid": account_id, "now": now})
        if open_sessions >= max_sessions:
            raise Conflict(
                f"account {data.account} has {open_sessions} open sessions, its most",
                code="too_many_sessions",
                extra={"max_sessions": max_sessions, "open_sessions": int(open_sessions)},
            )
    terms = rate.terms
    exponent = currency_exponent(session, currency)
    least = data.min_units if data.min_units is not None else min(terms.first_interval, data.units)
    granted = data.units
    available = available_micros(limit, balance, reserved)
    if available is not None:
        available = ledger.funds_to_reserve(
            session, customer_id, available, cost_micros(terms, data.units), now
        )
        assert available is not None
        granted = most_units_within(terms, data.units, available)
        if granted < least:
            raise ledger.insufficient_funds(customer_id, available, currency, exponent)
    amount = cost_micros(terms, granted)
    auth = AuthorizationRecord(
        id=0,
        customer_id=customer_id,
        service=data.service,
        session_id=data.session_id,
        status=AuthorizationStatus.RESERVED,
        currency=currency,
        amount_micros=amount,
        held_micros=amount,
        committed_micros=None,
        entry_id=None,
        user_id=actor.user_id,
        created_at=now,
        updated_at=now,
        expires_at=now + timedelta(seconds=data.ttl_seconds),
        account_id=account_id,
        destination=data.destination,
        unit=unit,
        granted_units=granted,
        **snapshot(rate),
    )
    return ledger.place_hold(session, auth, reserved, available, exponent, field="units")


def extend(session: Unit, actor: Actor, authorization_id: int, data: ExtendIn) -> AuthorizationView:
    """Extend any authorization: money ones by an amount, rated ones by units."""
    auth = ledger.lock_authorization(session, authorization_id)
    if auth.unit is None:
        return ledger.extend_money(session, actor, auth, data)
    return _extend_rated(session, auth, data)


def commit(session: Unit, actor: Actor, authorization_id: int, data: CommitIn) -> AuthorizationView:
    """Commit any authorization: money ones by an amount, rated ones by units."""
    auth = ledger.lock_authorization(session, authorization_id)
    if auth.unit is None:
        return ledger.commit_money(session, actor, auth, data)
    return _commit_rated(session, actor, auth, data)


def _units_given(amount: object, units: int | None) -> int:
    if amount is not None:
        raise ValidationFailed.field(
            "amount", "does not apply to a rated authorization: give units"
        )
    if units is None:
        raise ValidationFailed.field("units", "is required for a rated authorization")
    return units


def _extend_rated(session: Unit, auth: AuthorizationRecord, data: ExtendIn) -> AuthorizationView:
    now = utcnow()
    more_units = _units_given(data.amount, data.units)
    ledger.check_extendable(auth, now)
    limit, balance, reserved, status = LOCK_CUSTOMER_FUNDS.one(session, {"cid": auth.customer_id})
    if status != CustomerStatus.ACTIVE:
        raise ledger.not_active(auth.customer_id, status)
    terms = terms_of(auth)
    exponent = currency_exponent(session, auth.currency)
    before = auth.granted_units or 0
    total = before + more_units
    available = available_micros(limit, balance, reserved)
    if available is not None:
        wanted = cost_micros(terms, total) - auth.amount_micros
        available = ledger.funds_to_reserve(session, auth.customer_id, available, wanted, now)
        assert available is not None
        total = max(most_units_within(terms, total, auth.amount_micros + available), before)
        if total == before:
            raise ledger.insufficient_funds(auth.customer_id, available, auth.currency, exponent)
    more = cost_micros(terms, total) - auth.amount_micros
    ledger.grow_hold(session, auth, more, reserved, exponent, field="units")
    ttl = timedelta(seconds=data.ttl_seconds or DEFAULT_TTL_SECONDS)
    ledger.save(
        session,
        auth,
        amount_micros=auth.amount_micros + more,
        held_micros=auth.held_micros + more,
        granted_units=total,
        expires_at=now + ttl,
        updated_at=now,
    )
    return AuthorizationView(auth, None if available is None else available - more, exponent)


def _commit_rated(
    session: Unit, actor: Actor, auth: AuthorizationRecord, data: CommitIn
) -> AuthorizationView:
    used = _units_given(data.amount, data.units)
    ledger.check_committable(auth)
    exponent = currency_exponent(session, auth.currency)
    cost = cost_micros(terms_of(auth), used)
    assert auth.account_id is not None and auth.unit is not None
    rated = RatedUsage(
        account_id=auth.account_id,
        units=used,
        unit=auth.unit,
        destination=auth.destination,
        rate_prefix=auth.rate_prefix or "",
        rate_description=auth.rate_description,
    )
    return ledger.settle(session, actor, auth, cost, exponent, field="units", rated=rated)
