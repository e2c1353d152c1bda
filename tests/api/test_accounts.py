"""Accounts: POST /customers/{id}/accounts, GET|PATCH /accounts/{id}, the lists, the status."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from sqlalchemy import text

from kassa.db.engine import Database
from tests.api.support import assert_problem
from tests.conftest import Api
from tests.rating_rows import make_product

Unchanged = Callable[[], AbstractContextManager[None]]
MakeCustomer = Callable[..., dict[str, Any]]
OUT_KEYS = {
    "id",
    "customer_id",
    "identifier",
    "product_id",
    "status",
    "max_sessions",
    "created_at",
    "updated_at",
    "has_password",
}


@pytest.fixture
def product(db: Database) -> int:
    return make_product(db, "USD")


@pytest.fixture
def customer(make_customer: MakeCustomer) -> dict[str, Any]:
    return make_customer()


def add(api: Api, customer_id: int, identifier: str, product_id: int, **more: object) -> Any:
    return api.post(
        f"/customers/{customer_id}/accounts",
        {"identifier": identifier, "product_id": product_id, **more},
    )


def created(api: Api, customer_id: int, identifier: str, product_id: int, **more: object) -> Any:
    response = add(api, customer_id, identifier, product_id, **more)
    assert response.status_code == 201, response.text
    return response.json()


def stored_hash(db: Database, account_id: int) -> str | None:
    with db.reading() as session:
        value = session.execute(
            text("SELECT password_hash FROM accounts WHERE id = :id"), {"id": account_id}
        ).scalar_one()
        return None if value is None else str(value)


def test_create_returns_the_account_and_never_the_password(
    api: Api, db: Database, customer: dict[str, Any], product: int
) -> None:
    body = created(
        api, customer["id"], "  +420601234567 ", product, password="s3cret!", max_sessions=2
    )
    assert set(body) == OUT_KEYS
    assert body["identifier"] == "+420601234567"
    assert body["customer_id"] == customer["id"]
    assert body["product_id"] == product
    assert body["status"] == "active"
    assert body["max_sessions"] == 2
    assert body["has_password"] is True
    assert "s3cret" not in str(body)
    password_hash = stored_hash(db, body["id"])
    assert password_hash is not None and password_hash.startswith("$argon2")
    assert api.get(f"/accounts/{body['id']}").json() == body


def test_create_without_password_or_session_limit(
    api: Api, db: Database, customer: dict[str, Any], product: int
) -> None:
    body = created(api, customer["id"], "sip.alice@example.net", product)
    assert body["has_password"] is False
    assert body["max_sessions"] is None
    assert stored_hash(db, body["id"]) is None


@pytest.mark.parametrize(
    "identifier", ["+1", "1234", "alice", "a.b_c-d@e", "A" * 128, "+" + "9" * 127]
)
def test_good_identifiers(
    api: Api, customer: dict[str, Any], product: int, identifier: str
) -> None:
    assert created(api, customer["id"], identifier, product)["identifier"] == identifier


BAD_BODIES: list[tuple[str, dict[str, object], str]] = [
    ("empty identifier", {"identifier": ""}, "identifier"),
    ("blank identifier", {"identifier": "   "}, "identifier"),
    ("identifier too long", {"identifier": "a" * 129}, "identifier"),
    ("plus inside", {"identifier": "420+601"}, "identifier"),
    ("plus and letters", {"identifier": "+42a"}, "identifier"),
    ("lone plus", {"identifier": "+"}, "identifier"),
    ("space inside", {"identifier": "alice smith"}, "identifier"),
    ("colon", {"identifier": "sip:alice"}, "identifier"),
    ("non ascii", {"identifier": "žluťoučký"}, "identifier"),
    ("control character", {"identifier": "a\u0001b"}, "identifier"),
    ("identifier null", {"identifier": None}, "identifier"),
    ("identifier number", {"identifier": 420}, "identifier"),
    ("identifier missing", {"identifier": ...}, "identifier"),
    ("product unknown", {"product_id": 999999}, "product_id"),
    ("product zero", {"product_id": 0}, "product_id"),
    ("product missing", {"product_id": ...}, "product_id"),
    ("password short", {"password": "abc"}, "password"),
    ("password long", {"password": "p" * 129}, "password"),
    ("password blank", {"password": "        "}, "password"),
    ("password empty", {"password": ""}, "password"),
    ("max sessions zero", {"max_sessions": 0}, "max_sessions"),
    ("max sessions negative", {"max_sessions": -1}, "max_sessions"),
    ("max sessions huge", {"max_sessions": 2**40}, "max_sessions"),
    ("max sessions text", {"max_sessions": "two"}, "max_sessions"),
    ("unknown field", {"balance": "1"}, "balance"),
]


def test_bad_input_is_a_422_naming_the_field_and_changes_nothing(
    api: Api,
    nothing_changes: Unchanged,
    customer: dict[str, Any],
    product: int,
    subtests: pytest.Subtests,
) -> None:
    for case, overrides, field in BAD_BODIES:
        body: dict[str, object] = {"identifier": "+420601000001", "product_id": product}
        body.update(overrides)
        body = {k: v for k, v in body.items() if v is not ...}
        with subtests.test(case), nothing_changes():
            response = api.post(f"/customers/{customer['id']}/accounts", body)
            assert_problem(response, 422, field=field)


def test_product_in_another_currency_is_refused(
    api: Api,
    db: Database,
    nothing_changes: Unchanged,
    customer: dict[str, Any],
    enable_currency: Callable[[str], None],
) -> None:
    enable_currency("EUR")
    euro_product = make_product(db, "EUR")
    with nothing_changes():
        body = assert_problem(
            add(api, customer["id"], "alice", euro_product), 422, field="product_id"
        )
    assert "EUR" in body["detail"] and "USD" in body["detail"]


def test_identifier_is_unique_across_the_system(
    api: Api,
    nothing_changes: Unchanged,
    make_customer: MakeCustomer,
    product: int,
    subtests: pytest.Subtests,
) -> None:
    first, second = make_customer(), make_customer()
    created(api, first["id"], "+420601234567", product)
    for case, customer_id, identifier in [
        ("same customer", first["id"], "+420601234567"),
        ("another customer", second["id"], "+420601234567"),
        ("blanks around it", second["id"], " +420601234567\t"),
    ]:
        with subtests.test(case), nothing_changes():
            response = add(api, customer_id, identifier, product)
            assert_problem(response, 409, code="account_identifier_taken", field="identifier")


def test_unknown_customer_is_404(api: Api, product: int) -> None:
    assert_problem(add(api, 999999, "alice", product), 404, code="customer_not_found")
    assert_problem(api.get("/customers/999999/accounts"), 404, code="customer_not_found")


def test_closed_customer_takes_no_new_account(
    api: Api, nothing_changes: Unchanged, customer: dict[str, Any], product: int
) -> None:
    assert api.post(f"/customers/{customer['id']}/status", {"action": "close"}).status_code == 200
    with nothing_changes():
        assert_problem(add(api, customer["id"], "alice", product), 409, code="customer_closed")


def status(api: Api, account_id: int, action: str) -> Any:
    return api.post(f"/accounts/{account_id}/status", {"action": action})


def test_status_transitions(api: Api, customer: dict[str, Any], product: int) -> None:
    account = created(api, customer["id"], "alice", product)
    aid = account["id"]
    assert status(api, aid, "block").json()["status"] == "blocked"
    assert_problem(status(api, aid, "block"), 409, code="invalid_status_transition")
    assert status(api, aid, "unblock").json()["status"] == "active"
    body = assert_problem(status(api, aid, "unblock"), 409, code="invalid_status_transition")
    assert "active" in body["detail"]
    assert status(api, aid, "close").json()["status"] == "closed"
    for action in ("block", "unblock", "close"):
        body = assert_problem(status(api, aid, action), 409, code="invalid_status_transition")
        assert "closed" in body["detail"]
    blocked = created(api, customer["id"], "bob", product)
    status(api, blocked["id"], "block")
    assert status(api, blocked["id"], "close").json()["status"] == "closed"
    assert_problem(status(api, aid, "delete"), 422, field="action")
    assert_problem(status(api, 999999, "block"), 404, code="account_not_found")


def test_patch_changes_the_given_fields(
    api: Api, db: Database, customer: dict[str, Any], product: int
) -> None:
    account = created(api, customer["id"], "alice", product, password="first-pass")
    other = make_product(db, "USD")
    first_hash = stored_hash(db, account["id"])
    response = api.patch(
        f"/accounts/{account['id']}",
        {"identifier": " alice2 ", "product_id": other, "max_sessions": 3, "password": "second!"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["identifier"] == "alice2"
    assert body["product_id"] == other
    assert body["max_sessions"] == 3
    assert body["has_password"] is True
    assert stored_hash(db, account["id"]) not in (None, first_hash)
    assert body["updated_at"] >= account["updated_at"]
    # Leaving a field out keeps it; null clears the password and the session limit.
    body = api.patch(f"/accounts/{account['id']}", {"password": None, "max_sessions": None}).json()
    assert body["has_password"] is False and body["max_sessions"] is None
    assert body["identifier"] == "alice2" and body["product_id"] == other
    assert stored_hash(db, account["id"]) is None
    assert api.get("/accounts", params={"identifier": "alice"}).json()["items"] == []


def test_bad_patch_is_refused_and_changes_nothing(
    api: Api,
    db: Database,
    nothing_changes: Unchanged,
    customer: dict[str, Any],
    product: int,
    enable_currency: Callable[[str], None],
    subtests: pytest.Subtests,
) -> None:
    enable_currency("EUR")
    euro_product = make_product(db, "EUR")
    account = created(api, customer["id"], "alice", product)
    created(api, customer["id"], "bob", product)
    cases: list[tuple[str, dict[str, object], int, str]] = [
        ("identifier bad", {"identifier": "a b"}, 422, "identifier"),
        ("identifier null", {"identifier": None}, 422, "identifier"),
        ("identifier taken", {"identifier": " bob "}, 409, "identifier"),
        ("product null", {"product_id": None}, 422, "product_id"),
        ("product unknown", {"product_id": 999999}, 422, "product_id"),
        ("product in euros", {"product_id": euro_product}, 422, "product_id"),
        ("password short", {"password": "x"}, 422, "password"),
        ("max sessions zero", {"max_sessions": 0}, 422, "max_sessions"),
        ("status is not patched", {"status": "blocked"}, 422, "status"),
        ("customer is not patched", {"customer_id": 1}, 422, "customer_id"),
    ]
    for case, patch, code, field in cases:
        with subtests.test(case), nothing_changes():
            assert_problem(api.patch(f"/accounts/{account['id']}", patch), code, field=field)
    assert_problem(api.patch("/accounts/999999", {"max_sessions": 1}), 404)


def test_same_identifier_patch_is_no_clash(
    api: Api, customer: dict[str, Any], product: int
) -> None:
    account = created(api, customer["id"], "alice", product)
    response = api.patch(f"/accounts/{account['id']}", {"identifier": "alice"})
    assert response.status_code == 200, response.text
    assert response.json() == account


def test_closed_account_or_customer_cannot_be_edited(
    api: Api, nothing_changes: Unchanged, make_customer: MakeCustomer, product: int
) -> None:
    customer = make_customer()
    closed = created(api, customer["id"], "alice", product)
    status(api, closed["id"], "close")
    with nothing_changes():
        response = api.patch(f"/accounts/{closed['id']}", {"max_sessions": 1})
        assert_problem(response, 409, code="account_closed")
    account = created(api, customer["id"], "bob", product)
    api.post(f"/customers/{customer['id']}/status", {"action": "close"})
    with nothing_changes():
        response = api.patch(f"/accounts/{account['id']}", {"max_sessions": 1})
        assert_problem(response, 409, code="customer_closed")
        assert_problem(status(api, account["id"], "block"), 409, code="customer_closed")
    # What is left of a closed customer may still be closed.
    assert status(api, account["id"], "close").json()["status"] == "closed"


def test_lookup_by_identifier(api: Api, make_customer: MakeCustomer, product: int) -> None:
    first, second = make_customer(), make_customer()
    alice = created(api, first["id"], "alice", product)
    phone = created(api, second["id"], "+420601234567", product)

    def found(**params: object) -> list[int]:
        response = api.get("/accounts", params=params)
        assert response.status_code == 200, response.text
        assert response.json()["next_cursor"] is None
        return [a["id"] for a in response.json()["items"]]

    assert found(identifier="alice") == [alice["id"]]
    assert found(identifier=" +420601234567 ") == [phone["id"]]
    assert found(identifier="Alice") == []
    assert found(identifier="ali") == []
    assert found(identifier="no such thing!") == []
    assert found(identifier="") == []
    assert found(identifier="alice", customer_id=second["id"]) == []
    assert found(identifier="alice", customer_id=first["id"]) == [alice["id"]]
    assert found(identifier="alice", status="blocked") == []
    assert found(customer_id=second["id"]) == [phone["id"]]
    status(api, alice["id"], "block")
    assert found(status="blocked") == [alice["id"]]
    assert found(product_id=product) == [alice["id"], phone["id"]]
    assert_problem(api.get("/accounts", params={"status": "gone"}), 422, field="status")


def test_lists_page_in_id_order(api: Api, customer: dict[str, Any], product: int) -> None:
    ids = [created(api, customer["id"], f"user{i}", product)["id"] for i in range(5)]
    for path in (f"/customers/{customer['id']}/accounts", "/accounts"):
        seen: list[int] = []
        cursor = None
        while True:
            params: dict[str, object] = {"limit": 2}
            if cursor:
                params["cursor"] = cursor
            page = api.get(path, params=params).json()
            assert len(page["items"]) <= 2
            seen += [a["id"] for a in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == ids, path
    assert_problem(api.get("/accounts", params={"limit": 0}), 422, field="limit")
    assert_problem(api.get("/accounts", params={"cursor": "!!"}), 422, field="cursor")


def test_roles(api: Api, customer: dict[str, Any], product: int) -> None:
    account = created(api, customer["id"], "alice", product)
    viewer = api.as_token(api.token_for("viewer"))
    operator = api.as_token(api.token_for("operator"))
    service = api.as_token(api.token_for("service"))
    assert viewer.get(f"/accounts/{account['id']}").status_code == 200
    assert viewer.get("/accounts", params={"identifier": "alice"}).status_code == 200
    assert viewer.get(f"/customers/{customer['id']}/accounts").status_code == 200
    assert_problem(add(viewer, customer["id"], "bob", product), 403)
    assert_problem(viewer.patch(f"/accounts/{account['id']}", {"max_sessions": 1}), 403)
    assert_problem(status(viewer, account["id"], "block"), 403)
    assert_problem(service.get(f"/accounts/{account['id']}"), 403)
    assert_problem(api.as_token(None).get("/accounts"), 401)
    assert created(operator, customer["id"], "bob", product)["identifier"] == "bob"
    assert operator.patch(f"/accounts/{account['id']}", {"max_sessions": 1}).status_code == 200
    assert status(operator, account["id"], "block").status_code == 200


def test_changes_are_in_the_audit_trail(api: Api, customer: dict[str, Any], product: int) -> None:
    account = created(api, customer["id"], "alice", product, password="secret-1")
    api.patch(f"/accounts/{account['id']}", {"max_sessions": 4, "password": "secret-2"})
    status(api, account["id"], "block")
    trail = api.get(
        "/audit-log", params={"entity_type": "account", "entity_id": str(account["id"])}
    ).json()["items"]
    assert [e["action"] for e in trail] == ["create", "update", "block"]
    assert trail[0]["after"]["identifier"] == "alice"
    assert trail[1]["before"] == {"max_sessions": None, "password_changed": False}
    assert trail[1]["after"] == {"max_sessions": 4, "password_changed": True}
    assert trail[2]["after"] == {"status": "blocked"}
    assert "secret" not in str(trail) and "argon2" not in str(trail)
