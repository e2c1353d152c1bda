"""A customer class's options: suspend_when_fees_unpaid and skip_idle_invoices."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

from tests.api.support import assert_problem
from tests.api.test_audit import trail
from tests.conftest import Api

Unchanged = Callable[[], AbstractContextManager[None]]
OPTIONS = ("suspend_when_fees_unpaid", "skip_idle_invoices")


def test_options_are_off_unless_asked_for(api: Api) -> None:
    default = api.get("/customer-classes").json()["items"][0]
    assert [default[o] for o in OPTIONS] == [False, False]
    plain = api.post("/customer-classes", {"name": "Plain"}).json()
    assert [plain[o] for o in OPTIONS] == [False, False]


def test_create_and_change_the_options(api: Api) -> None:
    created = api.post(
        "/customer-classes",
        {"name": "Prepaid", "suspend_when_fees_unpaid": True, "skip_idle_invoices": True},
    )
    assert created.status_code == 201, created.text
    cls = created.json()
    assert [cls[o] for o in OPTIONS] == [True, True]
    path = f"/customer-classes/{cls['id']}"
    assert api.get(path).json() == cls

    changed = api.patch(path, {"skip_idle_invoices": False})
    assert changed.status_code == 200, changed.text
    assert [changed.json()[o] for o in OPTIONS] == [True, False]
    changed = api.patch(path, {"suspend_when_fees_unpaid": False, "name": "Prepaid 2"})
    assert [changed.json()[o] for o in OPTIONS] == [False, False]
    # A change of something else keeps them.
    assert api.patch(path, {"grace_period_days": 3}).json()["skip_idle_invoices"] is False

    created_entry, first, second, _ = trail(api, "customer_class", cls["id"])
    assert created_entry["after"]["suspend_when_fees_unpaid"] is True
    assert first["before"]["skip_idle_invoices"] is True
    assert first["after"]["skip_idle_invoices"] is False
    assert second["after"]["suspend_when_fees_unpaid"] is False


def test_bad_options_name_the_field(api: Api, nothing_changes: Unchanged) -> None:
    cls = api.post("/customer-classes", {"name": "Options"}).json()
    path = f"/customer-classes/{cls['id']}"
    with nothing_changes():
        for option in OPTIONS:
            body = {"name": "Other", option: "sometimes"}
            assert_problem(api.post("/customer-classes", body), 422, field=option)
            assert_problem(api.patch(path, {option: None}), 422, field=option)
            assert_problem(api.patch(path, {option: [True]}), 422, field=option)
