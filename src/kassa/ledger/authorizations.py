"""Real-time authorization: reserve, extend, commit, release (docs/architecture.md §5 and §6).

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
from sqlalchemy.orm import Session

from kassa.auth.actor import Actor
from kassa.core.clock import utcnow
from kassa.core.errors import Conflict, Forbidden, InsufficientFunds, NotFound, ValidationFailed
from kassa.core.money import MAX_BALANCE_MICROS, RATED_DECIMALS, amount_micros, format_micros
from kassa.core.vocabulary import AuthorizationStatus, CustomerStatus, EntryType
from kassa.currencies.service import currency_exponent
from kassa.db.engine import Database, Unit
from kassa.db.fast.prepared import Prepared
from kassa.db.models import Authorization, Customer
from kassa.ledger.authorization_queries import AuthorizationRecord, AuthorizationView
from kassa.ledger.entries import append_entry
from kassa.ledger.holds import available_micros
from kassa.ledger.locks import (
    LOCK_AUTHORIZATION,
    LOCK_CUSTOMER_TO_RESERVE,
    lock_lapsed_holds,
    lock_lapsed_holds_of,
)
from kassa.ledger.schemas import DEFAULT_TTL_SECONDS, CommitIn, ExtendIn, ReserveIn


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


def _save(session: Unit, auth: AuthorizationRecord, **changes: object) -> None:
    for key, value in changes.items():
        setattr(auth, key, value)
    params = {f"new_{name}": value for name, value in changes.items()}
    params["aid"] = auth.id
    _save_statement(tuple(changes)).rows(session, params)


def sweep_customer(session: Unit, customer_id: int, now: datetime) -> int:
    """Expire this customer's lapsed reservations; returns the micros freed.

    The caller holds the customer's row; rows another call is committing are skipped."""
    lapsed = lock_lapsed_holds_of(session, customer_id, now)
    if not lapsed:
        return 0
    freed = sum(row.held_micros for row in lapsed)
    session.execute(
        update(Authorization)
        .where(Authorization.id.in_([row.id for row in lapsed]))
        .values(status=AuthorizationStatus.EXPIRED, held_micros=0, updated_at=now)
    )
    session.execute(
        update(Customer)
        .where(Customer.id == customer_id)
        .values(reserved_micros=Customer.reserved_micros - freed)
    )
    return freed


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
        raise Forbidden(
            f"customer {customer_id} is {status}",
            code="customer_not_active",
            extra={"customer_status": status},
        )
    exponent = currency_exponent(session, currency)
    available = available_micros(limit, balance, reserved)
    if available is not None and available < wanted:
        available += sweep_customer(session, customer_id, now)
    granted = wanted
    if available is not None and available < wanted:
        if available < least or available <= 0:
            raise InsufficientFunds(
                f"customer {customer_id} has {format_micros(max(available, 0), exponent)} "
                f"{currency} available",
                extra={
                    "available_funds": format_micros(available, exponent),
                    "currency": currency,
                },
            )
        granted = available
    if reserved + granted > MAX_BALANCE_MICROS:
        raise _reservations_too_large("amount", currency, exponent)
    _HOLD.rows(session, {"cid": customer_id, "amount": granted})
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
    values = {k: v for k, v in auth.__dict__.items() if k != "id"}
    auth.id = int(_INSERT_AUTH.one(session, values)[0])
    return AuthorizationView(auth, None if available is None else available - granted, exponent)


def _lock(session: Unit, authorization_id: int) -> AuthorizationRecord:
    row = LOCK_AUTHORIZATION.first(session, {"aid": authorization_id})
    if row is None:
        raise NotFound(
            f"authorization {authorization_id} does not exist", code="authorization_not_found"
        )
    # The authorization's columns, then the customer's queue.
    return AuthorizationRecord(*row[:-1])


def _not_open(auth: AuthorizationRecord) -> Conflict:
    return Conflict(
        f"authorization {auth.id} is already {auth.status}",
        code="authorization_not_open",
        extra={"authorization_status": auth.status},
    )


