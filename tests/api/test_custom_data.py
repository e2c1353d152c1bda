"""A customer's custom data, validated against the fields its class enables."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest

from tests.api.support import assert_problem
from tests.conftest import Api, customer_body

Unchanged = Callable[[], AbstractContextManager[None]]

FIELDS: list[dict[str, object]] = [
    {"name": "tax_code", "label": "Tax code", "type": "text", "min_length": 3, "max_length": 10},
    {"name": "employees", "label": "Employees", "type": "number", "min": 1, "max": "1000"},
    {
        "name": "tier",
        "label": "Tier",
        "type": "list",
        "options": [{"label": "Gold", "value": "gold"}, {"label": "Silver", "value": "silver"}],
    },
    {
        "name": "founded",
        "label": "Founded",
        "type": "date",
        "min": "1900-01-01",
        "max": "2100-12-31",
    },
    {
        "name": "contract_start",
        "label": "Contract start",
        "type": "datetime",
        "min": "2000-01-01T00:00:00Z",
    },
    {"name": "region", "label": "Region", "type": "text", "default": "EU"},
]
MANDATORY = {"tax_code"}
VALID = {"tax_code": "CZ123", "employees": 42}


@pytest.fixture
def business_class(api: Api) -> int:
    enabled = []
    for field in FIELDS:
        created = api.post("/custom-fields", field)
        assert created.status_code == 201, created.text
        enabled.append(
            {"custom_field_id": created.json()["id"], "mandatory": field["name"] in MANDATORY}
        )
    cls = api.post("/customer-classes", {"name": "Business", "custom_fields": enabled})
    assert cls.status_code == 201, cls.text
    return int(cls.json()["id"])


def create(api: Api, class_id: int, data: object) -> Any:
    return api.post("/customers", customer_body(customer_class_id=class_id, custom_data=data))


BAD_DATA: list[tuple[str, dict[str, object], str, str]] = [
    ("missing mandatory", {"employees": 3}, "tax_code", "required"),
    ("blank mandatory", {"tax_code": "   "}, "tax_code", "required"),
    ("null mandatory", {"tax_code": None}, "tax_code", "required"),
    ("unknown field", {**VALID, "shoe_size": 44}, "shoe_size", "not a custom field"),
    ("text given a number", {"tax_code": 12345}, "tax_code", "text"),
    ("text given a list", {"tax_code": ["CZ123"]}, "tax_code", "text"),
    ("too short", {"tax_code": "ab"}, "tax_code", "at least 3"),
    ("too long", {"tax_code": "x" * 11}, "tax_code", "at most 10"),
    ("number given words", {**VALID, "employees": "many"}, "employees", "number"),
    ("number given a boolean", {**VALID, "employees": True}, "employees", "number"),
    ("number given an object", {**VALID, "employees": {"n": 1}}, "employees", "number"),
    ("number NaN", {**VALID, "employees": "NaN"}, "employees", "number"),
    ("below min", {**VALID, "employees": 0}, "employees", "at least 1"),
    ("above max", {**VALID, "employees": "1000.5"}, "employees", "at most 1000"),
    ("not in the list", {**VALID, "tier": "bronze"}, "tier", "gold"),
    ("list label not value", {**VALID, "tier": "Gold"}, "tier", "gold"),
    ("list given a number", {**VALID, "tier": 1}, "tier", "gold"),
    ("bad date", {**VALID, "founded": "2026-13-01"}, "founded", "date"),
    ("date as words", {**VALID, "founded": "yesterday"}, "founded", "date"),
    ("date as number", {**VALID, "founded": 20260101}, "founded", "date"),
    ("date below min", {**VALID, "founded": "1899-12-31"}, "founded", "at least"),
    ("date above max", {**VALID, "founded": "2101-01-01"}, "founded", "at most"),
    (
        "datetime without zone",
        {**VALID, "contract_start": "2026-01-01T10:00:00"},
        "contract_start",
        "zone",
    ),
    ("datetime as words", {**VALID, "contract_start": "soon"}, "contract_start", "date"),
    (
        "datetime past year 9999 in UTC",
        {**VALID, "contract_start": "9999-12-31T23:59:59-12:00"},
        "contract_start",
        "out of range",
    ),
    (
        "datetime before year 1 in UTC",
        {**VALID, "contract_start": "0001-01-01T00:00:00+14:00"},
        "contract_start",
        "out of range",
    ),
    (
        "datetime below min",
        {**VALID, "contract_start": "1999-12-31T23:59:59Z"},
        "contract_start",
        "at least",
    ),
]


def test_bad_custom_data_is_a_422_naming_the_field(
    api: Api, nothing_changes: Unchanged, business_class: int, subtests: pytest.Subtests
) -> None:
    for case, data, field, says in BAD_DATA:
        with subtests.test(case), nothing_changes():
            response = create(api, business_class, data)
            body = assert_problem(response, 422, field=f"custom_data.{field}")
            message = next(
                e["message"] for e in body["errors"] if e["field"] == f"custom_data.{field}"
            )
            assert says.lower() in message.lower(), message


def test_bad_custom_data_on_patch_is_refused(
    api: Api, nothing_changes: Unchanged, business_class: int
) -> None:
    customer = create(api, business_class, VALID).json()
    for _, data, field, _ in BAD_DATA:
        with nothing_changes():
            response = api.patch(f"/customers/{customer['id']}", {"custom_data": data})
        assert_problem(response, 422, field=f"custom_data.{field}")


def test_good_custom_data_is_normalized(api: Api, business_class: int) -> None:
    response = create(
        api,
        business_class,
        {
            "tax_code": "  CZ123 ",
            "employees": "42.0",
            "tier": "gold",
            "founded": "1991-08-06",
            "contract_start": "2026-01-01T10:00:00+01:00",
        },
    )
    assert response.status_code == 201, response.text
    assert response.json()["custom_data"] == {
        "tax_code": "CZ123",
        "employees": 42,
        "tier": "gold",
        "founded": "1991-08-06",
        "contract_start": "2026-01-01T09:00:00Z",
        "region": "EU",
    }


def test_decimal_numbers_stay_exact(api: Api, business_class: int) -> None:
    response = create(api, business_class, {**VALID, "employees": 12.5})
    assert response.status_code == 201, response.text
    assert response.json()["custom_data"]["employees"] == "12.5"


def test_optional_fields_may_be_left_out(api: Api, business_class: int) -> None:
    response = create(api, business_class, {"tax_code": "CZ123"})
    assert response.status_code == 201, response.text
    assert response.json()["custom_data"] == {"tax_code": "CZ123", "region": "EU"}


def test_patch_replaces_custom_data(api: Api, business_class: int) -> None:
    customer = create(api, business_class, VALID).json()
    response = api.patch(
        f"/customers/{customer['id']}", {"custom_data": {"tax_code": "NEW01", "tier": "silver"}}
    )
    assert response.status_code == 200, response.text
    assert response.json()["custom_data"] == {"tax_code": "NEW01", "tier": "silver", "region": "EU"}


def test_every_problem_is_reported_at_once(api: Api, business_class: int) -> None:
    response = create(api, business_class, {"employees": 0, "tier": "x", "extra": 1})
    body = assert_problem(response, 422)
    assert {e["field"] for e in body["errors"]} >= {
        "custom_data.tax_code",
        "custom_data.employees",
        "custom_data.tier",
        "custom_data.extra",
    }


def test_a_field_made_mandatory_later_is_required_on_the_next_change(
    api: Api, business_class: int
) -> None:
    customer = create(api, business_class, VALID).json()
    cls = api.get(f"/customer-classes/{business_class}").json()
    fields = [
        {"custom_field_id": f["custom_field_id"], "mandatory": True} for f in cls["custom_fields"]
    ]
    assert (
        api.patch(f"/customer-classes/{business_class}", {"custom_fields": fields}).status_code
        == 200
    )
    response = api.patch(f"/customers/{customer['id']}", {"custom_data": VALID})
    assert_problem(response, 422, field="custom_data.tier")
