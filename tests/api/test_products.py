"""Products: the tariff that rates each service an account uses."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest

from kassa.core.clock import utcnow
from kassa.db.engine import Database
from kassa.db.models import Account
from tests.api.rating_support import make_tariff
from tests.api.support import assert_problem
from tests.api.test_audit import trail
from tests.conftest import Api

Unchanged = Callable[[], AbstractContextManager[None]]


def product_body(*tariffs: dict[str, Any], **overrides: object) -> dict[str, object]:
    return {
        "name": "Retail",
        "currency": "USD",
        "rating": [{"service": t["service"], "tariff_id": t["id"]} for t in tariffs],
        **overrides,
    }


def test_create_read_list_update_delete(api: Api) -> None:
    voice = make_tariff(api, name="Voice")
    data = make_tariff(api, name="Data", service="data", unit="byte")
    response = api.post("/products", product_body(voice, data, description=" Homes "))
    assert response.status_code == 201, response.text
    product = response.json()
    assert product["name"] == "Retail"
    assert product["description"] == "Homes"
    assert product["rating"] == [
        {"service": "data", "tariff_id": data["id"], "tariff_name": "Data"},
        {"service": "voice", "tariff_id": voice["id"], "tariff_name": "Voice"},
    ]
    assert api.get(f"/products/{product['id']}").json() == product
    assert api.get("/products").json() == {"items": [product], "next_cursor": None}

    changed = api.patch(f"/products/{product['id']}", product_body(voice, name="Retail 2"))
    assert changed.status_code == 200, changed.text
    assert changed.json()["name"] == "Retail 2"
    assert [r["service"] for r in changed.json()["rating"]] == ["voice"]
    # A tariff taken out of every product can go.
    assert api.delete(f"/tariffs/{data['id']}").status_code == 204

    assert api.delete(f"/products/{product['id']}").status_code == 204
    assert_problem(api.get(f"/products/{product['id']}"), 404, "product_not_found")
    assert api.delete(f"/tariffs/{voice['id']}").status_code == 204
    created, updated, deleted = trail(api, "product", product["id"])
    assert len(created["after"]["rating"]) == 2
    assert updated["after"]["name"] == "Retail 2"
    assert deleted["action"] == "delete"


def test_the_name_is_unique(api: Api, nothing_changes: Unchanged) -> None:
    assert api.post("/products", product_body(name="Basic")).status_code == 201
    with nothing_changes():
        assert_problem(
            api.post("/products", product_body(name=" BASIC ")), 409, "product_name_taken"
        )


def test_each_tariff_must_fit_the_product(
    api: Api, enable_currency: Callable[[str], None], nothing_changes: Unchanged
) -> None:
    enable_currency("EUR")
    voice = make_tariff(api)
    euro = make_tariff(api, currency="EUR")
    data = make_tariff(api, service="data", unit="byte")
    cases: list[tuple[list[dict[str, object]], str]] = [
        ([{"service": "voice", "tariff_id": euro["id"]}], "rating[0].tariff_id"),
        ([{"service": "voice", "tariff_id": data["id"]}], "rating[0].tariff_id"),
        ([{"service": "voice", "tariff_id": 999999}], "rating[0].tariff_id"),
        (
            [
                {"service": "voice", "tariff_id": voice["id"]},
                {"service": "voice", "tariff_id": voice["id"]},
            ],
            "rating[1].service",
        ),
        ([{"service": " ", "tariff_id": voice["id"]}], "rating[0].service"),
        ([{"service": "voice", "tariff_id": 0}], "rating[0].tariff_id"),
        ([{"service": "voice"}], "rating[0].tariff_id"),
    ]
    with nothing_changes():
        for rating, field in cases:
            body = product_body(rating=rating)
            assert_problem(api.post("/products", body), 422, field=field)
        for overrides, field in [
            ({"currency": "XYZ"}, "currency"),
            ({"currency": "CHF"}, "currency"),
            ({"name": ""}, "name"),
            ({"rating": "voice"}, "rating"),
        ]:
            assert_problem(api.post("/products", product_body(**overrides)), 422, field=field)
    euro_product = api.post("/products", product_body(euro, name="Euro", currency="eur"))
    assert euro_product.status_code == 201, euro_product.text
    assert euro_product.json()["currency"] == "EUR"


def test_the_currency_changes_with_fitting_tariffs(
    api: Api, enable_currency: Callable[[str], None], nothing_changes: Unchanged
) -> None:
    enable_currency("EUR")
    voice = make_tariff(api)
    euro = make_tariff(api, currency="EUR")
    product = api.post("/products", product_body(voice)).json()
    path = f"/products/{product['id']}"
    with nothing_changes():
        assert_problem(api.patch(path, {"currency": "EUR"}), 422, field="rating[0].tariff_id")
        assert_problem(api.patch(path, {"name": None}), 422, field="name")
        assert_problem(api.patch("/products/999999", {"name": "x"}), 404, "product_not_found")
    changed = api.patch(path, product_body(euro, currency="EUR"))
    assert changed.status_code == 200, changed.text
    assert changed.json()["rating"][0]["tariff_id"] == euro["id"]


@pytest.fixture
def product_with_account(api: Api, db: Database, make_customer: Callable[..., Any]) -> int:
    """A product an account uses, the account written straight to its table: the accounts
    API is built on top of products."""
    product = api.post("/products", product_body(make_tariff(api))).json()
    customer = make_customer()
    now = utcnow()
    with db.transaction() as session:
        session.add(
            Account(
                customer_id=customer["id"],
                identifier="+420601234567",
                product_id=product["id"],
                status="active",
                created_at=now,
                updated_at=now,
            )
        )
    return int(product["id"])


def test_a_product_in_use_stays(
    api: Api,
    product_with_account: int,
    enable_currency: Callable[[str], None],
    nothing_changes: Unchanged,
) -> None:
    enable_currency("EUR")
    path = f"/products/{product_with_account}"
    euro = make_tariff(api, currency="EUR")
    with nothing_changes():
        assert_problem(api.delete(path), 409, "product_in_use")
        assert_problem(api.patch(path, product_body(euro, currency="EUR")), 409, "product_in_use")
    assert api.patch(path, {"name": "Renamed"}).status_code == 200


def test_roles(api: Api) -> None:
    viewer = api.as_token(api.token_for("viewer"))
    operator = api.as_token(api.token_for("operator"))
    created = operator.post("/products", product_body())
    assert created.status_code == 201
    assert viewer.get(f"/products/{created.json()['id']}").status_code == 200
    assert_problem(viewer.post("/products", product_body(name="Other")), 403)
    assert_problem(viewer.delete(f"/products/{created.json()['id']}"), 403)
    assert operator.delete(f"/products/{created.json()['id']}").status_code == 204
