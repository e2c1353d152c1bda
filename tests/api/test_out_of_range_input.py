"""Input a database cannot hold is bad input: a 422 naming the field, and nothing changes.

Datetimes are stored in UTC, so one that has no UTC value (past 9999 or before year 1 once
its offset is applied) is refused. Balances, reservations and amounts are BIGINT micros.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from sqlalchemy import text

from kassa.db.engine import Database
from tests.api.support import assert_problem, ledger_of
from tests.conftest import Api, customer_body

Unchanged = Callable[[], AbstractContextManager[None]]
UNREPRESENTABLE = (
    "9999-12-31T23:59:59-12:00",
    "9999-12-31T23:00:00-01:00",
    "0001-01-01T00:00:00+14:00",
)


@pytest.mark.parametrize("moment", UNREPRESENTABLE)
def test_usage_occurring_outside_utc_years_is_422(
    api: Api, nothing_changes: Unchanged, moment: str
) -> None:
    customer = api.post("/customers", customer_body()).json()["id"]
    record = {
        "customer_id": customer,
        "service": "voice",
        "amount": "0.015",
        "occurred_at": moment,
        "external_id": "cdr-1",
    }
    with nothing_changes():
        response = api.post("/usage", {"records": [record]})
    body = assert_problem(response, 422, field="records[0].occurred_at")
    assert "out of range" in body["detail"]


def test_usage_at_the_last_representable_moment_posts(api: Api) -> None:
    customer = api.post("/customers", customer_body()).json()["id"]
    record = {
        "customer_id": customer,
        "service": "voice",
        "amount": "0.015",
        "occurred_at": "9999-12-31T11:59:59-12:00",
        "external_id": "cdr-last",
    }
    response = api.post("/usage", {"records": [record]})
    assert response.json()["results"][0]["status"] == "posted", response.text


@pytest.mark.parametrize("moment", UNREPRESENTABLE)
def test_billing_run_as_of_outside_utc_years_is_422(
    api: Api, nothing_changes: Unchanged, moment: str
) -> None:
    with nothing_changes():
        response = api.post("/billing-runs", {"as_of": moment})
    assert_problem(response, 422, field="as_of")


def test_custom_field_limit_outside_utc_years_is_422(api: Api, nothing_changes: Unchanged) -> None:
    field = {"name": "start", "label": "Start", "type": "datetime", "min": UNREPRESENTABLE[0]}
    with nothing_changes():
        response = api.post("/custom-fields", field)
    assert_problem(response, 422, field="min")


BIG = "999999999999"  # just under the largest amount one call may move
MAX_BALANCE = 4 * 10**18


def _unlimited(api: Api) -> int:
    created = api.post("/customers", customer_body(credit_limit=...))
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


def _stored(db: Database, customer_id: int) -> tuple[Any, Any, int]:
    with db.reading() as session:
        balance, reserved = session.execute(
            text("SELECT balance_micros, reserved_micros FROM customers WHERE id = :id"),
            {"id": customer_id},
        ).one()
    entries = ledger_of(db, customer_id)
    assert all(isinstance(amount, int) for _, amount in entries)
    return balance, reserved, sum(amount for _, amount in entries)


def _until_refused(post: Callable[[], Any], tries: int = 12) -> Any:
    for _ in range(tries):
        answer = post()
        if answer.status_code != 200 and answer.status_code != 201:
            return answer
        assert answer.is_success, answer.text
    raise AssertionError(f"{tries} calls were all accepted")


@pytest.mark.parametrize("kind", ["manual_charge", "payment"])
def test_a_transaction_past_the_balance_limit_is_422_naming_amount(
    api: Api, db: Database, nothing_changes: Unchanged, kind: str
) -> None:
    customer = _unlimited(api)

    def post() -> Any:
        return api.post(f"/customers/{customer}/transactions", {"type": kind, "amount": BIG})

    refused = _until_refused(post)
    body = assert_problem(refused, 422, code="amount_too_large", field="amount")
    assert "too large" in body["errors"][0]["message"]
    balance, _, ledger = _stored(db, customer)
    assert isinstance(balance, int) and balance == ledger and abs(balance) <= MAX_BALANCE
    with nothing_changes():
        assert_problem(post(), 422, field="amount")


def test_usage_past_the_balance_limit_is_rejected_naming_its_amount(api: Api, db: Database) -> None:
    customer = _unlimited(api)
    records = [
        {
            "customer_id": customer,
            "service": "voice",
            "amount": f"{BIG}.999999",
            "occurred_at": "2026-11-01T10:00:00Z",
            "external_id": f"cdr-{i}",
        }
        for i in range(10)
    ]
    answer = api.post("/usage", {"records": records})
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    rejected = [r for r in results if r["status"] == "rejected"]
    assert rejected and rejected[0]["code"] == "amount_too_large"
    assert rejected[0]["errors"][0]["field"] == f"records[{rejected[0]['index']}].amount"
    balance, _, ledger = _stored(db, customer)
    assert isinstance(balance, int) and balance == ledger and balance <= MAX_BALANCE


def test_reservations_past_the_limit_are_422_naming_amount(
    api: Api, db: Database, nothing_changes: Unchanged
) -> None:
    customer = _unlimited(api)

    def reserve() -> Any:
        return api.post(
            f"/customers/{customer}/authorizations", {"amount": BIG, "service": "voice"}
        )

    assert_problem(_until_refused(reserve), 422, code="amount_too_large", field="amount")
    _, reserved, _ = _stored(db, customer)
    assert isinstance(reserved, int) and reserved <= MAX_BALANCE
    with nothing_changes():
        assert_problem(reserve(), 422, field="amount")


def test_extending_past_the_limit_is_422_naming_amount(
    api: Api, db: Database, nothing_changes: Unchanged
) -> None:
    customer = _unlimited(api)
    auth = api.post(f"/customers/{customer}/authorizations", {"amount": "1", "service": "voice"})
    assert auth.status_code == 201, auth.text

    def extend() -> Any:
        return api.post(f"/authorizations/{auth.json()['id']}/extend", {"amount": BIG})

    assert_problem(_until_refused(extend), 422, code="amount_too_large", field="amount")
    _, reserved, _ = _stored(db, customer)
    assert isinstance(reserved, int) and reserved <= MAX_BALANCE
    with nothing_changes():
        assert_problem(extend(), 422, field="amount")


def test_committing_past_the_balance_limit_is_422_and_keeps_the_reservation(
    api: Api, db: Database, nothing_changes: Unchanged
) -> None:
    customer = _unlimited(api)
    for _ in range(3):
        charged = api.post(
            f"/customers/{customer}/transactions", {"type": "manual_charge", "amount": BIG}
        )
        assert charged.status_code == 201, charged.text
    auth = api.post(f"/customers/{customer}/authorizations", {"amount": BIG, "service": "voice"})
    assert auth.status_code == 201, auth.text
    assert api.post(f"/authorizations/{auth.json()['id']}/commit", {"amount": BIG}).is_success
    second = api.post(f"/customers/{customer}/authorizations", {"amount": BIG, "service": "voice"})
    assert second.status_code == 201, second.text
    with nothing_changes():
        refused = api.post(f"/authorizations/{second.json()['id']}/commit", {"amount": BIG})
    assert_problem(refused, 422, code="amount_too_large", field="amount")
    assert api.get(f"/authorizations/{second.json()['id']}").json()["status"] == "reserved"


@pytest.mark.parametrize(
    ("field", "overrides"),
    [
        ("available_funds", {"balance_control": "prepaid", "credit_limit": ...}),
        ("credit_limit", {}),
    ],
)
def test_initial_amounts_past_64_bits_are_422(
    api: Api, nothing_changes: Unchanged, field: str, overrides: dict[str, Any]
) -> None:
    for amount in ("9223372036854.775808", "1e30", "999999999999999999999"):
        with nothing_changes():
            response = api.post("/customers", customer_body(**overrides, **{field: amount}))
        assert_problem(response, 422, field=field)
