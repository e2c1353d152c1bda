"""Subscription fees through billing runs: each on the invoice of the period it bills."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from kassa.auth.actor import SYSTEM
from kassa.billing.runs import run_billing
from kassa.db.engine import Database
from kassa.subscriptions import plans
from kassa.subscriptions.schemas import PlanPatch
from tests.conftest import Api
from tests.subscriptions.support import (
    Clock,
    balance,
    check_ledger,
    fees,
    fees_by_period,
    make_customer,
    make_plan,
    subscribe,
)

D = "\N{EN DASH}"


def _customer(api: Api, at: Clock, **overrides: object) -> int:
    at.set("2027-03-01T00:00:00+00:00")
    return make_customer(api, **overrides)


def test_in_advance_fees_of_a_run_catching_up_land_on_their_own_periods(
    api: Api, db: Database, at: Clock
) -> None:
    plan = make_plan(db)
    customer = _customer(api, at)
    at.set("2027-03-15T00:00:00+00:00")
    subscribe(api, customer, plan)
    at.set("2027-06-10T00:00:00+00:00")
    summary = run_billing(db, None)
    assert summary.periods_closed == 3
    assert fees_by_period(db, customer) == {
        "2027-03-01": [(f"Fibre 300, 15{D}31 Mar 2027 (17/31 of the month)", 17_000_000)],
        "2027-04-01": [(f"Fibre 300, 1{D}30 Apr 2027", 31_000_000)],
        "2027-05-01": [(f"Fibre 300, 1{D}31 May 2027", 31_000_000)],
        "open": [(f"Fibre 300, 1{D}30 Jun 2027", 31_000_000)],
    }
    # A second run as of the same time finds nothing more to post.
    run_billing(db, None)
    assert balance(api, customer) == "110.00"
    check_ledger(db)
    invoices = api.get(f"/customers/{customer}/invoices").json()["items"]
    lines = [
        [
            (line["description"], line["amount"])
            for line in api.get(f"/invoices/{i['id']}").json()["lines"]
        ]
        for i in sorted(invoices, key=lambda i: i["id"])
    ]
    assert lines == [
        [(f"Fibre 300, 15{D}31 Mar 2027 (17/31 of the month)", "17.00")],
        [(f"Fibre 300, 1{D}30 Apr 2027", "31.00")],
        [(f"Fibre 300, 1{D}31 May 2027", "31.00")],
    ]


def test_in_arrears_fees_post_when_their_period_closes(api: Api, db: Database, at: Clock) -> None:
    plan = make_plan(db, charged="in_arrears", activation_fee="5.00")
    customer = _customer(api, at)
    at.set("2027-03-15T00:00:00+00:00")
    sub = subscribe(api, customer, plan)
    assert [f["kind"] for f in fees(api, sub["id"])] == ["activation"]
    assert sub["next_charge_at"] is None
    at.set("2027-03-31T00:00:00+00:00")
    run_billing(db, None)
    assert [f["kind"] for f in fees(api, sub["id"])] == ["activation"]
    at.set("2027-05-10T00:00:00+00:00")
    run_billing(db, None)
    assert fees_by_period(db, customer) == {
        "2027-03-01": [
            ("Fibre 300, activation fee (15 Mar 2027)", 5_000_000),
            (f"Fibre 300, 15{D}31 Mar 2027 (17/31 of the month)", 17_000_000),
        ],
        "2027-04-01": [(f"Fibre 300, 1{D}30 Apr 2027", 31_000_000)],
    }
    check_ledger(db)


def test_a_fee_change_applies_from_the_next_period(api: Api, db: Database, at: Clock) -> None:
    plan = make_plan(db)
    arrears = make_plan(db, "Fibre arrears", charged="in_arrears")
    customer = _customer(api, at)
    subscribe(api, customer, plan)
    subscribe(api, customer, arrears)
    at.set("2027-04-10T00:00:00+00:00")
    with db.transaction() as session:
        for plan_id in (plan, arrears):
            plans.update_plan(session, SYSTEM, plan_id, PlanPatch(periodic_fee=Decimal("62")))
    at.set("2027-06-10T00:00:00+00:00")
    run_billing(db, None)
    amounts = {k: sorted(m for _, m in v) for k, v in fees_by_period(db, customer).items()}
    assert amounts == {
        "2027-03-01": [31_000_000, 31_000_000],
        "2027-04-01": [31_000_000, 31_000_000],
        "2027-05-01": [62_000_000, 62_000_000],
        "open": [62_000_000],
    }
    check_ledger(db)


def test_cancelling_in_arrears_mid_period_bills_the_days_used_and_the_cancellation_fee(
    api: Api, db: Database, at: Clock
) -> None:
    plan = make_plan(
        db, charged="in_arrears", minimum_periods=3, cancellation_fee="50.00", periodic_fee="30"
    )
    customer = _customer(api, at)
    sub = subscribe(api, customer, plan)
    assert sub["commitment_ends_at"].startswith("2027-06-01T00:00:00")
    at.set("2027-04-16T00:00:00+00:00")
    assert api.post(f"/subscriptions/{sub['id']}/cancel", {}).status_code == 200
    at.set("2027-05-05T00:00:00+00:00")
    run_billing(db, None)
    run_billing(db, None)
    # The customer's March period had not been closed: the fees wait for its close.
    assert [(f["kind"], f["amount"]) for f in fees(api, sub["id"])] == [
        ("periodic", "30.00"),
        ("periodic", "15.00"),
        ("cancellation", "50.00"),
    ]
    assert balance(api, customer) == "95.00"
    check_ledger(db)


@pytest.mark.parametrize("later", ["2027-03-20T00:00:00+00:00", "2027-06-10T00:00:00+00:00"])
def test_a_future_cancellation_credits_the_unused_part_when_it_comes(
    api: Api, db: Database, at: Clock, later: str
) -> None:
    plan = make_plan(db, minimum_periods=1, cancellation_fee="7.00")
    customer = _customer(api, at)
    sub = subscribe(api, customer, plan)
    assert (
        api.post(f"/subscriptions/{sub['id']}/cancel", {"at": "2027-03-11T00:00:00Z"}).status_code
        == 200
    )
    assert balance(api, customer) == "31.00"
    at.set(later)
    run_billing(db, None)
    assert [(f["kind"], f["amount"]) for f in fees(api, sub["id"])] == [
        ("periodic", "31.00"),
        ("unused", "21.00"),
        ("cancellation", "7.00"),
    ]
    assert balance(api, customer) == "17.00"
    got = api.get(f"/subscriptions/{sub['id']}").json()
    assert (got["status"], got["next_charge_at"]) == ("ended", None)
    check_ledger(db)


@pytest.mark.parametrize(
    ("zone", "day", "noon_utc", "hours"),
    [
        ("Europe/Prague", "2027-03-28", "2027-03-28T10:00:00Z", 23),
        ("America/New_York", "2027-11-07", "2027-11-07T17:00:00Z", 25),
    ],
)
def test_daily_fees_on_a_dst_day_pay_its_true_hours(
    api: Api, db: Database, at: Clock, zone: str, day: str, noon_utc: str, hours: int
) -> None:
    plan = make_plan(db, periodic_fee=str(hours))
    start = datetime.fromisoformat(noon_utc) - timedelta(days=2)
    at.set(start)
    customer = make_customer(api, billing_period="daily", billing_timezone=zone)
    sub = subscribe(api, customer, plan, starts_at=noon_utc)
    at.set(datetime.fromisoformat(noon_utc) + timedelta(days=1))
    run_billing(db, None)
    posted = [(f["amount"], f["full_fee"]) for f in fees(api, sub["id"])]
    assert posted == [("12.00", f"{hours}.00"), (f"{hours}.00", f"{hours}.00")]
    label = datetime.fromisoformat(day).strftime("%-d %b %Y")
    comments = [c for v in fees_by_period(db, customer).values() for c, _ in v]
    assert comments[0] == f"Fibre 300, {label} ({1200 / hours:.2f}% of the day)"
    check_ledger(db)
