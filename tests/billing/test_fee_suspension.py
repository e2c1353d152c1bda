"""Suspension for unpaid fees: a prepaid customer of a class with suspend_when_fees_unpaid whose
funds the fees posted take below zero is suspended; a credit that brings them back lifts it at
once, and so does collection's sweep."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from kassa.billing.collection import run_collection
from kassa.billing.runs import run_billing
from kassa.core.clock import utcnow
from kassa.db.engine import Database
from kassa.db.models import Authorization, Customer, Invoice, OutboxEvent
from kassa.subscriptions.suspension import lift_funded, suspend_unfunded
from tests.billing.fees import post_fee
from tests.conftest import Api, customer_body
from tests.when import period_end

FEE = "14.51"


def _class(api: Api, **options: object) -> int:
    body = {"name": f"Class {os.urandom(4).hex()}", **options}
    response = api.post("/customer-classes", body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _prepaid(api: Api, class_id: int, funds: str = "10.00") -> int:
    body = customer_body(
        balance_control="prepaid",
        credit_limit=None,
        available_funds=funds,
        customer_class_id=class_id,
    )
    response = api.post("/customers", body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _post(api: Api, customer: int, kind: str, amount: str) -> None:
    response = api.post(f"/customers/{customer}/transactions", {"type": kind, "amount": amount})
    assert response.status_code == 201, response.text


def _state(db: Database, customer: int) -> tuple[str, str | None]:
    with db.reading() as session:
        row = session.get_one(Customer, customer)
        return row.status, row.suspended_for


def _events(db: Database, customer: int) -> list[tuple[str, dict[str, Any]]]:
    with db.reading() as session:
        return [
            (t, p)
            for t, p in session.execute(
                select(OutboxEvent.event_type, OutboxEvent.payload)
                .where(
                    OutboxEvent.customer_id == customer,
                    OutboxEvent.event_type.in_(("customer_suspended", "customer_status_changed")),
                )
                .order_by(OutboxEvent.id)
            )
        ]


def _suspend(db: Database, *customers: int) -> list[int]:
    with db.transaction() as session:
        return suspend_unfunded(session, customers)


@pytest.fixture
def strict(api: Api) -> int:
    return _class(api, suspend_when_fees_unpaid=True)


def test_unfunded_fees_suspend_and_a_payment_lifts(api: Api, db: Database, strict: int) -> None:
    customer = _prepaid(api, strict)
    post_fee(db, customer, FEE, "Fibre 300, March")
    assert api.get(f"/customers/{customer}").json()["available_funds"] == "-4.51"
    assert _suspend(db, customer) == [customer]
    assert _state(db, customer) == ("suspended", "unpaid_fees")
    shown = api.get(f"/customers/{customer}").json()
    assert (shown["status"], shown["suspended_for"]) == ("suspended", "unpaid_fees")
    [(kind, payload)] = _events(db, customer)
    assert kind == "customer_suspended"
    assert payload["suspended_for"] == "unpaid_fees"
    assert payload["amount_due"] == "4.51" and payload["currency"] == "USD"
    assert "subscription fees" in payload["reason"]
    # Once is enough: a second call finds the customer suspended already.
    assert _suspend(db, customer) == []
    assert len(_events(db, customer)) == 1

    # A payment that does not cover the fees leaves the suspension; one that does lifts it in
    # its own transaction.
    _post(api, customer, "payment", "4.00")
    assert _state(db, customer) == ("suspended", "unpaid_fees")
    _post(api, customer, "payment", "0.51")
    assert _state(db, customer) == ("active", None)
    shown = api.get(f"/customers/{customer}").json()
    assert shown["available_funds"] == "0.00"
    assert [kind for kind, _ in _events(db, customer)] == [
        "customer_suspended",
        "customer_status_changed",
    ]
    _, lifted = _events(db, customer)[-1]
    assert (lifted["from"], lifted["to"], lifted["reason"]) == (
        "suspended",
        "active",
        "funds_cover_fees",
    )


@pytest.mark.parametrize("credit", ["manual_credit", "promotional_credit"])
def test_any_credit_lifts(api: Api, db: Database, strict: int, credit: str) -> None:
    customer = _prepaid(api, strict, funds="0")
    post_fee(db, customer, "5.00", "Fee")
    assert _suspend(db, customer) == [customer]
    _post(api, customer, credit, "5.00")
    assert _state(db, customer) == ("active", None)


def test_who_is_not_suspended(api: Api, db: Database, strict: int) -> None:
    lenient = _class(api)
    other_class = _prepaid(api, lenient)
    postpaid = api.post(
        "/customers", customer_body(customer_class_id=strict, credit_limit="1.00")
    ).json()["id"]
    covered = _prepaid(api, strict, funds=FEE)
    blocked = _prepaid(api, strict)
    for customer in (other_class, postpaid, covered, blocked):
        post_fee(db, customer, FEE, "Fee")
    assert api.post(f"/customers/{blocked}/status", {"action": "block"}).status_code == 200
    assert _suspend(db, other_class, postpaid, covered, blocked, 999_999) == []
    assert _state(db, other_class) == ("active", None)
    assert _state(db, postpaid) == ("active", None)
    # Funds of exactly zero cover the fee.
    assert api.get(f"/customers/{covered}").json()["available_funds"] == "0.00"
    assert _state(db, covered) == ("active", None)
    assert _state(db, blocked) == ("blocked", None)
    assert _suspend(db) == []


def test_staff_unblocking_clears_the_reason(api: Api, db: Database, strict: int) -> None:
    customer = _prepaid(api, strict)
    post_fee(db, customer, FEE, "Fee")
    _suspend(db, customer)
    assert api.post(f"/customers/{customer}/status", {"action": "block"}).status_code == 200
    assert _state(db, customer) == ("blocked", None)
    assert api.post(f"/customers/{customer}/status", {"action": "unblock"}).status_code == 200
    assert _state(db, customer) == ("active", None)
    # Still short of funds: the next fees' call suspends again, with an event of its own.
    assert _suspend(db, customer) == [customer]
    assert [k for k, _ in _events(db, customer)].count("customer_suspended") == 2


def test_a_lapsed_reservation_is_lifted_by_the_sweep(api: Api, db: Database, strict: int) -> None:
    customer = _prepaid(api, strict, funds="10.00")
    held = api.post(f"/customers/{customer}/authorizations", {"amount": "6.00", "service": "voice"})
    assert held.status_code == 201, held.text
    post_fee(db, customer, "5.00", "Fee")
    # 10 - 5 - 6 held: below zero while the reservation holds.
    assert _suspend(db, customer) == [customer]
    with db.transaction() as session:
        assert lift_funded(session, [customer]) == []
        # The reservation's time passes; the sweeper has not freed it yet.
        session.execute(
            update(Authorization)
            .where(Authorization.id == held.json()["id"])
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert _state(db, customer) == ("suspended", "unpaid_fees")
    collected = run_collection(db, utcnow())
    assert collected.lifted == 1
    assert _state(db, customer) == ("active", None)
    with db.transaction() as session:
        assert lift_funded(session, None) == []


@pytest.mark.calendar
def test_an_overdue_suspension_paid_becomes_one_for_the_fees(api: Api, db: Database) -> None:
    cls = _class(api, suspend_when_fees_unpaid=True, grace_period_days=0, suspend_after_days=0)
    customer = _prepaid(api, cls, funds="0")
    _post(api, customer, "manual_charge", "10.00")
    end = period_end(db, customer)
    run_billing(db, None, end + timedelta(minutes=1))
    with db.reading() as session:
        due = session.scalar(select(Invoice.due_date).where(Invoice.customer_id == customer))
    assert due is not None
    day_after = due + timedelta(days=1)
    collection = run_collection(
        db, datetime(day_after.year, day_after.month, day_after.day, 12, tzinfo=UTC)
    )
    assert collection.suspended == 1
    assert _state(db, customer) == ("suspended", "overdue_invoice")
    post_fee(db, customer, "5.00", "Fee")
    # Suspended already: the fees' call leaves it as it is.
    assert _suspend(db, customer) == []

    # The invoice paid, the fee is not: still suspended, for the fee now.
    _post(api, customer, "payment", "10.00")
    with db.reading() as session:
        assert session.scalar(select(Invoice.status).where(Invoice.customer_id == customer)) == (
            "paid"
        )
    assert _state(db, customer) == ("suspended", "unpaid_fees")
    _post(api, customer, "payment", "5.00")
    assert _state(db, customer) == ("active", None)
