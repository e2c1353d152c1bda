"""Every row lock on customers and authorizations, and the order they are taken in.

The order, said once: a customer's row before anything of the customer's.

A transaction that changes a customer's balance, status or invoices locks the customer's row
first, and only then reads or changes the customer's ledger, invoices and events:

- a posting (a payment, a charge, a commit of usage) locks its one customer, with
  :func:`lock_customer` or the real-time path's :data:`LOCK_CUSTOMER_TO_RESERVE`, then settles
  the invoices a credit covers;
- an edit of a customer (its settings, its status) locks it with :func:`lock_customer_to_edit`;
- adding or changing one of its accounts (``kassa.accounts.service``) locks the customer the
  same way, then reads the account;
- collection locks a batch of customers with :func:`lock_customers`, then marks their invoices
  overdue and suspends them;
- closing periods locks its batch of customers with :func:`lock_customer_rows`, waiting for any
  transaction that holds one, then re-checks each row it got.

Several customers' rows are always taken in ascending id order, and always ``FOR UPDATE``.
Since everyone waits for the customer's row before touching what belongs to the customer, and
rows are taken in one order, no two transactions can wait for each other in a cycle: a
payment and collection on one customer queue one behind the other instead of deadlocking, and
the second reads the invoices as the first left them. The updates re-check the state they
change all the same (an invoice falls overdue only while still ``issued``), so a stale read
can never undo a payment.

The one row taken before a customer's is an authorization's: extend, commit and release lock
the authorization (:data:`LOCK_AUTHORIZATION`), then its customer, and the sweeper locks lapsed
authorizations (:func:`lock_lapsed_holds`), then their customers in id order. Nothing that
holds a customer's row waits for an authorization's (reserve and the sweeper pass over locked
ones with ``SKIP LOCKED``), so that closes no cycle. The real-time path's customer queue
(``kassa.ledger.queue``) is taken before both, on one customer only; a transaction that takes
rows here waits for no queue. (docs/architecture.md §5 gives the same order for readers.)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Row, Table, and_, bindparam, select
from sqlalchemy.orm import Session

from kassa.core.errors import Conflict, NotFound
from kassa.core.vocabulary import AuthorizationStatus, CustomerStatus
from kassa.currencies.service import currency_exponent
from kassa.db.engine import Unit
from kassa.db.fast.prepared import Prepared
from kassa.db.models import (
    Account,
    Authorization,
    BusinessModel,
    Customer,
    ProductRating,
    Tariff,
)
from kassa.ledger.queue import customer_queue

_auths = cast(Table, Authorization.__table__)
_customers = cast(Table, Customer.__table__)
_models = cast(Table, BusinessModel.__table__)
_accounts = cast(Table, Account.__table__)
_ratings = cast(Table, ProductRating.__table__)
_tariffs = cast(Table, Tariff.__table__)

# Reserve: the customer's funds and its business model's services, in the statement that
# takes the customer's queue and then its row.
LOCK_CUSTOMER_TO_RESERVE = Prepared(
    select(
        _customers.c.status,
        _customers.c.currency,
        _customers.c.credit_limit_micros,
        _customers.c.balance_micros,
        _customers.c.reserved_micros,
        _models.c.services,
        customer_queue(_customers.c.id),
    )
    .join(_models, _models.c.id == _customers.c.business_model_id)
    .where(_customers.c.id == bindparam("cid"))
    .with_for_update(of=_customers)
)
# A rated reserve: the account named, its customer's funds, and the tariff its product rates
# the service with (null when the product does not rate it), in the statement that takes the
# customer's queue and then its row.
LOCK_ACCOUNT_TO_RESERVE = Prepared(
    select(
        _accounts.c.id,
        _accounts.c.status,
        _accounts.c.max_sessions,
        _customers.c.id,
        _customers.c.status,
        _customers.c.currency,
        _customers.c.credit_limit_micros,
        _customers.c.balance_micros,
        _customers.c.reserved_micros,
        _tariffs.c.id,
        _tariffs.c.unit,
        customer_queue(_customers.c.id),
    )
    .select_from(
        _accounts.join(_customers, _customers.c.id == _accounts.c.customer_id)
        .outerjoin(
            _ratings,
            and_(
                _ratings.c.product_id == _accounts.c.product_id,
                _ratings.c.service == bindparam("service"),
            ),
        )
        .outerjoin(_tariffs, _tariffs.c.id == _ratings.c.tariff_id)
    )
    .where(_accounts.c.identifier == bindparam("identifier"))
    .with_for_update(of=_customers)
)
# A rated extend, after its authorization: the customer's funds, its row locked.
LOCK_CUSTOMER_FUNDS = Prepared(
    select(
        _customers.c.credit_limit_micros,
        _customers.c.balance_micros,
        _customers.c.reserved_micros,
        _customers.c.status,
    )
    .where(_customers.c.id == bindparam("cid"))
    .with_for_update()
)
# Extend, commit, release: every column of the authorization in the table's order (the
# real-time path reads them by position), then the customer's queue, taken before the row.
LOCK_AUTHORIZATION = Prepared(
    select(*_auths.c, customer_queue(_auths.c.customer_id))
    .where(_auths.c.id == bindparam("aid"))
    .with_for_update()
)


@dataclass(frozen=True)
class LockedCustomer:
    id: int
    status: str
    currency: str
    exponent: int


def lock_customer(session: Session, customer_id: int) -> LockedCustomer:
    """Lock the customer's row for this transaction, first of all it touches; closed customers
    move no money."""
    row = session.execute(
        select(Customer.id, Customer.status, Customer.currency, customer_queue(Customer.id))
        .where(Customer.id == customer_id)
        .with_for_update()
    ).first()
    if row is None:
        raise NotFound(f"customer {customer_id} does not exist", code="customer_not_found")
    if row.status == CustomerStatus.CLOSED:
        raise Conflict(f"customer {customer_id} is closed", code="customer_closed")
    return LockedCustomer(
        row.id, row.status, row.currency, currency_exponent(session, row.currency)
    )


def lock_customer_to_edit(session: Session, customer_id: int) -> Customer:
    """The customer, its row locked for this transaction."""
    customer = session.scalar(select(Customer).where(Customer.id == customer_id).with_for_update())
    if customer is None:
        raise NotFound(f"customer {customer_id} does not exist", code="customer_not_found")
    return customer


def lock_customers(session: Session, customer_ids: Iterable[int]) -> list[int]:
    """Lock these customers' rows for this transaction, in ascending id order, waiting for any
    transaction that holds one; returns the ids that exist, ascending. (SQLite has one writer
    at a time and needs no row locks.)"""
    ids = sorted(set(customer_ids))
    if not ids:
        return []
    return list(
        session.scalars(
            select(Customer.id).where(Customer.id.in_(ids)).order_by(Customer.id).with_for_update()
        )
    )


def lock_customer_rows(
    session: Session, columns: Sequence[Any], *where: ColumnElement[bool]
) -> Sequence[tuple[Any, ...]]:
    """Lock the rows of the customers that match ``where``, in ascending id order, and read
    ``columns`` of them, on the session's connection (a batch of a bill run reads thousands:
    no ORM)."""
    return (
        session.connection()
        .execute(select(*columns).where(*where).order_by(Customer.id).with_for_update())
        .tuples()
        .all()
    )


def lock_lapsed_holds_of(session: Unit, customer_id: int, now: datetime) -> Sequence[Row[int, int]]:
    """The customer's reservations lapsed by ``now`` (id, held micros), locked; those another
    transaction holds are skipped. The caller holds the customer's row."""
    return session.execute(
        select(Authorization.id, Authorization.held_micros)
        .where(
            Authorization.customer_id == customer_id,
            Authorization.status == AuthorizationStatus.RESERVED,
            Authorization.expires_at <= now,
        )
        .with_for_update(skip_locked=True)
    ).all()


def lock_lapsed_holds(session: Session, now: datetime, limit: int) -> Sequence[Row[int, int, int]]:
    """Up to ``limit`` reservations lapsed by ``now`` (id, customer id, held micros), in id
    order, locked; those another transaction holds are skipped."""
    return session.execute(
        select(Authorization.id, Authorization.customer_id, Authorization.held_micros)
        .where(
            Authorization.status == AuthorizationStatus.RESERVED, Authorization.expires_at <= now
        )
        .order_by(Authorization.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
