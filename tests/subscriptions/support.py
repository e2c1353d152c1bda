"""Plans, customers and a fixed clock for the subscription tests."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from kassa.auth.actor import SYSTEM
from kassa.core import clock
from kassa.core.clock import as_utc
from kassa.db.engine import Database
from kassa.db.models import BillingPeriod, Customer, LedgerEntry, Subscription, SubscriptionFee
from kassa.subscriptions import plans
from kassa.subscriptions.schemas import PlanIn
from tests.conftest import Api, customer_body


class Clock:
    """Kassa's clock, set by the test (it runs on at the normal pace from each setting)."""

    def set(self, moment: str | datetime) -> None:
        at = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
        clock.run_clock_from(at)


def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """A clock the test sets; put back as it was when the test ends."""
    monkeypatch.setattr(clock, "_shift", clock._shift)
    return Clock()


def make_plan(db: Database, name: str = "Fibre 300", **fields: Any) -> int:
    values: dict[str, Any] = {"currency": "USD", "periodic_fee": Decimal("31.00")}
    values.update(fields)
    with db.transaction() as session:
        return plans.create_plan(session, SYSTEM, PlanIn(name=name, **values)).id


def make_customer(api: Api, **overrides: object) -> int:
    body: dict[str, object] = {"billing_timezone": "UTC", "billing_period": "monthly"}
    body.update(overrides)
    response = api.post("/customers", customer_body(**body))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def subscribe(api: Api, customer: int, plan: int, **fields: object) -> dict[str, Any]:
    response = api.post(f"/customers/{customer}/subscriptions", {"plan_id": plan, **fields})
    assert response.status_code == 201, response.text
    return dict(response.json())


def fees(api: Api, subscription: int) -> list[dict[str, Any]]:
    response = api.get(f"/subscriptions/{subscription}/fees", params={"limit": 500})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def balance(api: Api, customer: int) -> str:
    return str(api.get(f"/customers/{customer}").json()["balance"])


def fees_by_period(db: Database, customer: int) -> dict[str, list[tuple[str, int]]]:
    """The customer's subscription entries (and their credits) by the start date of the
    period that billed them ("open" for none yet): (visible comment, micros)."""
    with db.reading() as session:
        rows = session.execute(
            select(BillingPeriod.start_at, LedgerEntry.visible_comment, LedgerEntry.amount_micros)
            .select_from(LedgerEntry)
            .outerjoin(BillingPeriod, BillingPeriod.id == LedgerEntry.billing_period_id)
            .where(
                LedgerEntry.customer_id == customer,
                LedgerEntry.external_id.like("subscription:%"),
            )
            .order_by(LedgerEntry.id)
        ).all()
    out: dict[str, list[tuple[str, int]]] = {}
    for start, comment, micros in rows:
        key = as_utc(start).date().isoformat() if start is not None else "open"
        out.setdefault(key, []).append((comment, int(micros)))
    return out


def check_ledger(db: Database) -> None:
    """Every balance is the sum of its entries; no fee was posted twice; each subscription's
    periodic fees cover one run of time without gaps or overlaps."""
    with db.reading() as session:
        sums = dict(
            session.execute(
                select(LedgerEntry.customer_id, func.sum(LedgerEntry.amount_micros)).group_by(
                    LedgerEntry.customer_id
                )
            ).all()
        )
        for customer_id, balance_micros in session.execute(
            select(Customer.id, Customer.balance_micros)
        ):
            assert int(sums.get(customer_id) or 0) == balance_micros, customer_id
        external = session.execute(
            select(LedgerEntry.external_id, func.count())
            .where(LedgerEntry.external_id.is_not(None))
            .group_by(LedgerEntry.external_id)
            .having(func.count() > 1)
        ).all()
        assert external == []
        fee_rows = session.execute(
            select(
                SubscriptionFee.subscription_id,
                SubscriptionFee.period_start,
                SubscriptionFee.period_end,
                SubscriptionFee.amount_micros,
                SubscriptionFee.ledger_entry_id,
            )
            .where(SubscriptionFee.kind == "periodic")
            .order_by(SubscriptionFee.subscription_id, SubscriptionFee.period_start)
        ).all()
        entries = dict(
            session.execute(
                select(LedgerEntry.id, LedgerEntry.amount_micros).where(
                    LedgerEntry.external_id.is_not(None)
                )
            ).all()
        )
        subs = {s.id: s for s in session.scalars(select(Subscription).order_by(Subscription.id))}
        last: dict[int, object] = {}
        for sub_id, start, end, amount, entry_id in fee_rows:
            expected = last.get(sub_id, as_utc(subs[sub_id].starts_at))
            assert as_utc(start) == expected, (sub_id, start, expected)
            last[sub_id] = as_utc(end)
            if amount:
                assert entries[entry_id] == amount
            else:
                assert entry_id is None
