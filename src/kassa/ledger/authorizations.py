"""Real-time authorization: reserve, extend, commit, release (docs/architecture.md §5 and §6).

Money authorizations are served here whole; rated ones (kassa.charging) price units and then
hold, extend and settle through the same functions (``place_hold``, ``grow_hold``,
``settle``), under the same locks.

Each call is one short transaction of a few statements. Calls for one customer queue in order
(kassa.ledger.queue) before they lock rows, and rows are locked in one order — an
authorization before its customer (kassa.ledger.locks) — except where reserve sweeps expired
holds, which skips any row another transaction holds, so no two calls can wait on each other.
"""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Connection, Table, bindparam, insert, select, update

from kassa.auth.actor import Actor
from kassa.core.clock import utcnow
from kassa.core.errors import (
    Conflict,
    Forbidden,
    InsufficientFunds,
    NotFound,
    ValidationFailed,
)
from kassa.core.money import MAX_BALANCE_MICROS, RATED_DECIMALS, amount_micros, format_micros
from kassa.core.vocabulary import AuthorizationStatus, CustomerStatus, EntryType
from kassa.currencies.service import currency_exponent
from kassa.db.engine import Database, Unit
from kassa.db.fast.prepared import Prepared
from kassa.db.models import Authorization, Customer
from kassa.ledger.authorization_queries import AuthorizationRecord, AuthorizationView
from kassa.ledger.entries import RatedUsage, append_entry
from kassa.ledger.holds import available_micros
from kassa.ledger.locks import LOCK_AUTHORIZATION, LOCK_CUSTOMER_TO_RESERVE
from kassa.ledger.schemas import DEFAULT_TTL_SECONDS, CommitIn, ExtendIn, ReserveIn
from kassa.ledger.sweeper import sweep_customer


def open_unit(db: Database) -> AbstractContextManager[Connection]:
    """The transaction reserve, extend, commit and release run in, for the edge to open and
    commit: a bare Core connection (``Database.core_transaction``). Their statements are all
    Core, and building an ORM session would cost more than a reserve's statements on SQLite."""
    return db.core_transaction()


def _reservations_too_large(field: str, currency: str, exponent: int) -> ValidationFailed:
    limit = format_micros(MAX_BALANCE_MICROS, exponent)
    return ValidationFailed.field(
        field,
        f"too large: the customer's reservations would exceed {limit} {currency} in all",
        code="amount_too_large",
    )


def business_model_services(raw: object) -> list[str]:
    if isinstance(raw, str):
        raw = json.loads(raw)
    return [str(s) for s in raw] if isinstance(raw, list) else []


_auths = cast(Table, Authorization.__table__)
_customers = cast(Table, Customer.__table__)

_HOLD = Prepared(
    update(_customers)
    .where(_customers.c.id == bindparam("cid"))
    .values(reserved_micros=_customers.c.reserved_micros + bindparam("amount"))
)
_INSERT_AUTH = Prepared(insert(_auths).returning(_auths.c.id))
_EXTEND_HOLD = Prepared(
    update(_customers)
    .where(
        _customers.c.id == bindparam("cid"),
        _customers.c.status == CustomerStatus.ACTIVE,
        _customers.c.reserved_micros <= bindparam("room"),
        _customers.c.credit_limit_micros.is_(None)
        | (
            _customers.c.credit_limit_micros
            - _customers.c.balance_micros
            - _customers.c.reserved_micros
            >= bindparam("amount")
        ),
    )
    .values(reserved_micros=_customers.c.reserved_micros + bindparam("amount"))
    .returning(
        _customers.c.credit_limit_micros, _customers.c.balance_micros, _customers.c.reserved_micros
    )
)
_RELEASE_HOLD = Prepared(
    update(_customers)
    .where(_customers.c.id == bindparam("cid"))
    .values(reserved_micros=_customers.c.reserved_micros - bindparam("amount"))
    .returning(
        _customers.c.credit_limit_micros, _customers.c.balance_micros, _customers.c.reserved_micros
    )
)
_FUNDS = Prepared(
    select(
        _customers.c.credit_limit_micros,
        _customers.c.balance_micros,
        _customers.c.reserved_micros,
        _customers.c.status,
    ).where(_customers.c.id == bindparam("cid"))
)


