"""Subscription plans: a periodic fee with its activation and cancellation fees."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from sqlalchemy import select

from kassa.core.clock import utcnow
from kassa.db.engine import Database
from kassa.db.models import Subscription, SubscriptionPlanFee
from tests.api.support import assert_problem
from tests.api.test_audit import trail
from tests.conftest import Api

Unchanged = Callable[[], AbstractContextManager[None]]


def plan_body(**overrides: object) -> dict[str, object]:
    return {
        "name": "Fibre 300",
        "currency": "USD",
        "periodic_fee": "29.99",
        "activation_fee": "49.00",
        "charged": "in_advance",
        "prorate": True,
        "minimum_periods": 0,
        "cancellation_fee": "0.00",
        **overrides,
    }


def make_plan(api: Api, **overrides: object) -> dict[str, Any]:
    response = api.post("/subscription-plans", plan_body(**overrides))
    assert response.status_code == 201, response.text
    plan: dict[str, Any] = response.json()
    return plan


def fees_of(db: Database, plan_id: int) -> list[int]:
    with db.reading() as session:
        return list(
            session.scalars(
                select(SubscriptionPlanFee.periodic_fee_micros)
                .where(SubscriptionPlanFee.plan_id == plan_id)
                .order_by(SubscriptionPlanFee.effective_from)
            )
        )


def test_create_read_list_update_delete(api: Api, db: Database) -> None:
    plan = make_plan(api, description=" Homes ", minimum_periods=12, cancellation_fee="100")
    assert plan["name"] == "Fibre 300"
    assert plan["currency"] == "USD"
    assert plan["periodic_fee"] == "29.99"
    assert plan["activation_fee"] == "49.00"
    assert plan["cancellation_fee"] == "100.00"
    assert plan["charged"] == "in_advance"
    assert plan["prorate"] is True
    assert plan["minimum_periods"] == 12
    assert plan["description"] == "Homes"
    assert plan["subscriptions"] == 0
    path = f"/subscription-plans/{plan['id']}"
    assert api.get(path).json() == plan
    assert api.get("/subscription-plans").json() == {"items": [plan], "next_cursor": None}

    changed = api.patch(path, {"name": "Fibre 500", "charged": "in_arrears", "prorate": False})
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["name"], body["charged"], body["prorate"]) == ("Fibre 500", "in_arrears", False)
    assert body["periodic_fee"] == "29.99"

    assert api.delete(path).status_code == 204
    assert_problem(api.get(path), 404, "plan_not_found")
    created, updated, deleted = trail(api, "subscription_plan", plan["id"])
    assert created["action"] == "create"
    assert updated["after"]["name"] == "Fibre 500"
    assert deleted["action"] == "delete"


def test_a_fee_change_is_recorded_from_now_on(api: Api, db: Database) -> None:
    plan = make_plan(api)
    path = f"/subscription-plans/{plan['id']}"
    assert fees_of(db, plan["id"]) == [29_990_000]
    # A change of anything but the periodic fee adds nothing to its history.
    assert api.patch(path, {"activation_fee": "10"}).status_code == 200
    assert api.patch(path, {"periodic_fee": "29.990"}).status_code == 200
    assert fees_of(db, plan["id"]) == [29_990_000]
    changed = api.patch(path, {"periodic_fee": "34.99"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["periodic_fee"] == "34.99"
    assert fees_of(db, plan["id"]) == [29_990_000, 34_990_000]
    _, *updates = trail(api, "subscription_plan", plan["id"])
    assert updates[-1]["before"]["periodic_fee_micros"] == 29_990_000
    assert updates[-1]["after"]["periodic_fee_micros"] == 34_990_000


def test_bad_input_names_the_field(
    api: Api, enable_currency: Callable[[str], None], nothing_changes: Unchanged
) -> None:
    plan = make_plan(api, name="Basic")
    path = f"/subscription-plans/{plan['id']}"
    cases: list[tuple[dict[str, object], str]] = [
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"currency": "XYZ"}, "currency"),
        ({"currency": "CHF"}, "currency"),
        ({"periodic_fee": "-1"}, "periodic_fee"),
        ({"periodic_fee": "1.001"}, "periodic_fee"),
        ({"periodic_fee": "ten"}, "periodic_fee"),
        ({"activation_fee": "-0.01"}, "activation_fee"),
        ({"cancellation_fee": "0.001"}, "cancellation_fee"),
        ({"charged": "monthly"}, "charged"),
        ({"minimum_periods": -1}, "minimum_periods"),
        ({"minimum_periods": 100000}, "minimum_periods"),
        ({"prorate": "sometimes"}, "prorate"),
        ({"colour": "red"}, "colour"),
    ]
    with nothing_changes():
        for overrides, field in cases:
            response = api.post("/subscription-plans", plan_body(**{"name": "Other", **overrides}))
            assert_problem(response, 422, field=field)
        body = plan_body()
        del body["periodic_fee"]
        assert_problem(api.post("/subscription-plans", body), 422, field="periodic_fee")
        for patch, field in [
            ({"name": None}, "name"),
            ({"periodic_fee": None}, "periodic_fee"),
            ({"periodic_fee": "-5"}, "periodic_fee"),
            ({"currency": "XYZ"}, "currency"),
            ({"minimum_periods": -1}, "minimum_periods"),
        ]:
            assert_problem(api.patch(path, patch), 422, field=field)
        assert_problem(
            api.post("/subscription-plans", plan_body(name=" BASIC ")), 409, "plan_name_taken"
        )
        assert_problem(api.patch("/subscription-plans/999999", {"name": "x"}), 404)
        assert_problem(api.get("/subscription-plans/999999"), 404, "plan_not_found")
        assert_problem(api.delete("/subscription-plans/999999"), 404, "plan_not_found")
        assert_problem(api.get("/subscription-plans/0"), 422, field="plan_id")
    enable_currency("EUR")
    euro = make_plan(api, name="Euro", currency="eur", periodic_fee="10")
    assert euro["currency"] == "EUR"


@pytest.fixture
def plan_with_subscription(api: Api, db: Database, make_customer: Callable[..., Any]) -> int:
    """A plan a customer subscribes to, the subscription written straight to its table: the
    subscriptions API is built on top of plans."""
    plan = make_plan(api)
    customer = make_customer()
    now = utcnow()
    with db.transaction() as session:
        session.add(
            Subscription(
                customer_id=customer["id"],
                plan_id=plan["id"],
                starts_at=now,
                commitment_ends_at=now,
                charged_through=now,
                created_at=now,
                updated_at=now,
            )
        )
    return int(plan["id"])


def test_a_plan_with_subscriptions_stays(
    api: Api,
    plan_with_subscription: int,
    enable_currency: Callable[[str], None],
    nothing_changes: Unchanged,
) -> None:
    enable_currency("EUR")
    path = f"/subscription-plans/{plan_with_subscription}"
    assert api.get(path).json()["subscriptions"] == 1
    with nothing_changes():
        assert_problem(api.delete(path), 409, "plan_in_use")
        assert_problem(api.patch(path, {"currency": "EUR"}), 409, "plan_in_use")
    renamed = api.patch(path, {"name": "Renamed", "periodic_fee": "39.99"})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["periodic_fee"] == "39.99"


def test_pages_and_currency_filter(api: Api, enable_currency: Callable[[str], None]) -> None:
    enable_currency("EUR")
    made = [make_plan(api, name=f"Plan {n}") for n in range(5)]
    euro = make_plan(api, name="Euro", currency="EUR")
    seen: list[int] = []
    cursor: str | None = None
    while True:
        params: dict[str, object] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = api.get("/subscription-plans", params=params).json()
        assert len(page["items"]) <= 2
        seen += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [p["id"] for p in made] + [euro["id"]]
    only = api.get("/subscription-plans", params={"currency": "eur"}).json()
    assert [p["id"] for p in only["items"]] == [euro["id"]]
    assert_problem(api.get("/subscription-plans", params={"cursor": "!!"}), 422, field="cursor")
    assert_problem(api.get("/subscription-plans", params={"limit": 0}), 422, field="limit")


def test_roles(api: Api) -> None:
    viewer = api.as_token(api.token_for("viewer"))
    operator = api.as_token(api.token_for("operator"))
    created = operator.post("/subscription-plans", plan_body())
    assert created.status_code == 201, created.text
    path = f"/subscription-plans/{created.json()['id']}"
    assert viewer.get(path).status_code == 200
    assert viewer.get("/subscription-plans").status_code == 200
    assert_problem(viewer.post("/subscription-plans", plan_body(name="Other")), 403)
    assert_problem(viewer.patch(path, {"name": "Other"}), 403)
    assert_problem(viewer.delete(path), 403)
    assert operator.delete(path).status_code == 204
