"""PATCH /customers/{id} and POST /customers/{id}/status."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest

from tests.api.support import assert_problem
from tests.conftest import Api, customer_body

Unchanged = Callable[[], AbstractContextManager[None]]
MakeCustomer = Callable[..., dict[str, Any]]
PREPAID = {"balance_control": "prepaid", "credit_limit": ...}


IMMUTABLE: list[tuple[str, object]] = [
    ("currency", "EUR"),
    ("currency", "USD"),
    ("currency", None),
    ("balance_control", "prepaid"),
    ("balance_control", "postpaid"),
    ("available_funds", "10.00"),
    ("available_funds", None),
]


def test_immutable_fields_are_refused(
    api: Api, nothing_changes: Unchanged, make_customer: MakeCustomer, subtests: pytest.Subtests
) -> None:
    customer = make_customer()
    for field, value in IMMUTABLE:
        with subtests.test(f"{field}={value!r}"), nothing_changes():
            response = api.patch(f"/customers/{customer['id']}", {field: value, "name": "Renamed"})
            assert_problem(response, 422, code="immutable_field", field=field)
    assert api.get(f"/customers/{customer['id']}").json() == customer


# (patch, the field the answer must name)
BAD_PATCHES: list[tuple[str, dict[str, object], str]] = [
    ("name null", {"name": None}, "name"),
    ("name blank", {"name": "  "}, "name"),
    ("name too long", {"name": "n" * 201}, "name"),
    ("credit limit negative", {"credit_limit": "-0.01"}, "credit_limit"),
    ("credit limit decimals", {"credit_limit": "1.001"}, "credit_limit"),
    ("credit limit text", {"credit_limit": "lots"}, "credit_limit"),
    ("business model unknown", {"business_model_id": 9999}, "business_model_id"),
    ("business model null", {"business_model_id": None}, "business_model_id"),
    ("class unknown", {"customer_class_id": 9999}, "customer_class_id"),
    ("class null", {"customer_class_id": None}, "customer_class_id"),
    ("billing period unknown", {"billing_period": "hourly"}, "billing_period"),
    ("billing period null", {"billing_period": None}, "billing_period"),
    ("time zone unknown", {"billing_timezone": "Europe/Atlantis"}, "billing_timezone"),
    ("time zone null", {"billing_timezone": None}, "billing_timezone"),
    ("email invalid", {"email": "@@"}, "email"),
    ("custom data unknown", {"custom_data": {"nope": 1}}, "custom_data.nope"),
    ("unknown field", {"balance": "0"}, "balance"),
]


def test_bad_patch_is_a_422_naming_the_field_and_changes_nothing(
    api: Api, nothing_changes: Unchanged, make_customer: MakeCustomer, subtests: pytest.Subtests
) -> None:
    customer = make_customer()
    for case, patch, field in BAD_PATCHES:
        with subtests.test(case), nothing_changes():
            response = api.patch(f"/customers/{customer['id']}", patch)
            assert_problem(response, 422, field=field)


def test_patch_changes_the_given_fields_only(api: Api, make_customer: MakeCustomer) -> None:
    customer = make_customer(name="Before", email="a@b.example")
    response = api.patch(
        f"/customers/{customer['id']}",
        {
            "name": " After   Name ",
            "billing_period": "daily",
            "billing_timezone": "America/New_York",
            "business_model_id": 2,
        },
    )
    assert response.status_code == 200, response.text
    after = response.json()
    assert after["name"] == "After Name"
    assert after["billing_period"] == "daily"
    assert after["billing_timezone"] == "America/New_York"
    assert after["business_model_id"] == 2
    assert after["email"] == "a@b.example"
    assert after["credit_limit"] == customer["credit_limit"]
    assert after["currency"] == customer["currency"]
    assert api.get(f"/customers/{customer['id']}").json() == after


def test_empty_patch_changes_nothing(api: Api, make_customer: MakeCustomer) -> None:
    customer = make_customer()
    response = api.patch(f"/customers/{customer['id']}", {})
    assert response.status_code == 200, response.text
    assert response.json()["name"] == customer["name"]


def test_email_can_be_cleared(api: Api, make_customer: MakeCustomer) -> None:
    customer = make_customer(email="a@b.example")
    response = api.patch(f"/customers/{customer['id']}", {"email": None})
    assert response.status_code == 200, response.text
    assert response.json()["email"] is None


def test_rename_onto_another_customer_is_409(
    api: Api, nothing_changes: Unchanged, make_customer: MakeCustomer
) -> None:
    make_customer(name="Taken Name")
    other = make_customer(name="Free Name")
    with nothing_changes():
        response = api.patch(f"/customers/{other['id']}", {"name": "TAKEN  name"})
    assert_problem(response, 409, code="customer_name_taken", field="name")


def test_rename_to_own_name_in_other_case_is_allowed(api: Api, make_customer: MakeCustomer) -> None:
    customer = make_customer(name="acme ltd")
    response = api.patch(f"/customers/{customer['id']}", {"name": "Acme Ltd"})
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Acme Ltd"


class TestCreditLimit:
    def test_raise_lower_and_remove(self, api: Api, make_customer: MakeCustomer) -> None:
        customer = make_customer(credit_limit="100.00")
        path = f"/customers/{customer['id']}"
        assert api.patch(path, {"credit_limit": "250.5"}).json()["credit_limit"] == "250.50"
        assert api.patch(path, {"credit_limit": 20.1}).json()["available_funds"] == "20.10"
        removed = api.patch(path, {"credit_limit": None}).json()
        assert removed["credit_limit"] is None
        assert removed["available_funds"] is None
        assert removed["status"] == "active"

    def test_zero_limit_makes_credit_exceeded_and_back(
        self, api: Api, make_customer: MakeCustomer
    ) -> None:
        customer = make_customer(credit_limit="100.00")
        path = f"/customers/{customer['id']}"
        assert api.patch(path, {"credit_limit": "0"}).json()["status"] == "credit_exceeded"
        assert api.patch(path, {"credit_limit": "1"}).json()["status"] == "active"

    def test_prepaid_refuses_a_credit_limit(
        self, api: Api, nothing_changes: Unchanged, make_customer: MakeCustomer
    ) -> None:
        customer = make_customer(available_funds="5.00", **PREPAID)
        with nothing_changes():
            response = api.patch(f"/customers/{customer['id']}", {"credit_limit": "100.00"})
        assert_problem(response, 422, field="credit_limit")

    def test_decimals_follow_the_customer_currency(
        self, api: Api, enable_currency: Callable[[str], None], make_customer: MakeCustomer
    ) -> None:
        enable_currency("JPY")
        customer = make_customer(currency="JPY", credit_limit="1000")
        path = f"/customers/{customer['id']}"
        assert_problem(api.patch(path, {"credit_limit": "10.5"}), 422, field="credit_limit")
        assert api.patch(path, {"credit_limit": "20"}).json()["credit_limit"] == "20"


def test_customer_of_a_disabled_currency_can_still_be_edited(
    api: Api, enable_currency: Callable[[str], None], make_customer: MakeCustomer
) -> None:
    enable_currency("GBP")
    customer = make_customer(currency="GBP")
    assert api.put("/currencies/GBP", {"enabled": False}).status_code == 200
    response = api.patch(f"/customers/{customer['id']}", {"name": "Still Editable"})
    assert response.status_code == 200, response.text
    assert api.get(f"/customers/{customer['id']}").json()["currency"] == "GBP"


class TestClassChange:
    @pytest.fixture
    def strict_class(self, api: Api) -> dict[str, Any]:
        field = api.post(
            "/custom-fields", {"name": "tax_code", "label": "Tax code", "type": "text"}
        ).json()
        cls = api.post(
            "/customer-classes",
            {
                "name": "Strict",
                "custom_fields": [{"custom_field_id": field["id"], "mandatory": True}],
            },
        )
        assert cls.status_code == 201, cls.text
        return dict(cls.json())

    def test_class_change_revalidates_custom_data(
        self,
        api: Api,
        nothing_changes: Unchanged,
        make_customer: MakeCustomer,
        strict_class: dict[str, Any],
    ) -> None:
        customer = make_customer()
        path = f"/customers/{customer['id']}"
        with nothing_changes():
            response = api.patch(path, {"customer_class_id": strict_class["id"]})
        assert_problem(response, 422, field="custom_data.tax_code")
        moved = api.patch(
            path, {"customer_class_id": strict_class["id"], "custom_data": {"tax_code": "CZ1"}}
        )
        assert moved.status_code == 200, moved.text
        assert moved.json()["customer_class_id"] == strict_class["id"]
        assert moved.json()["custom_data"] == {"tax_code": "CZ1"}

    def test_custom_data_of_the_old_class_is_refused_by_the_new_one(
        self, api: Api, make_customer: MakeCustomer, strict_class: dict[str, Any]
    ) -> None:
        customer = make_customer(
            customer_class_id=strict_class["id"], custom_data={"tax_code": "A"}
        )
        default = next(
            c for c in api.get("/customer-classes").json()["items"] if c["name"] == "Default"
        )
        path = f"/customers/{customer['id']}"
        response = api.patch(path, {"customer_class_id": default["id"]})
        assert_problem(response, 422, field="custom_data.tax_code")
        moved = api.patch(path, {"customer_class_id": default["id"], "custom_data": {}})
        assert moved.status_code == 200, moved.text
        assert moved.json()["custom_data"] == {}

    def test_emptying_mandatory_data_is_refused(
        self,
        api: Api,
        nothing_changes: Unchanged,
        make_customer: MakeCustomer,
        strict_class: dict[str, Any],
    ) -> None:
        customer = make_customer(
            customer_class_id=strict_class["id"], custom_data={"tax_code": "A"}
        )
        with nothing_changes():
            response = api.patch(f"/customers/{customer['id']}", {"custom_data": {}})
        assert_problem(response, 422, field="custom_data.tax_code")

    def test_class_with_another_currency_is_refused(
        self, api: Api, nothing_changes: Unchanged, make_customer: MakeCustomer
    ) -> None:
        euro = api.post("/customer-classes", {"name": "Euro only", "currency": "EUR"}).json()
        customer = make_customer(currency="USD")
        with nothing_changes():
            response = api.patch(f"/customers/{customer['id']}", {"customer_class_id": euro["id"]})
        assert_problem(response, 422, field="customer_class_id")


class TestStatus:
    def status(self, api: Api, customer_id: int, action: str) -> Any:
        return api.post(f"/customers/{customer_id}/status", {"action": action})

    def test_block_unblock_close(self, api: Api, make_customer: MakeCustomer) -> None:
        cid = make_customer()["id"]
        assert self.status(api, cid, "block").json()["status"] == "blocked"
        assert api.get(f"/customers/{cid}").json()["status"] == "blocked"
        assert self.status(api, cid, "unblock").json()["status"] == "active"
        assert self.status(api, cid, "close").json()["status"] == "closed"

    def test_a_blocked_customer_can_be_closed(self, api: Api, make_customer: MakeCustomer) -> None:
        cid = make_customer()["id"]
        self.status(api, cid, "block")
        assert self.status(api, cid, "close").json()["status"] == "closed"

    def test_transition_from_the_wrong_state_is_409(
        self, api: Api, nothing_changes: Unchanged, make_customer: MakeCustomer
    ) -> None:
        cid = make_customer()["id"]
        with nothing_changes():
            assert_problem(self.status(api, cid, "unblock"), 409, code="invalid_status_transition")
        self.status(api, cid, "block")
        with nothing_changes():
            assert_problem(self.status(api, cid, "block"), 409, code="invalid_status_transition")

    def test_closed_is_final(
        self, api: Api, nothing_changes: Unchanged, make_customer: MakeCustomer
    ) -> None:
        cid = make_customer()["id"]
        self.status(api, cid, "close")
        with nothing_changes():
            for action in ("block", "unblock", "close"):
                assert_problem(self.status(api, cid, action), 409, code="customer_closed")
            for patch in ({"name": "Reopened"}, {"credit_limit": "1.00"}, {}):
                assert_problem(api.patch(f"/customers/{cid}", patch), 409, code="customer_closed")
        assert api.get(f"/customers/{cid}").json()["status"] == "closed"

    def test_bad_action_is_422(
        self, api: Api, nothing_changes: Unchanged, make_customer: MakeCustomer
    ) -> None:
        cid = make_customer()["id"]
        for body in ({"action": "explode"}, {}, {"action": None}, {"status": "x"}, ["block"]):
            with nothing_changes():
                response = api.post(f"/customers/{cid}/status", body)
                assert_problem(response, 422)

    def test_stored_status_wins_over_derived(self, api: Api, make_customer: MakeCustomer) -> None:
        cid = make_customer(**PREPAID)["id"]
        assert api.get(f"/customers/{cid}").json()["status"] == "no_available_funds"
        assert self.status(api, cid, "block").json()["status"] == "blocked"
        assert self.status(api, cid, "unblock").json()["status"] == "no_available_funds"
        assert self.status(api, cid, "close").json()["status"] == "closed"


def test_derived_statuses(api: Api, make_customer: MakeCustomer) -> None:
    assert make_customer(**PREPAID)["status"] == "no_available_funds"
    assert make_customer(available_funds="0.01", **PREPAID)["status"] == "active"
    assert make_customer(credit_limit="0")["status"] == "credit_exceeded"
    assert make_customer(credit_limit=None)["status"] == "active"
    assert make_customer(credit_limit="0.01")["status"] == "active"


def test_patch_of_a_customer_in_a_list_is_visible_in_the_list(
    api: Api, make_customer: MakeCustomer
) -> None:
    customer = make_customer(name="Listed Before")
    api.patch(f"/customers/{customer['id']}", {"name": "Listed After"})
    items = api.get("/customers", params={"q": "Listed"}).json()["items"]
    assert [c["name"] for c in items] == ["Listed After"]


def test_status_is_recorded_with_the_customer_body(api: Api) -> None:
    created = api.post("/customers", customer_body()).json()
    blocked = api.post(f"/customers/{created['id']}/status", {"action": "block"}).json()
    assert {k: v for k, v in blocked.items() if k not in ("status", "updated_at")} == {
        k: v for k, v in created.items() if k not in ("status", "updated_at")
    }
