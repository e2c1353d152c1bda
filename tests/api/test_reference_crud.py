"""One declaration per configurable resource yields its CRUD, validation, role and paging tests.

Business models, custom fields and customer classes share a shape: a unique name, a list with
keyset paging, GET/PATCH/DELETE by id, admin-only writes and an audit trail. Each entry of
RESOURCES says what a valid body looks like and which bad bodies must be refused.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.api.support import assert_problem
from tests.conftest import Api

Unchanged = Callable[[], AbstractContextManager[None]]
Bad = tuple[str, dict[str, object], str]


@dataclass(frozen=True)
class Resource:
    path: str
    entity: str
    create: dict[str, object]
    update: dict[str, object]
    name_taken: str
    not_found: str
    bad_create: list[Bad] = field(default_factory=list)
    bad_update: list[Bad] = field(default_factory=list)
    # How a second name that means the same as the first may be written.
    same_name: Callable[[str], str] = str.upper

    def body(self, **overrides: object) -> dict[str, object]:
        return {**self.create, "name": unique_name(self), **overrides}


def unique_name(resource: Resource) -> str:
    suffix = os.urandom(3).hex()
    return f"f_{suffix}" if resource.path == "/custom-fields" else f"Made {suffix}"


BUSINESS_MODELS = Resource(
    path="/business-models",
    entity="business_model",
    create={"description": "Hosted calls", "services": ["voice", "sms_out"]},
    update={"description": "Changed", "services": ["data"]},
    name_taken="business_model_name_taken",
    not_found="business_model_not_found",
    bad_create=[
        ("name missing", {"name": ...}, "name"),
        ("name blank", {"name": "  "}, "name"),
        ("name too long", {"name": "m" * 101}, "name"),
        ("service with capitals", {"services": ["Voice"]}, "services[0]"),
        ("service with a space", {"services": ["voice", "long distance"]}, "services[1]"),
        ("service empty", {"services": [""]}, "services[0]"),
        ("service twice", {"services": ["voice", "voice"]}, "services[1]"),
        ("services not a list", {"services": "voice"}, "services"),
        ("service not text", {"services": [7]}, "services[0]"),
        ("description too long", {"description": "d" * 2001}, "description"),
        ("unknown field", {"colour": "red"}, "colour"),
    ],
    bad_update=[
        ("name blank", {"name": ""}, "name"),
        ("service bad", {"services": ["no-dashes"]}, "services[0]"),
        ("unknown field", {"id": 5}, "id"),
    ],
)

CUSTOM_FIELDS = Resource(
    path="/custom-fields",
    entity="custom_field",
    create={"label": "Tax code", "type": "text", "min_length": 2, "max_length": 20},
    update={"label": "VAT number", "max_length": 30, "personal_data": True},
    name_taken="custom_field_name_taken",
    not_found="custom_field_not_found",
    same_name=str,
    bad_create=[
        ("name missing", {"name": ...}, "name"),
        ("name with capitals", {"name": "TaxCode"}, "name"),
        ("name starting with a digit", {"name": "1tax"}, "name"),
        ("name with a dash", {"name": "tax-code"}, "name"),
        ("name empty", {"name": ""}, "name"),
        ("label blank", {"label": " "}, "label"),
        ("label missing", {"label": ...}, "label"),
        ("type unknown", {"type": "boolean"}, "type"),
        ("type missing", {"type": ...}, "type"),
        ("max below min length", {"min_length": 5, "max_length": 4}, "max_length"),
        ("negative min length", {"min_length": -1}, "min_length"),
        ("min on text", {"min": 1}, "min"),
        ("options on text", {"options": [{"label": "A", "value": "a"}]}, "options"),
        ("length on number", {"type": "number", "min_length": None, "max_length": 3}, "max_length"),
        (
            "min not a number",
            {"type": "number", "min_length": None, "max_length": None, "min": "x"},
            "min",
        ),
        (
            "max huge exponent",
            {"type": "number", "min_length": None, "max_length": None, "max": "1e999999999"},
            "max",
        ),
        (
            "max not a date",
            {"type": "date", "min_length": None, "max_length": None, "max": "soon"},
            "max",
        ),
        (
            "list without options",
            {"type": "list", "min_length": None, "max_length": None},
            "options",
        ),
        (
            "list option twice",
            {
                "type": "list",
                "min_length": None,
                "max_length": None,
                "options": [{"label": "A", "value": "a"}, {"label": "B", "value": "a"}],
            },
            "options[1].value",
        ),
        (
            "list option empty",
            {
                "type": "list",
                "min_length": None,
                "max_length": None,
                "options": [{"label": "A", "value": " "}],
            },
            "options[0].value",
        ),
        ("default too short", {"default": "x"}, "default"),
        ("default not text", {"default": 5}, "default"),
        (
            "default above max",
            {"type": "number", "min_length": None, "max_length": None, "max": 10, "default": 11},
            "default",
        ),
        (
            "default not an option",
            {
                "type": "list",
                "min_length": None,
                "max_length": None,
                "options": [{"label": "A", "value": "a"}],
                "default": "b",
            },
            "default",
        ),
        ("unknown field", {"required": True}, "required"),
    ],
    bad_update=[
        ("type change", {"type": "number"}, "type"),
        ("name change", {"name": "other_name"}, "name"),
        ("label blank", {"label": ""}, "label"),
        ("max below min", {"max_length": 1}, "max_length"),
        ("default too long", {"default": "y" * 21}, "default"),
        ("min on text", {"min": "1"}, "min"),
    ],
)

CUSTOMER_CLASSES = Resource(
    path="/customer-classes",
    entity="customer_class",
    create={
        "currency": "EUR",
        "grace_period_days": 14,
        "suspend_after_days": 7,
        "invoice_template": "standard",
        "taxation": {"inclusive": False, "taxes": [{"name": "VAT", "rate": "21"}]},
        "notifications": ["credit_limit_warning", "invoice_issued"],
        "credit_limit_warnings": ["80", "90"],
        "custom_fields": [],
    },
    update={"grace_period_days": 30, "suspend_after_days": None, "invoice_template": "none"},
    name_taken="class_name_taken",
    not_found="customer_class_not_found",
    same_name=lambda name: f"  {name.lower()} ",
    bad_create=[
        ("name missing", {"name": ...}, "name"),
        ("name blank", {"name": "   "}, "name"),
        ("currency unknown", {"currency": "ZZZ"}, "currency"),
        ("currency disabled", {"currency": "GBP"}, "currency"),
        ("currency not money", {"currency": "XAU"}, "currency"),
        ("grace negative", {"grace_period_days": -1}, "grace_period_days"),
        ("grace not a number", {"grace_period_days": "two weeks"}, "grace_period_days"),
        ("suspend negative", {"suspend_after_days": -3}, "suspend_after_days"),
        ("template unknown", {"invoice_template": "fancy"}, "invoice_template"),
        ("template path", {"invoice_template": "../../etc/passwd"}, "invoice_template"),
        ("template empty", {"invoice_template": ""}, "invoice_template"),
        (
            "tax rate negative",
            {"taxation": {"taxes": [{"name": "VAT", "rate": "-1"}]}},
            "taxation.taxes[0].rate",
        ),
        (
            "tax rate over 100",
            {"taxation": {"taxes": [{"name": "VAT", "rate": "100.5"}]}},
            "taxation.taxes[0].rate",
        ),
        (
            "tax rate text",
            {"taxation": {"taxes": [{"name": "VAT", "rate": "lots"}]}},
            "taxation.taxes[0].rate",
        ),
        (
            "tax rate NaN",
            {"taxation": {"taxes": [{"name": "VAT", "rate": "NaN"}]}},
            "taxation.taxes[0].rate",
        ),
        (
            "tax rate decimals",
            {"taxation": {"taxes": [{"name": "VAT", "rate": "1.23456"}]}},
            "taxation.taxes[0].rate",
        ),
        (
            "tax rate huge exponent",
            {"taxation": {"taxes": [{"name": "VAT", "rate": "1e999999999"}]}},
            "taxation.taxes[0].rate",
        ),
        (
            "tax rate tiny exponent",
            {"taxation": {"taxes": [{"name": "VAT", "rate": "1e-999999999"}]}},
            "taxation.taxes[0].rate",
        ),
        (
            "warning tiny exponent",
            {"credit_limit_warnings": ["1e-999999999"]},
            "credit_limit_warnings[0]",
        ),
        ("warning decimals", {"credit_limit_warnings": ["50.00001"]}, "credit_limit_warnings[0]"),
        (
            "tax name empty",
            {"taxation": {"taxes": [{"name": "", "rate": "5"}]}},
            "taxation.taxes[0].name",
        ),
        (
            "tax twice",
            {"taxation": {"taxes": [{"name": "VAT", "rate": "5"}, {"name": "vat", "rate": "6"}]}},
            "taxation.taxes[1].name",
        ),
        ("tax without rate", {"taxation": {"taxes": [{"name": "VAT"}]}}, "taxation.taxes[0].rate"),
        ("taxation not an object", {"taxation": "21%"}, "taxation"),
        ("notification unknown", {"notifications": ["birthday"]}, "notifications[0]"),
        ("notifications not a list", {"notifications": "invoice_issued"}, "notifications"),
        ("warning zero", {"credit_limit_warnings": ["0"]}, "credit_limit_warnings[0]"),
        ("warning over 100", {"credit_limit_warnings": ["101"]}, "credit_limit_warnings[0]"),
        ("warning twice", {"credit_limit_warnings": ["80", "80.0"]}, "credit_limit_warnings"),
        ("warning text", {"credit_limit_warnings": ["most"]}, "credit_limit_warnings[0]"),
        (
            "custom field unknown",
            {"custom_fields": [{"custom_field_id": 9999, "mandatory": True}]},
            "custom_fields[0].custom_field_id",
        ),
        (
            "custom field id huge",
            {"custom_fields": [{"custom_field_id": 2**64}]},
            "custom_fields[0].custom_field_id",
        ),
        ("unknown field", {"default": True}, "default"),
    ],
    bad_update=[
        ("name blank", {"name": " "}, "name"),
        ("name null", {"name": None}, "name"),
        ("grace null", {"grace_period_days": None}, "grace_period_days"),
        ("template null", {"invoice_template": None}, "invoice_template"),
        ("currency unknown", {"currency": "QQQ"}, "currency"),
        ("notification unknown", {"notifications": ["x"]}, "notifications[0]"),
        ("warning zero", {"credit_limit_warnings": ["0"]}, "credit_limit_warnings[0]"),
    ],
)

RESOURCES = [BUSINESS_MODELS, CUSTOM_FIELDS, CUSTOMER_CLASSES]


@pytest.fixture(params=RESOURCES, ids=[r.path.strip("/") for r in RESOURCES])
def resource(request: pytest.FixtureRequest) -> Resource:
    return request.param  # type: ignore[no-any-return]


def without(body: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in body.items() if v is not ...}


def audit(api: Api, resource: Resource, entity_id: object) -> list[dict[str, Any]]:
    response = api.get(
        "/audit-log", params={"entity_type": resource.entity, "entity_id": str(entity_id)}
    )
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def admin_id(api: Api) -> int:
    users = api.get("/users").json()["items"]
    return int(next(u["id"] for u in users if u["username"] == "admin"))


def test_lifecycle(api: Api, resource: Resource) -> None:
    body = resource.body()
    created = api.post(resource.path, body)
    assert created.status_code == 201, created.text
    item = created.json()
    assert isinstance(item["id"], int)
    for key, value in body.items():
        if key not in ("custom_fields", "taxation"):
            assert item[key] == value, key
    assert item["created_at"] and item["updated_at"]
    path = f"{resource.path}/{item['id']}"
    assert api.get(path).json() == item
    listed = api.get(resource.path, params={"limit": 500}).json()["items"]
    assert item in listed

    updated = api.patch(path, resource.update)
    assert updated.status_code == 200, updated.text
    for key, value in resource.update.items():
        assert updated.json()[key] == value, key
    assert updated.json()["name"] == item["name"]
    assert api.get(path).json() == updated.json()

    deleted = api.delete(path)
    assert deleted.status_code == 204, deleted.text
    assert deleted.content == b""
    assert_problem(api.get(path), 404, code=resource.not_found)
    assert item["id"] not in [i["id"] for i in api.get(resource.path).json()["items"]]

    trail = audit(api, resource, item["id"])
    assert [e["action"] for e in trail] == ["create", "update", "delete"]
    assert {e["user_id"] for e in trail} == {admin_id(api)}
    create, update, delete = trail
    assert create["before"] is None and create["after"]["name"] == item["name"]
    assert set(update["after"]) <= set(resource.update) | {"taxation"}
    assert update["before"] != update["after"]
    assert delete["before"]["name"] == item["name"] and delete["after"] is None


def test_bad_create_is_a_422_naming_the_field(
    api: Api, nothing_changes: Unchanged, resource: Resource, subtests: pytest.Subtests
) -> None:
    for case, overrides, field_name in resource.bad_create:
        with subtests.test(case), nothing_changes():
            response = api.post(resource.path, without(resource.body(**overrides)))
            assert_problem(response, 422, field=field_name)


def test_bad_update_is_a_422_naming_the_field(
    api: Api, nothing_changes: Unchanged, resource: Resource, subtests: pytest.Subtests
) -> None:
    created = api.post(resource.path, resource.body())
    assert created.status_code == 201, created.text
    path = f"{resource.path}/{created.json()['id']}"
    for case, patch, field_name in resource.bad_update:
        with subtests.test(case), nothing_changes():
            assert_problem(api.patch(path, patch), 422, field=field_name)
    assert api.get(path).json() == created.json()


def test_duplicate_name_is_409(api: Api, nothing_changes: Unchanged, resource: Resource) -> None:
    first = api.post(resource.path, resource.body()).json()
    with nothing_changes():
        again = api.post(resource.path, resource.body(name=resource.same_name(first["name"])))
        assert_problem(again, 409, code=resource.name_taken)
    second = api.post(resource.path, resource.body()).json()
    if resource is not CUSTOM_FIELDS:
        with nothing_changes():
            renamed = api.patch(
                f"{resource.path}/{second['id']}", {"name": resource.same_name(first["name"])}
            )
            assert_problem(renamed, 409, code=resource.name_taken)


def test_unknown_id_is_404(api: Api, nothing_changes: Unchanged, resource: Resource) -> None:
    path = f"{resource.path}/987654"
    with nothing_changes():
        assert_problem(api.get(path), 404, code=resource.not_found)
        assert_problem(api.patch(path, resource.update), 404, code=resource.not_found)
        assert_problem(api.delete(path), 404, code=resource.not_found)


def test_only_admins_change_and_everyone_but_service_reads(
    api: Api, nothing_changes: Unchanged, resource: Resource
) -> None:
    item = api.post(resource.path, resource.body()).json()
    path = f"{resource.path}/{item['id']}"
    tokens = {role: api.token_for(role) for role in ("operator", "viewer", "service")}
    for role, token in tokens.items():
        as_role = api.as_token(token)
        with nothing_changes():
            assert_problem(as_role.post(resource.path, resource.body()), 403, code="forbidden")
            assert_problem(as_role.patch(path, resource.update), 403, code="forbidden")
            assert_problem(as_role.delete(path), 403, code="forbidden")
            if role == "service":
                assert_problem(as_role.get(path), 403)
                assert_problem(as_role.get(resource.path), 403)
            else:
                assert as_role.get(path).json() == item
                assert as_role.get(resource.path).status_code == 200


def test_paging(api: Api, resource: Resource) -> None:
    for _ in range(3):
        assert api.post(resource.path, resource.body()).status_code == 201
    everything = [i["id"] for i in api.get(resource.path, params={"limit": 500}).json()["items"]]
    assert everything == sorted(everything)
    seen: list[int] = []
    cursor: str | None = None
    while True:
        params: dict[str, object] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = api.get(resource.path, params=params).json()
        assert len(page["items"]) <= 2
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == everything
    for limit in ("0", "501", "x"):
        assert_problem(api.get(resource.path, params={"limit": limit}), 422, field="limit")
    for bad in ("!!", "eA", "OTk5OTk5OTk5OTk5OTk5OTk5OTk5"):
        assert_problem(api.get(resource.path, params={"cursor": bad}), 422, field="cursor")
