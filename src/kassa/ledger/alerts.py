"""Credit-limit warnings, limit reached and funds depleted: raised once per upward crossing.

A customer's ``alert_level`` counts the thresholds its balance is at or past. When a balance
change raises the level, one event per newly crossed threshold goes to the outbox; when the
balance falls back, the level falls with it, so the next crossing raises the event again.
Each event is keyed by the customer, the threshold and the ledger entry that crossed it: one
crossing is reported once, and a later crossing, by a later entry, is a new event.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import update

from kassa.core.money import format_micros
from kassa.core.vocabulary import BalanceControl
from kassa.db.engine import Unit
from kassa.db.models import Customer
from kassa.events.outbox import emit


@dataclass(frozen=True)
class BalanceState:
    customer_id: int
    balance_control: str
    balance_micros: int
    reserved_micros: int
    credit_limit_micros: int | None
    alert_level: int
    warnings: list[str]
    currency: str
    exponent: int


def thresholds(state: BalanceState) -> list[tuple[str, int, dict[str, Any]]]:
    """(event, balance at which it fires, extra payload), in ascending order."""
    if state.balance_control == BalanceControl.PREPAID:
        # Funds are depleted once nothing is left: balance (what is owed) reaches zero.
        return [("funds_depleted", 0, {})]
    limit = state.credit_limit_micros
    if limit is None:
        return []
    levels: list[tuple[str, int, dict[str, Any]]] = []
    for percent in sorted({Decimal(p) for p in state.warnings if Decimal(p) < 100}):
        at = int(Decimal(limit) * percent / 100)
        levels.append(
            ("credit_limit_warning", at, {"threshold_percent": f"{percent.normalize():f}"})
        )
    levels.append(("credit_limit_reached", limit, {}))
    return levels


def level_of(state: BalanceState) -> int:
    return sum(1 for _, at, _ in thresholds(state) if state.balance_micros >= at)


def crossing_key(event: str, customer_id: int, extra: dict[str, Any], entry_id: int) -> str:
    """``credit_limit_warning:<customer>:<percent>%:<entry>``, ``funds_depleted:<customer>:<entry>``
    and so on."""
    threshold = extra.get("threshold_percent")
    level = [] if threshold is None else [f"{threshold}%"]
    return ":".join([event, str(customer_id), *level, str(entry_id)])


def raise_alerts(session: Unit, state: BalanceState, entry_id: int) -> int:
    """Compare the balance ``entry_id`` left with the stored level; emit events for new
    crossings."""
    levels = thresholds(state)
    new_level = sum(1 for _, at, _ in levels if state.balance_micros >= at)
    if new_level == state.alert_level:
        return new_level
    if new_level > state.alert_level:
        for event, at, extra in levels[state.alert_level : new_level]:
            emit(
                session,
                event,
                state.customer_id,
                {
                    "customer_id": state.customer_id,
                    "currency": state.currency,
                    "balance": format_micros(state.balance_micros, state.exponent),
                    "threshold": format_micros(at, state.exponent),
                    "credit_limit": None
                    if state.credit_limit_micros is None
                    else format_micros(state.credit_limit_micros, state.exponent),
                    **extra,
                },
                dedupe_key=crossing_key(event, state.customer_id, extra, entry_id),
            )
    session.execute(
        update(Customer).where(Customer.id == state.customer_id).values(alert_level=new_level)
    )
    return new_level
