"""Tariffs, rates and products made through the API, for the rating tests."""

from __future__ import annotations

import os
from typing import Any

from tests.conftest import Api

HEADER = "prefix,price,per,first_interval,next_interval,connect_fee,free_units,effective_from"


def make_tariff(api: Api, **overrides: object) -> dict[str, Any]:
    body = {
        "name": f"Tariff {os.urandom(3).hex()}",
        "currency": "USD",
        "service": "voice",
        "unit": "second",
        **overrides,
    }
    response = api.post("/tariffs", body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def rate_body(**overrides: object) -> dict[str, object]:
    return {
        "prefix": "4420",
        "price": "0.0120",
        "per": 60,
        "first_interval": 60,
        "next_interval": 6,
        "connect_fee": "0.00",
        "free_units": 0,
        "effective_from": None,
        "description": "United Kingdom, London",
        **overrides,
    }


def put_csv(api: Api, tariff_id: int, text: str | bytes, content_type: str = "text/csv") -> Any:
    return api.put(
        f"/tariffs/{tariff_id}/rates",
        content=text.encode() if isinstance(text, str) else text,
        headers={"Content-Type": content_type},
    )


def all_rates(api: Api, tariff_id: int, **params: object) -> list[dict[str, Any]]:
    rates: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {"limit": 500, **params, **({"cursor": cursor} if cursor else {})}
        page = api.get(f"/tariffs/{tariff_id}/rates", params=query)
        assert page.status_code == 200, page.text
        rates += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return rates
