"""The README's worked example, step by step through the API, with the numbers it prints: a
tariff from CSV, a product, a customer and an account; a 10-minute call to London authorized
and 187 seconds committed."""

from __future__ import annotations

import os

from tests.conftest import Api, customer_body

RATES_CSV = """\
prefix,price,per,first_interval,next_interval,connect_fee,free_units,effective_from,description
44,0.0300,60,60,6,0.00,0,,United Kingdom
4420,0.0120,60,60,6,0.00,0,,"United Kingdom, London"
420,0.0100,60,1,1,0.00,0,,Czech Republic
,0.2000,60,60,60,0.00,0,,Other destinations
"""


def _line(api: Api, funds: str) -> str:
    """The example's tariff, product, customer and account; returns the account."""
    suffix = os.urandom(3).hex()
    tariff = api.post(
        "/tariffs",
        {"name": f"Voice retail {suffix}", "currency": "USD", "service": "voice", "unit": "second"},
    )
    assert tariff.status_code == 201, tariff.text
    imported = api.put(
        f"/tariffs/{tariff.json()['id']}/rates",
        content=RATES_CSV.encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert imported.status_code == 200, imported.text
    assert imported.json() == {"imported": 4}
    product = api.post(
        "/products",
        {
            "name": f"Voice prepaid {suffix}",
            "currency": "USD",
            "rating": [{"service": "voice", "tariff_id": tariff.json()["id"]}],
        },
    )
    assert product.status_code == 201, product.text
    customer = api.post(
        "/customers",
        customer_body(balance_control="prepaid", credit_limit=..., available_funds=funds),
    )
    assert customer.status_code == 201, customer.text
    identifier = f"+420601{int(suffix, 16) % 1_000_000:06d}"
    account = api.post(
        f"/customers/{customer.json()['id']}/accounts",
        {"identifier": identifier, "product_id": product.json()["id"]},
    )
    assert account.status_code == 201, account.text
    return identifier


def _call_to_london(api: Api, account: str) -> dict[str, object]:
    reserved = api.post(
        "/authorizations",
        {
            "account": account,
            "service": "voice",
            "destination": "+442071234567",
            "units": 600,
            "session_id": "call-42",
        },
    )
    assert reserved.status_code == 201, reserved.text
    return dict(reserved.json())


def test_the_readme_call_to_london(api: Api) -> None:
    account = _line(api, "10.00")
    auth = _call_to_london(api, account)
    # 600 s at 0.0120 a minute: 0.12 held, 9.88 left.
    assert auth["granted_units"] == 600 and auth["amount"] == "0.12"
    assert auth["available_funds"] == "9.88"
    rate = auth["rate"]
    assert isinstance(rate, dict)
    assert rate["prefix"] == "4420" and rate["description"] == "United Kingdom, London"
    committed = api.post(f"/authorizations/{auth['id']}/commit", {"units": 187})
    assert committed.status_code == 200, committed.text
    body = committed.json()
    # 60 + ceil(127 / 6) * 6 = 192 s billed: 192 * 0.0120 / 60 = 0.0384.
    assert body["units"] == 187 and body["overrun_units"] == 0
    assert body["amount"] == "0.0384" and body["available_funds"] == "9.9616"
    customer = api.get(f"/customers/{auth['customer_id']}").json()
    assert customer["balance"] == "-9.9616" and customer["reserved"] == "0.00"
    entry = api.get(f"/customers/{auth['customer_id']}/transactions").json()["items"][0]
    assert (entry["units"], entry["unit"], entry["rate_prefix"]) == (187, "second", "4420")
    assert entry["destination"] == "+442071234567"


def test_the_readme_grant_on_five_cents(api: Api) -> None:
    # 0.05 buys 250 billable seconds; the last whole step ends at 60 + 31 * 6 = 246.
    auth = _call_to_london(api, _line(api, "0.05"))
    assert auth["granted_units"] == 246 and auth["amount"] == "0.0492"


def test_the_readme_refusal_below_the_first_interval(api: Api) -> None:
    account = _line(api, "0.01")
    refused = api.post(
        "/authorizations",
        {"account": account, "service": "voice", "destination": "+442071234567", "units": 600},
    )
    assert refused.status_code == 402, refused.text
    assert refused.json()["code"] == "insufficient_funds"