_SAVES: dict[tuple[str, ...], Prepared] = {}


def _save_statement(columns: tuple[str, ...]) -> Prepared:
    # Built once per set of columns: building an UPDATE costs more than running it.
    statement = _SAVES.get(columns)
    if statement is None:
        statement = _SAVES[columns] = Prepared(
            update(_auths)
            .where(_auths.c.id == bindparam("aid"))
            .values({name: bindparam(f"new_{name}", type_=_auths.c[name].type) for name in columns})
        )
    return statement


def save(session: Unit, auth: AuthorizationRecord, **changes: object) -> None:
    for key, value in changes.items():
        setattr(auth, key, value)
    params = {f"new_{name}": value for name, value in changes.items()}
    params["aid"] = auth.id
    _save_statement(tuple(changes)).rows(session, params)


def reserve(session: Unit, actor: Actor, customer_id: int, data: ReserveIn) -> AuthorizationView:
    now = utcnow()
    row = LOCK_CUSTOMER_TO_RESERVE.first(session, {"cid": customer_id})
    if row is None:
        raise NotFound(f"customer {customer_id} does not exist", code="customer_not_found")
    status, currency, limit, balance, reserved, offered, _ = row
    if status == CustomerStatus.CLOSED:
        raise Conflict(f"customer {customer_id} is closed", code="customer_closed")
    services = business_model_services(offered)
    if data.service not in services:
        raise ValidationFailed.field(
            "service",
            f"'{data.service}' is not a service of the customer's business model "
            f"(offers: {', '.join(services) or 'none'})",
            code="service_not_offered",
        )
    wanted = amount_micros(data.amount, field="amount", max_decimals=RATED_DECIMALS)
    least = wanted
    if data.min_amount is not None:
        least = amount_micros(data.min_amount, field="min_amount", max_decimals=RATED_DECIMALS)
        if least > wanted:
            raise ValidationFailed.field("min_amount", "must not be more than amount")
    if status != CustomerStatus.ACTIVE:
        raise not_active(customer_id, status)
    exponent = currency_exponent(session, currency)
    available = funds_to_reserve(
        session, customer_id, available_micros(limit, balance, reserved), wanted, now
    )
    granted = wanted
    if available is not None and available < wanted:
        if available < least or available <= 0:
            raise insufficient_funds(customer_id, available, currency, exponent)
        granted = available
    auth = AuthorizationRecord(
        id=0,
        customer_id=customer_id,
        service=data.service,
        session_id=data.session_id,
        status=AuthorizationStatus.RESERVED,
        currency=currency,
        amount_micros=granted,
        held_micros=granted,
        committed_micros=None,
        entry_id=None,
        user_id=actor.user_id,
        created_at=now,
        updated_at=now,
        expires_at=now + timedelta(seconds=data.ttl_seconds),
    )
    return place_hold(session, auth, reserved, available, exponent, field="amount")


def place_hold(
    session: Unit,
    auth: AuthorizationRecord,
    reserved: int,
    available: int | None,
    exponent: int,
    *,
    field: str,
) -> AuthorizationView:
    """Hold ``auth.held_micros`` on its customer, whose row the caller has locked, and insert
    the authorization; ``reserved`` and ``available`` are the customer's as read under that
    lock. The one way a new reservation, money or rated, is made."""
    if reserved + auth.held_micros > MAX_BALANCE_MICROS:
        raise _reservations_too_large(field, auth.currency, exponent)
    _HOLD.rows(session, {"cid": auth.customer_id, "amount": auth.held_micros})
    values = {k: v for k, v in auth.__dict__.items() if k != "id"}
    auth.id = int(_INSERT_AUTH.one(session, values)[0])
    return AuthorizationView(
        auth, None if available is None else available - auth.held_micros, exponent
    )


