"""Plans, customers and a fixed clock for the subscription tests."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from kassa.auth.actor import SYSTEM
from kassa.core import clock
from kassa.db.engine import Database
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
