"""Appending to the ledger: the only way a balance ever changes.

Every entry moves its customer's balance by its amount in the same transaction, so the sum of
a customer's entries is its balance, and no balance goes past ``MAX_BALANCE_MICROS`` either way.

``append_entry`` posts one entry, on the hot path: prepared Core statements on the session's
connection, whose balance update returns what the caller needs, so no row is read twice and no
ORM object is loaded. ``append_entries`` posts a batch (a bill run's taxes), set-based: one
statement for the entries and one for the balances. The sign convention is in
docs/architecture.md §2.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from kassa.auth.actor import Actor
from kassa.core.clock import utcnow
from kassa.core.errors import ValidationFailed
from kassa.core.money import MAX_BALANCE_MICROS, format_micros
from kassa.core.vocabulary import EntryType
from kassa.db.engine import Unit
from kassa.db.fast.bulk import insert_tuples, update_many
from kassa.db.fast.prepared import Prepared
from kassa.db.models import Customer, CustomerClass, LedgerEntry
from kassa.ledger.alerts import BalanceState, level_of, raise_alerts

# The sign each entry type gives the balance (what the customer owes).
ENTRY_SIGNS: dict[EntryType, int] = {
    EntryType.PAYMENT: -1,
    EntryType.REFUND: 1,
    EntryType.MANUAL_CHARGE: 1,
    EntryType.MANUAL_CREDIT: -1,
    EntryType.PROMOTIONAL_CREDIT: -1,
    EntryType.USAGE: 1,
    EntryType.TAX: 1,
    EntryType.SUBSCRIPTION: 1,
}

_customers = cast(Table, Customer.__table__)
_entries = cast(Table, LedgerEntry.__table__)
_classes = cast(Table, CustomerClass.__table__)
_class_warnings = (
    select(_classes.c.credit_limit_warnings)
    .where(_classes.c.id == _customers.c.customer_class_id)
    .scalar_subquery()
)
# The range is checked on the balance as it stands (bounds computed in Python), never on the
# sum: past 64 bits PostgreSQL fails the statement and SQLite quietly makes the sum a float.
_MOVE_BALANCE = Prepared(
    update(_customers)
    .where(
        _customers.c.id == bindparam("cid"),
        _customers.c.balance_micros.between(bindparam("lowest"), bindparam("highest")),
    )
    .values(
        balance_micros=_customers.c.balance_micros + bindparam("delta"),
        reserved_micros=_customers.c.reserved_micros - bindparam("release"),
    )
    .returning(
        _customers.c.balance_micros,
        _customers.c.reserved_micros,
        _customers.c.credit_limit_micros,
        _customers.c.balance_control,
        _customers.c.alert_level,
        _class_warnings,
    )
)
_INSERT_ENTRY = Prepared(insert(_entries).returning(_entries.c.id))


@dataclass(frozen=True)
class Posted:
    entry_id: int
    balance_after_micros: int
    reserved_after_micros: int
    credit_limit_micros: int | None
    created_at: datetime

    @property
    def available_funds_micros(self) -> int | None:
        if self.credit_limit_micros is None:
            return None
        return self.credit_limit_micros - self.balance_after_micros - self.reserved_after_micros


@dataclass(frozen=True)
class RatedUsage:
    """What a rated usage entry carries besides its amount: the account, its units, the
    destination and the rate that priced them."""

    account_id: int
    units: int
    unit: str
    destination: str | None
    rate_prefix: str
    rate_description: str | None


def append_entry(
    session: Unit,
    actor: Actor,
    *,
    customer_id: int,
    entry_type: EntryType,
    amount_micros: int,
    currency: str,
    exponent: int,
    visible_comment: str = "",
    internal_comment: str = "",
    service: str | None = None,
    release_micros: int = 0,
    authorization_id: int | None = None,
    external_id: str | None = None,
    occurred_at: datetime | None = None,
    rated: RatedUsage | None = None,
    field: str = "amount",
) -> Posted:
    """Post ``amount_micros`` (positive; the type gives the sign), freeing ``release_micros`` of
    reservations in the same update, and raise any alert the new balance crosses.

    The balance update and the entry insert run in the caller's transaction, so either both
    happen or neither does. The caller holds the customer's row; an amount that would take
    the balance past ``MAX_BALANCE_MICROS`` either way is a 422 on ``field``."""
    if amount_micros > MAX_BALANCE_MICROS:
        # No balance can take it; refused before its bounds could pass 64 bits in SQL (a
        # rated cost is units times a price, and units come from the network).
        raise balance_too_large(field, currency, exponent)
    delta = ENTRY_SIGNS[entry_type] * amount_micros
    row = _MOVE_BALANCE.first(
        session,
        {
            "cid": customer_id,
            "delta": delta,
            "release": release_micros,
            "lowest": -MAX_BALANCE_MICROS - delta,
            "highest": MAX_BALANCE_MICROS - delta,
        },
    )
    if row is None:
        raise balance_too_large(field, currency, exponent)
    now = utcnow()
    values: dict[str, Any] = {
        "customer_id": customer_id,
        "type": entry_type,
        "amount_micros": delta,
        "balance_after_micros": row[0],
        "currency": currency,
        "service": service,
        "visible_comment": visible_comment,
        "internal_comment": internal_comment,
        "user_id": actor.user_id,
        "authorization_id": authorization_id,
        "billing_period_id": None,
        "external_id": external_id,
        "occurred_at": occurred_at,
        "created_at": now,
    }
    if rated is not None:
        values.update(
            account_id=rated.account_id,
            units=rated.units,
            unit=rated.unit,
            destination=rated.destination,
            rate_prefix=rated.rate_prefix,
            rate_description=rated.rate_description,
        )
    (entry_id,) = _INSERT_ENTRY.one(session, values)
    state = BalanceState(
        customer_id=customer_id,
        balance_control=row[3],
        balance_micros=row[0],
        reserved_micros=row[1],
        credit_limit_micros=row[2],
        alert_level=row[4],
        warnings=list(row[5] or []),
        currency=currency,
        exponent=exponent,
    )
    raise_alerts(session, state, int(entry_id))
    return Posted(
        entry_id=int(entry_id),
        balance_after_micros=int(row[0]),
        reserved_after_micros=int(row[1]),
        credit_limit_micros=row[2],
        created_at=now,
    )


# Not frozen: a bill run makes hundreds of thousands, and a frozen dataclass is slower to make.
@dataclass(slots=True)
class NewEntry:
    """An entry of a batch: ``amount_micros`` is positive, its type gives the sign."""

    customer_id: int
    entry_type: EntryType
    amount_micros: int
    currency: str
    # The currency's, for the message of a balance out of range.
    exponent: int
    visible_comment: str
    user_id: int | None
    billing_period_id: int | None = None
    external_id: str | None = None


# The columns of a bulk posting's entries, in the order of its tuples.
_ENTRY_COLUMNS = (
    "customer_id",
    "type",
    "amount_micros",
    "balance_after_micros",
    "currency",
    "service",
    "visible_comment",
    "internal_comment",
    "user_id",
    "billing_period_id",
    "external_id",
    "created_at",
)


def append_entries(
    session: Session,
    rows: Sequence[NewEntry],
    *,
    balances: Mapping[int, int],
    created_at: datetime,
    also_set: Sequence[dict[str, Any]] = (),
) -> dict[int, int]:
    """Post ``rows`` in their order and move each customer's balance by what they add; returns
    the balances after, of the customers posted to.

    ``balances`` holds each customer's balance as the caller read it under the row lock it
    holds (a bill run has read them already: no second read). ``also_set`` (dicts of a
    customer's ``id`` and other columns, the same in each) are written by the statement that
    moves the balances, so that a bill run, which moves its customers on to their next period,
    writes each customer's row once. A balance that would go past ``MAX_BALANCE_MICROS`` either
    way is a 422 on ``amount`` and nothing is written.

    Unlike ``append_entry`` it raises no alerts and leaves ``alert_level`` as it is, as bill
    runs always have: the customer's next posting finds the level behind its balance and
    raises the crossing then."""
    after: dict[int, int] = {}
    entries: list[tuple[Any, ...]] = []
    for row in rows:
        amount = ENTRY_SIGNS[row.entry_type] * row.amount_micros
        balance = after.get(row.customer_id, balances[row.customer_id]) + amount
        if not -MAX_BALANCE_MICROS <= balance <= MAX_BALANCE_MICROS:
            raise balance_too_large("amount", row.currency, row.exponent)
        after[row.customer_id] = balance
        entries.append(
            (
                row.customer_id,
                row.entry_type,
                amount,
                balance,
                row.currency,
                None,
                row.visible_comment,
                "",
                row.user_id,
                row.billing_period_id,
                row.external_id,
                created_at,
            )
        )
    insert_tuples(session, LedgerEntry, _ENTRY_COLUMNS, entries)
    moved = {customer_id: after[customer_id] - balances[customer_id] for customer_id in after}
    set_ids = {values["id"] for values in also_set}
    update_many(
        session,
        Customer,
        [{**values, "balance_micros": moved.get(values["id"], 0)} for values in also_set],
        add=("balance_micros",),
    )
    update_many(
        session,
        Customer,
        [
            {"id": customer_id, "balance_micros": delta}
            for customer_id, delta in moved.items()
            if customer_id not in set_ids
        ],
        add=("balance_micros",),
    )
    return after


def balance_too_large(field: str, currency: str, exponent: int) -> ValidationFailed:
    limit = format_micros(MAX_BALANCE_MICROS, exponent)
    return ValidationFailed.field(
        field,
        f"too large: the balance would exceed {limit} {currency} either way",
        code="amount_too_large",
    )


def initial_alert_level(
    balance_control: str, balance_micros: int, credit_limit_micros: int | None, warnings: list[str]
) -> int:
    """The level a new customer starts at, so that no event fires for where it already is."""
    return level_of(
        BalanceState(
            customer_id=0,
            balance_control=balance_control,
            balance_micros=balance_micros,
            reserved_micros=0,
            credit_limit_micros=credit_limit_micros,
            alert_level=0,
            warnings=warnings,
            currency="",
            exponent=0,
        )
    )
