"""Tariffs: create, read, change, delete, and the rules they keep."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest

from tests.api.rating_support import make_tariff, rate_body
from tests.api.support import assert_problem
from tests.api.test_audit import trail
from tests.conftest import Api

Unchanged = Callable[[], AbstractContextManager[None]]


def test_create_read_list_update_delete(api: Api) -> None:
    tariff = make_tariff(api, name="  Voice   retail ", currency="usd")
    assert tariff["name"] == "Voice retail"
    assert tariff["currency"] == "USD"
    assert (tariff["service"], tariff["unit"]) == ("voice", "second")
    assert api.get(f"/tariffs/{tariff['id']}").json() == tariff

    other = make_tariff(api, service="data", unit="byte")
    page = api.get("/tariffs", params={"limit": 1})
    assert page.status_code == 200
    assert [t["id"] for t in page.json()["items"]] == [tariff["id"]]
    rest = api.get("/tariffs", params={"cursor": page.json()["next_cursor"]}).json()
    assert [t["id"] for t in rest["items"]] == [other["id"]]
    data = api.get("/tariffs", params={"service": "data"}).json()["items"]
    assert [t["id"] for t in data] == [other["id"]]

    changed = api.patch(f"/tariffs/{tariff['id']}", {"name": "Voice wholesale", "unit": "unit"})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["name"], changed.json()["unit"]) == ("Voice wholesale", "unit")

    assert api.delete(f"/tariffs/{tariff['id']}").status_code == 204
    assert_problem(api.get(f"/tariffs/{tariff['id']}"), 404, "tariff_not_found")
    assert_problem(api.delete(f"/tariffs/{tariff['id']}"), 404, "tariff_not_found")


def test_the_name_is_unique_whatever_its_case(api: Api, nothing_changes: Unchanged) -> None:
    make_tariff(api, name="Straße")
    with nothing_changes():
        assert_problem(
            api.post(
                "/tariffs",
                {"name": "STRASSE", "currency": "USD", "service": "voice", "unit": "second"},
            ),
            409,
            "tariff_name_taken",
        )
    other = make_tariff(api)
    with nothing_changes():
        assert_problem(
            api.patch(f"/tariffs/{other['id']}", {"name": "strasse"}), 409, "tariff_name_taken"
        )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": " "}, "name"),
        ({"name": None}, "name"),
        ({"currency": "XYZ"}, "currency"),
        ({"currency": "CHF"}, "currency"),  # known, not enabled
        ({"service": "teleportation"}, "service"),
        ({"service": ""}, "service"),
        ({"unit": "minute"}, "unit"),
        ({"unit": ...}, "unit"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_tariffs_are_refused_naming_the_field(
    api: Api, nothing_changes: Unchanged, overrides: dict[str, object], field: str
) -> None:
    body = {"name": "Tariff", "currency": "USD", "service": "voice", "unit": "second"}
    body = {k: v for k, v in {**body, **overrides}.items() if v is not ...}
    with nothing_changes():
        assert_problem(api.post("/tariffs", body), 422, field=field)


def test_a_service_must_be_one_a_business_model_offers(api: Api) -> None:
    refused = assert_problem(
        api.post("/tariffs", {"name": "T", "currency": "USD", "service": "fax", "unit": "unit"}),
        422,
        field="service",
    )
    assert "voice" in refused["errors"][0]["message"]
    api.post("/business-models", {"name": "Fax", "services": ["fax"]})
    assert make_tariff(api, service="fax", unit="unit")["service"] == "fax"


def test_bad_patches_are_refused(api: Api, nothing_changes: Unchanged) -> None:
    tariff = make_tariff(api)
    with nothing_changes():
        assert_problem(
            api.patch(f"/tariffs/{tariff['id']}", {"currency": "XYZ"}), 422, field="currency"
        )
        assert_problem(api.patch(f"/tariffs/{tariff['id']}", {"unit": None}), 422, field="unit")
        assert_problem(api.patch("/tariffs/999999", {"name": "x"}), 404, "tariff_not_found")


def test_a_tariff_in_use_keeps_its_currency_service_and_unit(
    api: Api, enable_currency: Callable[[str], None], nothing_changes: Unchanged
) -> None:
    enable_currency("EUR")
    tariff = make_tariff(api)
    product = api.post(
        "/products",
        {
            "name": "Retail",
            "currency": "USD",
            "rating": [{"service": "voice", "tariff_id": tariff["id"]}],
        },
    )
    assert product.status_code == 201, product.text
    path = f"/tariffs/{tariff['id']}"
    with nothing_changes():
        assert_problem(api.patch(path, {"currency": "EUR"}), 409, "tariff_in_use")
        assert_problem(api.patch(path, {"service": "data"}), 409, "tariff_in_use")
        assert_problem(api.patch(path, {"unit": "byte"}), 409, "tariff_in_use")
        assert_problem(api.delete(path), 409, "tariff_in_use")
    assert api.patch(path, {"name": "Renamed", "unit": "second"}).status_code == 200

    assert api.delete(f"/products/{product.json()['id']}").status_code == 204
    assert api.patch(path, {"currency": "EUR"}).json()["currency"] == "EUR"
    assert api.delete(path).status_code == 204


def test_deleting_a_tariff_deletes_its_rates(api: Api) -> None:
    tariff = make_tariff(api)
    rate = api.post(f"/tariffs/{tariff['id']}/rates", rate_body()).json()
    assert api.delete(f"/tariffs/{tariff['id']}").status_code == 204
    assert_problem(api.get(f"/tariffs/{tariff['id']}/rates/{rate['id']}"), 404, "tariff_not_found")


def test_roles(api: Api) -> None:
    tariff = make_tariff(api)
    viewer = api.as_token(api.token_for("viewer"))
    assert viewer.get("/tariffs").status_code == 200
    assert viewer.get(f"/tariffs/{tariff['id']}/rates").status_code == 200
    assert_problem(viewer.patch(f"/tariffs/{tariff['id']}", {"name": "x"}), 403)
    assert_problem(viewer.post(f"/tariffs/{tariff['id']}/rates", rate_body()), 403)
    assert_problem(viewer.delete(f"/tariffs/{tariff['id']}"), 403)
    operator = api.as_token(api.token_for("operator"))
    assert make_tariff(operator)["id"] > tariff["id"]
    assert operator.post(f"/tariffs/{tariff['id']}/rates", rate_body()).status_code == 201
    service = api.as_token(api.token_for("service"))
    assert_problem(service.get("/tariffs"), 403)
    assert_problem(api.as_token(None).get("/tariffs"), 401)


def test_changes_are_audited(api: Api) -> None:
    tariff = make_tariff(api, name="Audited")
    api.patch(f"/tariffs/{tariff['id']}", {"name": "Audited twice"})
    api.delete(f"/tariffs/{tariff['id']}")
    created, updated, deleted = trail(api, "tariff", tariff["id"])
    assert created["after"]["name"] == "Audited"
    assert updated["before"] == {"name": "Audited"}
    assert updated["after"] == {"name": "Audited twice"}
    assert deleted["action"] == "delete"