def grow_hold(
    session: Unit, auth: AuthorizationRecord, more: int, reserved: int, exponent: int, *, field: str
) -> None:
    """Hold ``more`` on the customer of ``auth`` (the customer's row locked by the caller, who
    has checked the funds); a rated extension's counterpart of the conditional update that
    money extensions use."""
    if reserved + more > MAX_BALANCE_MICROS:
        raise _reservations_too_large(field, auth.currency, exponent)
    if more:
        _HOLD.rows(session, {"cid": auth.customer_id, "amount": more})


def funds_to_reserve(
    session: Unit, customer_id: int, available: int | None, wanted: int, now: datetime
) -> int | None:
    """The customer's available funds for a reservation of ``wanted``: when they fall short,
    the customer's lapsed reservations are swept first (its row is locked by the caller)."""
    if available is not None and available < wanted:
        available += sweep_customer(session, customer_id, now)
    return available


def insufficient_funds(
    customer_id: int, available: int | None, currency: str, exponent: int
) -> InsufficientFunds:
    shown = available or 0
    return InsufficientFunds(
        f"customer {customer_id} has {format_micros(max(shown, 0), exponent)} {currency} available",
        extra={"available_funds": format_micros(shown, exponent), "currency": currency},
    )


def lock_authorization(session: Unit, authorization_id: int) -> AuthorizationRecord:
    row = LOCK_AUTHORIZATION.first(session, {"aid": authorization_id})
    if row is None:
        raise NotFound(
            f"authorization {authorization_id} does not exist", code="authorization_not_found"
        )
    # The authorization's columns, then the customer's queue.
    return AuthorizationRecord(*row[:-1])


def not_open(auth: AuthorizationRecord) -> Conflict:
    return Conflict(
        f"authorization {auth.id} is already {auth.status}",
        code="authorization_not_open",
        extra={"authorization_status": auth.status},
    )


def check_extendable(auth: AuthorizationRecord, now: datetime) -> None:
    if auth.status != AuthorizationStatus.RESERVED:
        raise not_open(auth)
    if auth.expires_at <= now:
        raise Conflict(
            f"authorization {auth.id} expired at {auth.expires_at.isoformat()}; commit what was "
            "used and reserve again",
            code="authorization_expired",
        )


def check_committable(auth: AuthorizationRecord) -> None:
    # Past expiry too: usage that happened is billed.
    if auth.status not in (AuthorizationStatus.RESERVED, AuthorizationStatus.EXPIRED):
        raise not_open(auth)


def not_active(customer_id: int, status: str) -> Forbidden:
    return Forbidden(
        f"customer {customer_id} is {status}",
        code="customer_not_active" if status != CustomerStatus.CLOSED else "customer_closed",
        extra={"customer_status": status},
    )


def _given(value: object, field: str, kind: str) -> None:
    if value is None:
        raise ValidationFailed.field(field, f"is required for a {kind} authorization")


def _not_given(value: object, field: str, kind: str, instead: str) -> None:
    if value is not None:
        raise ValidationFailed.field(
            field, f"does not apply to a {kind} authorization: give {instead}"
        )


def extend(session: Unit, actor: Actor, authorization_id: int, data: ExtendIn) -> AuthorizationView:
    return extend_money(session, actor, lock_authorization(session, authorization_id), data)