def extend(session: Unit, actor: Actor, authorization_id: int, data: ExtendIn) -> AuthorizationView:
    now = utcnow()
    auth = _lock(session, authorization_id)
    if auth.status != AuthorizationStatus.RESERVED:
        raise _not_open(auth)
    if auth.expires_at <= now:
        raise Conflict(
            f"authorization {auth.id} expired at {auth.expires_at.isoformat()}; commit what was "
            "used and reserve again",
            code="authorization_expired",
        )
    more = amount_micros(data.amount, field="amount", max_decimals=RATED_DECIMALS)
    exponent = currency_exponent(session, auth.currency)
    granted = _EXTEND_HOLD.first(
        session, {"cid": auth.customer_id, "amount": more, "room": MAX_BALANCE_MICROS - more}
    )
    if granted is None:
        limit, balance, reserved, status = _FUNDS.one(session, {"cid": auth.customer_id})
        available = available_micros(limit, balance, reserved)
        if status != CustomerStatus.ACTIVE:
            raise Forbidden(
                f"customer {auth.customer_id} is {status}",
                code="customer_not_active"
                if status != CustomerStatus.CLOSED
                else "customer_closed",
                extra={"customer_status": status},
            )
        if reserved + more > MAX_BALANCE_MICROS:
            raise _reservations_too_large("amount", auth.currency, exponent)
        raise InsufficientFunds(
            f"customer {auth.customer_id} has {format_micros(max(available or 0, 0), exponent)} "
            f"{auth.currency} available",
            extra={
                "available_funds": format_micros(available or 0, exponent),
                "currency": auth.currency,
            },
        )
    ttl = timedelta(seconds=data.ttl_seconds or DEFAULT_TTL_SECONDS)
    _save(
        session,
        auth,
        amount_micros=auth.amount_micros + more,
        held_micros=auth.held_micros + more,
        expires_at=now + ttl,
        updated_at=now,
    )
    return AuthorizationView(auth, available_micros(*granted), exponent)


def commit(session: Unit, actor: Actor, authorization_id: int, data: CommitIn) -> AuthorizationView:
    """Post the used amount as one usage entry. Past expiry too: usage that happened is billed."""
    now = utcnow()
    auth = _lock(session, authorization_id)
    if auth.status not in (AuthorizationStatus.RESERVED, AuthorizationStatus.EXPIRED):
        raise _not_open(auth)
    used = amount_micros(data.amount, field="amount", max_decimals=RATED_DECIMALS)
    exponent = currency_exponent(session, auth.currency)
    if used > auth.amount_micros:
        raise ValidationFailed.field(
            "amount",
            f"must not exceed the reserved {format_micros(auth.amount_micros, exponent)}",
            code="amount_exceeds_reservation",
        )
    posted = append_entry(
        session,
        actor,
        customer_id=auth.customer_id,
        entry_type=EntryType.USAGE,
        amount_micros=used,
        currency=auth.currency,
        exponent=exponent,
        service=auth.service,
        visible_comment=f"{auth.service} usage"
        + (f" ({auth.session_id})" if auth.session_id else ""),
        release_micros=auth.held_micros,
        authorization_id=auth.id,
    )
    _save(
        session,
        auth,
        status=AuthorizationStatus.COMMITTED,
        held_micros=0,
        committed_micros=used,
        entry_id=posted.entry_id,
        updated_at=now,
    )
    return AuthorizationView(auth, posted.available_funds_micros, exponent)


def release(session: Unit, actor: Actor, authorization_id: int) -> AuthorizationView:
    now = utcnow()
    auth = _lock(session, authorization_id)
    if auth.status not in (AuthorizationStatus.RESERVED, AuthorizationStatus.EXPIRED):
        raise _not_open(auth)
    if auth.held_micros:
        funds = _RELEASE_HOLD.one(session, {"cid": auth.customer_id, "amount": auth.held_micros})
    else:
        # Swept already: nothing to give back, so the customer's row is read, not written.
        funds = _FUNDS.one(session, {"cid": auth.customer_id})[:3]
    _save(session, auth, status=AuthorizationStatus.RELEASED, held_micros=0, updated_at=now)
    return AuthorizationView(
        auth, available_micros(*funds), currency_exponent(session, auth.currency)
    )


def sweep_expired(session: Session, *, limit: int = 1000) -> int:
    """Release lapsed reservations everywhere (the periodic sweeper); returns how many."""
    now = utcnow()
    lapsed = lock_lapsed_holds(session, now, limit)
    if not lapsed:
        return 0
    session.execute(
        update(Authorization)
        .where(Authorization.id.in_([row.id for row in lapsed]))
        .values(status=AuthorizationStatus.EXPIRED, held_micros=0, updated_at=now)
    )
    freed: dict[int, int] = {}
    for row in lapsed:
        freed[row.customer_id] = freed.get(row.customer_id, 0) + row.held_micros
    for customer_id in sorted(freed):
        session.execute(
            update(Customer)
            .where(Customer.id == customer_id)
            .values(reserved_micros=Customer.reserved_micros - freed[customer_id])
        )
    return len(lapsed)
