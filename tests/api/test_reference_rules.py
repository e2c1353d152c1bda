"""Rules of currencies, business models, custom fields and customer classes beyond plain CRUD."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest

from tests.api.support import assert_problem
from tests.conftest import Api, customer_body

Unchanged = Callable[[], AbstractContextManager[None]]
MakeCustomer = Callable[..., dict[str, Any]]

SEEDED_MODELS = {
    "Cloud PBX",
    "SIP trunking",
    "Residential VoIP",
    "Internet access",
    "Mobile",
    "Prepaid cards",
    "Universal",
}


def all_items(api: Api, path: str, **params: object) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query: dict[str, object] = {"limit": 100, **params}
        if cursor:
            query["cursor"] = cursor
        response = api.get(path, params=query)
        assert response.status_code == 200, response.text
        items += response.json()["items"]
        cursor = response.json()["next_cursor"]
        if not cursor:
            return items


def default_class(api: Api) -> dict[str, Any]:
    return next(c for c in all_items(api, "/customer-classes") if c["name"] == "Default")


class TestCurrencies:
    def test_every_iso_currency_with_its_exponent(self, api: Api) -> None:
        currencies = {c["code"]: c for c in all_items(api, "/currencies")}
        assert len(currencies) > 150
        assert currencies["USD"] == {
            "code": "USD",
            "name": currencies["USD"]["name"],
            "exponent": 2,
            "enabled": True,
        }
        assert currencies["JPY"]["exponent"] == 0
        assert currencies["BHD"]["exponent"] == 3
        assert currencies["XAU"]["exponent"] is None
        assert "Dollar" in currencies["USD"]["name"]

    def test_usd_and_eur_are_enabled_on_first_start(self, api: Api) -> None:
        enabled = {c["code"] for c in all_items(api, "/currencies") if c["enabled"]}
        assert enabled == {"USD", "EUR"}
        assert {c["code"] for c in all_items(api, "/currencies", enabled=True)} == {"USD", "EUR"}

    def test_list_pages_by_code(self, api: Api) -> None:
        first = api.get("/currencies", params={"limit": 3}).json()
        second = api.get("/currencies", params={"limit": 3, "cursor": first["next_cursor"]}).json()
        codes = [c["code"] for c in first["items"] + second["items"]]
        assert codes == sorted(codes) and len(set(codes)) == 6

    def test_enable_and_disable(self, api: Api) -> None:
        enabled = api.put("/currencies/JPY", {"enabled": True})
        assert enabled.status_code == 200, enabled.text
        assert enabled.json() == {**enabled.json(), "code": "JPY", "enabled": True}
        assert api.get("/currencies/jpy").json()["enabled"] is True
        again = api.put("/currencies/JPY", {"enabled": True})
        assert again.status_code == 200
        disabled = api.put("/currencies/jpy", {"enabled": False})
        assert disabled.json()["enabled"] is False
        trail = api.get("/audit-log", params={"entity_type": "currency", "entity_id": "JPY"})
        changes = [(e["before"], e["after"]) for e in trail.json()["items"]]
        assert changes == [
            ({"enabled": False}, {"enabled": True}),
            ({"enabled": True}, {"enabled": False}),
        ]

    def test_a_disabled_currency_refuses_new_customers(self, api: Api) -> None:
        api.put("/currencies/EUR", {"enabled": False})
        assert_problem(api.post("/customers", customer_body(currency="EUR")), 422, field="currency")
        api.put("/currencies/EUR", {"enabled": True})
        assert api.post("/customers", customer_body(currency="EUR")).status_code == 201

    @pytest.mark.parametrize("code", ["XAU", "XDR", "XXX"])
    def test_a_non_money_currency_cannot_be_enabled(
        self, api: Api, nothing_changes: Unchanged, code: str
    ) -> None:
        with nothing_changes():
            assert_problem(
                api.put(f"/currencies/{code}", {"enabled": True}),
                409,
                code="currency_not_chargeable",
            )

    def test_unknown_currency_is_404(self, api: Api, nothing_changes: Unchanged) -> None:
        with nothing_changes():
            assert_problem(api.get("/currencies/ZZZ"), 404, code="currency_not_found")
            assert_problem(
                api.put("/currencies/ZZZ", {"enabled": True}), 404, code="currency_not_found"
            )
            assert_problem(api.get("/currencies/TOOLONG"), 404)

    def test_bad_body_is_422(self, api: Api, nothing_changes: Unchanged) -> None:
        with nothing_changes():
            for body in ({}, {"enabled": "maybe"}, {"enabled": None}, {"enabled": True, "x": 1}):
                assert_problem(api.put("/currencies/JPY", body), 422)

    def test_only_admins_enable(self, api: Api, nothing_changes: Unchanged) -> None:
        operator = api.as_token(api.token_for("operator"))
        with nothing_changes():
            assert_problem(operator.put("/currencies/JPY", {"enabled": True}), 403)
        assert operator.get("/currencies/JPY").status_code == 200


class TestBusinessModels:
    def test_seeded_with_services(self, api: Api) -> None:
        models = all_items(api, "/business-models")
        assert {m["name"] for m in models} == SEEDED_MODELS
        by_name = {m["name"]: m for m in models}
        for model in models:
            assert model["services"], model
            assert model["description"], model
        assert "data" in by_name["Internet access"]["services"]
        assert "voice" in by_name["SIP trunking"]["services"]
        assert {"voice", "data", "messaging"} <= set(by_name["Mobile"]["services"])

    def test_in_use_cannot_be_deleted(
        self, api: Api, nothing_changes: Unchanged, make_customer: MakeCustomer
    ) -> None:
        model = api.post("/business-models", {"name": "Fax", "services": ["fax"]}).json()
        make_customer(business_model_id=model["id"])
        with nothing_changes():
            assert_problem(
                api.delete(f"/business-models/{model['id']}"), 409, code="business_model_in_use"
            )

    def test_services_default_to_none(self, api: Api) -> None:
        model = api.post("/business-models", {"name": "Bare"}).json()
        assert model["services"] == [] and model["description"] == ""


class TestCustomFields:
    def field(self, api: Api, **body: object) -> dict[str, Any]:
        response = api.post("/custom-fields", {"label": "Field", "type": "text", **body})
        assert response.status_code == 201, response.text
        return dict(response.json())

    def test_each_type_with_its_limits(self, api: Api) -> None:
        number = self.field(api, name="seats", type="number", min="0.5", max=100, default=2)
        assert (number["min"], number["max"], number["default"]) == ("0.5", "100", 2)
        when = self.field(api, name="since", type="date", min="2000-01-01", default="2020-02-29")
        assert (when["min"], when["default"]) == ("2000-01-01", "2020-02-29")
        stamp = self.field(api, name="stamp", type="datetime", max="2030-01-01T00:00:00+02:00")
        assert stamp["max"] == "2029-12-31T22:00:00Z"
        choice = self.field(
            api,
            name="plan",
            type="list",
            options=[{"label": " Gold ", "value": " gold "}, {"label": "", "value": "silver"}],
            default="silver",
        )
        assert choice["options"] == [
            {"label": "Gold", "value": "gold"},
            {"label": "silver", "value": "silver"},
        ]
        assert choice["default"] == "silver"
        text = self.field(api, name="note", personal_data=True)
        assert text["personal_data"] is True and text["default"] is None

    def test_long_numbers_are_kept_exactly(self, api: Api) -> None:
        exact = "123456789012345678901234567890.12345678901234567891"
        field = self.field(api, name="big", type="number", max=exact, default=exact)
        assert field["max"] == exact
        assert field["default"] == exact

    def test_type_never_changes(self, api: Api, nothing_changes: Unchanged) -> None:
        field = self.field(api, name="code")
        with nothing_changes():
            assert_problem(
                api.patch(f"/custom-fields/{field['id']}", {"type": "number"}), 422, field="type"
            )
        same = api.patch(f"/custom-fields/{field['id']}", {"type": "text", "label": "Code"})
        assert same.status_code == 200, same.text
        assert same.json()["label"] == "Code"

    def test_list_options_can_be_replaced(self, api: Api) -> None:
        field = self.field(api, name="size", type="list", options=[{"label": "S", "value": "s"}])
        path = f"/custom-fields/{field['id']}"
        replaced = api.patch(path, {"options": [{"label": "M", "value": "m"}]})
        assert replaced.status_code == 200, replaced.text
        assert replaced.json()["options"] == [{"label": "M", "value": "m"}]
        assert_problem(api.patch(path, {"options": []}), 422, field="options")
        assert_problem(api.patch(path, {"options": None}), 422, field="options")

    def test_new_limits_must_still_admit_the_default(
        self, api: Api, nothing_changes: Unchanged
    ) -> None:
        size = self.field(
            api, name="size", type="list", options=[{"label": "S", "value": "s"}], default="s"
        )
        note = self.field(api, name="note", default="abcd")
        count = self.field(api, name="count", type="number", default=5)
        with nothing_changes():
            for path, patch in (
                (f"/custom-fields/{size['id']}", {"options": [{"label": "M", "value": "m"}]}),
                (f"/custom-fields/{note['id']}", {"max_length": 3}),
                (f"/custom-fields/{count['id']}", {"max": "4"}),
            ):
                assert_problem(api.patch(path, patch), 422, field="default")
        both = api.patch(
            f"/custom-fields/{size['id']}",
            {"options": [{"label": "M", "value": "m"}], "default": "m"},
        )
        assert both.status_code == 200, both.text
        cleared = api.patch(f"/custom-fields/{note['id']}", {"max_length": 3, "default": None})
        assert cleared.status_code == 200, cleared.text
        assert cleared.json()["default"] is None

    def test_in_use_cannot_be_deleted(self, api: Api, nothing_changes: Unchanged) -> None:
        field = self.field(api, name="used")
        cls = api.post(
            "/customer-classes",
            {"name": "Uses it", "custom_fields": [{"custom_field_id": field["id"]}]},
        ).json()
        with nothing_changes():
            assert_problem(
                api.delete(f"/custom-fields/{field['id']}"), 409, code="custom_field_in_use"
            )
        api.patch(f"/customer-classes/{cls['id']}", {"custom_fields": []})
        assert api.delete(f"/custom-fields/{field['id']}").status_code == 204

    def test_default_is_applied_to_new_customers(self, api: Api) -> None:
        field = self.field(api, name="region", default="EU")
        cls = api.post(
            "/customer-classes",
            {
                "name": "Regional",
                "custom_fields": [{"custom_field_id": field["id"], "mandatory": True}],
            },
        ).json()
        customer = api.post("/customers", customer_body(customer_class_id=cls["id"]))
        assert customer.status_code == 201, customer.text
        assert customer.json()["custom_data"] == {"region": "EU"}


class TestCustomerClasses:
    def test_default_class_exists_and_is_protected(
        self, api: Api, nothing_changes: Unchanged
    ) -> None:
        default = default_class(api)
        assert default["is_default"] is True
        assert default["currency"] is None
        with nothing_changes():
            assert_problem(
                api.delete(f"/customer-classes/{default['id']}"), 409, code="class_protected"
            )
            assert_problem(
                api.patch(f"/customer-classes/{default['id']}", {"name": "Standard"}),
                422,
                field="name",
            )
        changed = api.patch(f"/customer-classes/{default['id']}", {"grace_period_days": 3})
        assert changed.status_code == 200, changed.text
        assert changed.json()["name"] == "Default"

    def test_other_classes_are_not_default(self, api: Api) -> None:
        created = api.post("/customer-classes", {"name": "Retail"}).json()
        assert created["is_default"] is False
        assert created["currency"] is None
        assert created["taxation"] == {"inclusive": False, "taxes": []}

    def test_in_use_cannot_be_deleted(
        self, api: Api, nothing_changes: Unchanged, make_customer: MakeCustomer
    ) -> None:
        cls = api.post("/customer-classes", {"name": "Busy"}).json()
        customer = make_customer(customer_class_id=cls["id"])
        with nothing_changes():
            assert_problem(api.delete(f"/customer-classes/{cls['id']}"), 409, code="class_in_use")
        api.patch(f"/customers/{customer['id']}", {"customer_class_id": default_class(api)["id"]})
        assert api.delete(f"/customer-classes/{cls['id']}").status_code == 204

    def test_taxes_and_warnings_are_normalized(self, api: Api) -> None:
        created = api.post(
            "/customer-classes",
            {
                "name": "Taxed",
                "taxation": {
                    "inclusive": True,
                    "taxes": [{"name": " VAT ", "rate": 21.0}, {"name": "Levy", "rate": "0.5"}],
                },
                "credit_limit_warnings": ["90", 75, "80.50"],
                "notifications": ["invoice_issued", "payment_received", "invoice_issued"],
            },
        )
        assert created.status_code == 201, created.text
        cls = created.json()
        assert cls["taxation"] == {
            "inclusive": True,
            "taxes": [{"name": "VAT", "rate": "21"}, {"name": "Levy", "rate": "0.5"}],
        }
        assert cls["credit_limit_warnings"] == ["75", "80.5", "90"]
        assert cls["notifications"] == ["payment_received", "invoice_issued"]

    def test_custom_fields_are_listed_with_mandatory_flag(self, api: Api) -> None:
        a = api.post("/custom-fields", {"name": "a_field", "label": "A", "type": "text"}).json()
        b = api.post("/custom-fields", {"name": "b_field", "label": "B", "type": "text"}).json()
        cls = api.post(
            "/customer-classes",
            {
                "name": "Fielded",
                "custom_fields": [
                    {"custom_field_id": b["id"], "mandatory": True},
                    {"custom_field_id": a["id"]},
                ],
            },
        ).json()
        assert sorted(cls["custom_fields"], key=lambda f: f["custom_field_id"]) == [
            {"custom_field_id": a["id"], "mandatory": False},
            {"custom_field_id": b["id"], "mandatory": True},
        ]
        dup = api.post(
            "/customer-classes",
            {
                "name": "Twice",
                "custom_fields": [{"custom_field_id": a["id"]}, {"custom_field_id": a["id"]}],
            },
        )
        assert_problem(dup, 422, field="custom_fields[1].custom_field_id")

    def test_currency_change_conflicts_with_customers(
        self, api: Api, nothing_changes: Unchanged, make_customer: MakeCustomer
    ) -> None:
        cls = api.post("/customer-classes", {"name": "Mixed"}).json()
        make_customer(customer_class_id=cls["id"], currency="USD")
        with nothing_changes():
            response = api.patch(f"/customer-classes/{cls['id']}", {"currency": "EUR"})
            assert response.status_code in (409, 422), response.text
            assert_problem(response, response.status_code)
        same = api.patch(f"/customer-classes/{cls['id']}", {"currency": "USD"})
        assert same.status_code == 200, same.text
        assert same.json()["currency"] == "USD"