def extend_money(
    session: Unit, actor: Actor, auth: AuthorizationRecord, data: ExtendIn
) -> AuthorizationView:
    """Extend a money authorization whose row the caller has locked by ``data.amount``."""
    now = utcnow()
    _not_given(data.units, "units", "money", "amount")
    _given(data.amount, "amount", "money")
    check_extendable(auth, now)
    assert data.amount is not None
    more = amount_micros(data.amount, field="amount", max_decimals=RATED_DECIMALS)
    exponent = currency_exponent(session, auth.currency)
    granted = _EXTEND_HOLD.first(
        session, {"cid": auth.customer_id, "amount": more, "room": MAX_BALANCE_MICROS - more}
    )
    if granted is None:
        limit, balance, reserved, status = _FUNDS.one(session, {"cid": auth.customer_id})
        if status != CustomerStatus.ACTIVE:
            raise not_active(auth.customer_id, status)
        if reserved + more > MAX_BALANCE_MICROS:
            raise _reservations_too_large("amount", auth.currency, exponent)
        raise insufficient_funds(
            auth.customer_id, available_micros(limit, balance, reserved), auth.currency, exponent
        )
    ttl = timedelta(seconds=data.ttl_seconds or DEFAULT_TTL_SECONDS)
    save(
        session,
        auth,
        amount_micros=auth.amount_micros + more,
        held_micros=auth.held_micros + more,
        expires_at=now + ttl,
        updated_at=now,
    )
    return AuthorizationView(auth, available_micros(*granted), exponent)


def commit(session: Unit, actor: Actor, authorization_id: int, data: CommitIn) -> AuthorizationView:
    return commit_money(session, actor, lock_authorization(session, authorization_id), data)


def commit_money(
    session: Unit, actor: Actor, auth: AuthorizationRecord, data: CommitIn
) -> AuthorizationView:
    """Post the used amount of a money authorization (its row locked by the caller)."""
    _not_given(data.units, "units", "money", "amount")
    _given(data.amount, "amount", "money")
    check_committable(auth)
    assert data.amount is not None
    used = amount_micros(data.amount, field="amount", max_decimals=RATED_DECIMALS)
    exponent = currency_exponent(session, auth.currency)
    if used > auth.amount_micros:
        raise ValidationFailed.field(
            "amount",
            f"must not exceed the reserved {format_micros(auth.amount_micros, exponent)}",
            code="amount_exceeds_reservation",
        )
    return settle(session, actor, auth, used, exponent, field="amount")


def settle(
    session: Unit,
    actor: Actor,
    auth: AuthorizationRecord,
    used_micros: int,
    exponent: int,
    *,
    field: str,
    rated: RatedUsage | None = None,
) -> AuthorizationView:
    """Post ``used_micros`` as one usage entry, free the authorization's hold in the same
    update, and mark it committed: the end of every commit, money or rated."""
    posted = append_entry(
        session,
        actor,
        customer_id=auth.customer_id,
        entry_type=EntryType.USAGE,
        amount_micros=used_micros,
        currency=auth.currency,
        exponent=exponent,
        service=auth.service,
        visible_comment=f"{auth.service} usage"
        + (f" ({auth.session_id})" if auth.session_id else ""),
        release_micros=auth.held_micros,
        authorization_id=auth.id,
        rated=rated,
        field=field,
    )
    changes: dict[str, object] = {
        "status": AuthorizationStatus.COMMITTED,
        "held_micros": 0,
        "committed_micros": used_micros,
        "entry_id": posted.entry_id,
        "updated_at": posted.created_at,
    }
    if rated is not None:
        changes["committed_units"] = rated.units
    save(session, auth, **changes)
    return AuthorizationView(auth, posted.available_funds_micros, exponent)


def release(session: Unit, actor: Actor, authorization_id: int) -> AuthorizationView:
    now = utcnow()
    auth = lock_authorization(session, authorization_id)
    if auth.status not in (AuthorizationStatus.RESERVED, AuthorizationStatus.EXPIRED):
        raise not_open(auth)
    if auth.held_micros:
        funds = _RELEASE_HOLD.one(session, {"cid": auth.customer_id, "amount": auth.held_micros})
    else:
        # Swept already: nothing to give back, so the customer's row is read, not written.
        funds = _FUNDS.one(session, {"cid": auth.customer_id})[:3]
    save(session, auth, status=AuthorizationStatus.RELEASED, held_micros=0, updated_at=now)
    return AuthorizationView(
        auth, available_micros(*funds), currency_exponent(session, auth.currency)
    )
