"""Subscribing, cancelling and reading subscriptions through the API."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from kassa.db.engine import Database
from tests.api.support import assert_problem
from tests.conftest import Api
from tests.subscriptions.support import (
    Clock,
    balance,
    fees,
    fixed_clock,
    make_customer,
    make_plan,
    subscribe,
)


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return fixed_clock(monkeypatch)


def _customer_on_1_march(api: Api, at: Clock, **overrides: object) -> int:
    at.set("2027-03-01T00:00:00+00:00")
    return make_customer(api, **overrides)


def test_a_subscription_starting_now_posts_its_activation_and_first_period(
    api: Api, db: Database, at: Clock
) -> None:
    plan = make_plan(db, activation_fee="10.00")
    customer = _customer_on_1_march(api, at)
    at.set("2027-03-15T00:00:00+00:00")
    sub = subscribe(api, customer, plan)
    assert sub["status"] == "active"
    assert sub["starts_at"].startswith("2027-03-15T00:00:00")
    assert sub["charged_through"].startswith("2027-04-01T00:00:00")
    assert sub["customer_id"] == customer and sub["plan_name"] == "Fibre 300"
    posted = fees(api, sub["id"])
    assert [(f["kind"], f["amount"], f["full_fee"]) for f in posted] == [
        ("activation", "10.00", "10.00"),
        ("periodic", "17.00", "31.00"),
    ]
    assert all(f["transaction_id"] for f in posted)
    assert balance(api, customer) == "27.00"
    entries = api.get(f"/customers/{customer}/transactions").json()["items"]
    comments = sorted(e["visible_comment"] for e in entries)
    assert "Fibre 300, 15\N{EN DASH}31 Mar 2027 (17/31 of the month)" in comments
    assert {e["type"] for e in entries} == {"subscription"}


def test_a_future_subscription_is_scheduled_and_posts_nothing(
    api: Api, db: Database, at: Clock
) -> None:
    plan = make_plan(db, activation_fee="10.00")
    customer = _customer_on_1_march(api, at)
    sub = subscribe(api, customer, plan, starts_at="2027-03-20T12:30:00.750Z")
    assert sub["status"] == "scheduled"
    assert sub["starts_at"].startswith("2027-03-20T12:30:00")
    assert sub["next_charge_at"].startswith("2027-03-20T12:30:00")
    assert fees(api, sub["id"]) == []
    assert balance(api, customer) == "0.00"
    got = api.get(f"/subscriptions/{sub['id']}")
    assert got.status_code == 200 and got.json() == sub
    listed = api.get(f"/customers/{customer}/subscriptions").json()
    assert listed == {"items": [sub], "next_cursor": None}


def test_refused_subscriptions_name_their_field(
    api: Api, db: Database, at: Clock, enable_currency: Callable[[str], None]
) -> None:
    enable_currency("EUR")
    plan = make_plan(db)
    euro = make_plan(db, "Fibre EUR", currency="EUR")
    customer = _customer_on_1_march(api, at)
    other = make_customer(api)
    account = api.post(
        f"/customers/{other}/accounts", {"identifier": "sip:other@example.com", "product_id": 1}
    )
    path = f"/customers/{customer}/subscriptions"
    assert_problem(api.post(path, {"plan_id": 999}), 422, field="plan_id")
    assert_problem(api.post(path, {"plan_id": euro}), 422, field="plan_id")
    if account.status_code == 201:
        body = {"plan_id": plan, "account_id": account.json()["id"]}
        assert_problem(api.post(path, body), 422, field="account_id")
    assert_problem(api.post(path, {"plan_id": plan, "account_id": 999}), 422, field="account_id")
    early = {"plan_id": plan, "starts_at": "2027-02-28T00:00:00Z"}
    assert_problem(api.post(path, early), 422, field="starts_at")
    backwards = {
        "plan_id": plan,
        "starts_at": "2027-03-10T00:00:00Z",
        "ends_at": "2027-03-10T00:00:00Z",
    }
    assert_problem(api.post(path, backwards), 422, field="ends_at")
    assert_problem(api.post("/customers/999999/subscriptions", {"plan_id": plan}), 404)
    assert api.get(f"/customers/{customer}/subscriptions").json()["items"] == []
    reader = api.as_token(api.token_for("viewer"))
    assert reader.post(path, {"plan_id": plan}).status_code == 403
    assert reader.get(path).status_code == 200


def test_cancelling_mid_period_credits_the_unused_days(api: Api, db: Database, at: Clock) -> None:
    plan = make_plan(db)
    customer = _customer_on_1_march(api, at)
    sub = subscribe(api, customer, plan)
    assert balance(api, customer) == "31.00"
    at.set("2027-03-16T00:00:00+00:00")
    cancelled = api.post(f"/subscriptions/{sub['id']}/cancel", {"at": None})
    assert cancelled.status_code == 200, cancelled.text
    body = cancelled.json()
    assert body["status"] == "ended"
    assert body["ends_at"].startswith("2027-03-16T00:00:00")
    assert body["charged_through"].startswith("2027-03-16T00:00:00")
    assert body["next_charge_at"] is None
    posted = fees(api, sub["id"])
    assert [(f["kind"], f["amount"]) for f in posted] == [
        ("periodic", "31.00"),
        ("unused", "16.00"),
    ]
    assert balance(api, customer) == "15.00"
    again = api.post(f"/subscriptions/{sub['id']}/cancel", {})
    assert_problem(again, 409, code="subscription_ended")
    assert_problem(api.post("/subscriptions/999999/cancel", {}), 404)


def test_a_cancellation_in_the_future_ends_it_then(api: Api, db: Database, at: Clock) -> None:
    plan = make_plan(db)
    customer = _customer_on_1_march(api, at)
    sub = subscribe(api, customer, plan, starts_at="2027-03-10T00:00:00Z")
    path = f"/subscriptions/{sub['id']}/cancel"
    assert_problem(api.post(path, {"at": "2027-03-09T00:00:00Z"}), 422, field="at")
    cancelled = api.post(path, {"at": "2027-05-20T00:00:00Z"})
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "scheduled"
    assert cancelled.json()["ends_at"].startswith("2027-05-20T00:00:00")
    assert fees(api, sub["id"]) == []
