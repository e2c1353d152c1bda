"""Input a database cannot hold is bad input: a 422 naming the field, and nothing changes.

Datetimes are stored in UTC, so one that has no UTC value (past 9999 or before year 1 once
its offset is applied) is refused. Balances, reservations and amounts are BIGINT micros.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest

from tests.api.support import assert_problem
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
