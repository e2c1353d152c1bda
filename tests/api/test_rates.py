"""A tariff's rates one by one: add, list by prefix, delete."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest

from tests.api.rating_support import all_rates, make_tariff, rate_body
from tests.api.support import assert_problem
from tests.api.test_audit import trail
from tests.conftest import Api

Unchanged = Callable[[], AbstractContextManager[None]]


def test_add_and_read_a_rate(api: Api) -> None:
    tariff = make_tariff(api)
    response = api.post(f"/tariffs/{tariff['id']}/rates", rate_body())
    assert response.status_code == 201, response.text
    rate = response.json()
    assert {k: rate[k] for k in rate_body()} == {
        **rate_body(),
        "price": "0.012",
        "connect_fee": "0.00",
    }
    assert rate["tariff_id"] == tariff["id"]
    assert api.get(f"/tariffs/{tariff['id']}/rates/{rate['id']}").json() == rate
    (created,) = trail(api, "rate", rate["id"])
    assert created["after"]["price_micros"] == 12_000


def test_defaults_and_six_decimals(api: Api) -> None:
    tariff = make_tariff(api, service="messaging", unit="message")
    rate = api.post(
        f"/tariffs/{tariff['id']}/rates", {"prefix": "", "price": "0.000001", "per": 1}
    ).json()
    assert rate["prefix"] == ""
    assert rate["price"] == "0.000001"
    assert (rate["first_interval"], rate["next_interval"], rate["free_units"]) == (1, 1, 0)
    assert (rate["connect_fee"], rate["effective_from"], rate["description"]) == (
        "0.00",
        None,
        None,
    )


def test_effective_from_is_kept_and_shown(api: Api) -> None:
    tariff = make_tariff(api)
    later = api.post(
        f"/tariffs/{tariff['id']}/rates",
        rate_body(effective_from="2027-01-01T01:00:00+01:00", price="0.01"),
    )
    assert later.status_code == 201, later.text
    assert later.json()["effective_from"] == "2027-01-01T00:00:00Z"
    always = api.post(f"/tariffs/{tariff['id']}/rates", rate_body())
    assert always.status_code == 201
    assert always.json()["effective_from"] is None


def test_a_second_rate_for_the_same_prefix_and_time_is_a_conflict(
    api: Api, nothing_changes: Unchanged
) -> None:
    tariff = make_tariff(api)
    path = f"/tariffs/{tariff['id']}/rates"
    assert api.post(path, rate_body()).status_code == 201
    assert api.post(path, rate_body(effective_from="2027-01-01T00:00:00Z")).status_code == 201
    with nothing_changes():
        assert_problem(api.post(path, rate_body(price="1")), 409, "rate_exists")
        assert_problem(
            api.post(path, rate_body(effective_from="2027-01-01T00:00:00Z")), 409, "rate_exists"
        )
    # Another tariff may have the same prefix.
    other = make_tariff(api)
    assert api.post(f"/tariffs/{other['id']}/rates", rate_body()).status_code == 201


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"prefix": "+44"}, "prefix"),
        ({"prefix": "44 20"}, "prefix"),
        ({"prefix": "4" * 33}, "prefix"),
        ({"prefix": "٤٤"}, "prefix"),
        ({"prefix": ...}, "prefix"),
        ({"price": "0.0000001"}, "price"),
        ({"price": "-1"}, "price"),
        ({"price": "abc"}, "price"),
        ({"price": "1e30"}, "price"),
        ({"price": ...}, "price"),
        ({"per": 0}, "per"),
        ({"per": ...}, "per"),
        ({"first_interval": 0}, "first_interval"),
        ({"next_interval": -6}, "next_interval"),
        ({"next_interval": 10**13}, "next_interval"),
        ({"connect_fee": "-0.01"}, "connect_fee"),
        ({"connect_fee": "0.1234567"}, "connect_fee"),
        ({"free_units": -1}, "free_units"),
        ({"effective_from": "2027-01-01T00:00:00"}, "effective_from"),
        ({"effective_from": "1970-01-01T00:00:00Z"}, "effective_from"),
        ({"effective_from": "soon"}, "effective_from"),
        ({"description": "d" * 201}, "description"),
        ({"tariff_id": 3}, "tariff_id"),
    ],
)
def test_bad_rates_are_refused_naming_the_field(
    api: Api, nothing_changes: Unchanged, overrides: dict[str, object], field: str
) -> None:
    tariff = make_tariff(api)
    body = {k: v for k, v in rate_body(**overrides).items() if v is not ...}
    with nothing_changes():
        assert_problem(api.post(f"/tariffs/{tariff['id']}/rates", body), 422, field=field)


def test_rates_of_an_unknown_tariff(api: Api) -> None:
    assert_problem(api.post("/tariffs/999999/rates", rate_body()), 404, "tariff_not_found")
    assert_problem(api.get("/tariffs/999999/rates"), 404, "tariff_not_found")


def test_list_by_prefix_and_pages(api: Api) -> None:
    tariff = make_tariff(api)
    path = f"/tariffs/{tariff['id']}/rates"
    for prefix in ("44", "4420", "44207", "420", "1", ""):
        assert api.post(path, rate_body(prefix=prefix)).status_code == 201
    assert [r["prefix"] for r in all_rates(api, tariff["id"], prefix="44")] == [
        "44",
        "4420",
        "44207",
    ]
    assert [r["prefix"] for r in all_rates(api, tariff["id"], prefix="4420")] == ["4420", "44207"]
    assert len(all_rates(api, tariff["id"])) == 6
    assert len(all_rates(api, tariff["id"], prefix="")) == 6

    first = api.get(path, params={"limit": 4}).json()
    assert len(first["items"]) == 4
    second = api.get(path, params={"limit": 4, "cursor": first["next_cursor"]}).json()
    assert [r["prefix"] for r in second["items"]] == ["1", ""]
    assert second["next_cursor"] is None

    assert_problem(api.get(path, params={"prefix": "4%"}), 422, field="prefix")
    assert_problem(api.get(path, params={"limit": 0}), 422, field="limit")
    assert_problem(api.get(path, params={"cursor": "!!"}), 422, field="cursor")


def test_delete_a_rate(api: Api) -> None:
    tariff = make_tariff(api)
    rate = api.post(f"/tariffs/{tariff['id']}/rates", rate_body()).json()
    other = make_tariff(api)
    assert_problem(api.delete(f"/tariffs/{other['id']}/rates/{rate['id']}"), 404, "rate_not_found")
    assert api.delete(f"/tariffs/{tariff['id']}/rates/{rate['id']}").status_code == 204
    assert_problem(api.get(f"/tariffs/{tariff['id']}/rates/{rate['id']}"), 404, "rate_not_found")
    _, deleted = trail(api, "rate", rate["id"])
    assert deleted["before"]["prefix"] == "4420"
