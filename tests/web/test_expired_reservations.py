"""An expired reservation stops counting at once, on every page and in every API answer, before
the sweeper gives its hold back."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from kassa.core import clock
from kassa.db.engine import Database
from kassa.db.models import Customer
from tests.conftest import Api, customer_body


def _page_funds(html: str) -> str:
    match = re.search(
        r'<p class="stat-label">Available funds</p>\s*<p class="stat-value">([^<]*)<', html
    )
    assert match, "the customer page shows no available funds"
    return match.group(1).strip()


def _listed_funds(html: str, customer_id: int) -> str:
    row = html[html.index(f'href="/customers/{customer_id}"') :]
    match = re.search(r'<span class="amount">([^<]*)</span><span class="amount-note">', row)
    assert match, "the customer list shows no available funds"
    return match.group(1)


def test_api_and_web_show_the_same_funds_once_a_reservation_expires(
    web: TestClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = Api(web)
    body = customer_body(balance_control="prepaid", credit_limit=..., available_funds="10.00")
    created = api.post("/customers", body)
    assert created.status_code == 201, created.text
    customer_id = created.json()["id"]
    held = api.post(
        f"/customers/{customer_id}/authorizations",
        {"amount": "4.00", "service": "voice", "ttl_seconds": 60},
    )
    assert held.status_code == 201, held.text
    assert api.get(f"/customers/{customer_id}").json()["available_funds"] == "6.00"

    monkeypatch.setattr(clock, "_shift", clock._shift)
    clock.run_clock_from(clock.utcnow() + timedelta(minutes=2))
    with db.reading() as session:
        # The sweeper has not run: the hold is still counted in the stored row.
        assert session.get_one(Customer, customer_id).reserved_micros == 4_000_000

    shown = api.get(f"/customers/{customer_id}").json()
    assert (shown["available_funds"], shown["reserved"]) == ("10.00", "0.00")
    listed = api.get("/customers", params={"q": str(customer_id)}).json()["items"]
    assert [c["available_funds"] for c in listed if c["id"] == customer_id] == ["10.00"]
    auth = api.get(f"/authorizations/{held.json()['id']}").json()
    assert (auth["status"], auth["available_funds"]) == ("expired", "10.00")
    auths = api.get(f"/customers/{customer_id}/authorizations").json()["items"]
    assert [(a["status"], a["available_funds"]) for a in auths] == [("expired", "10.00")]

    assert _page_funds(web.get(f"/customers/{customer_id}").text) == "10.00"
    listing = web.get("/customers", params={"q": shown["name"]}).text
    assert _listed_funds(listing, customer_id) == "10.00"

    patched = api.patch(f"/customers/{customer_id}", {"email": "billing@example.com"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["available_funds"] == "10.00"
    for action in ("block", "unblock"):
        changed = api.post(f"/customers/{customer_id}/status", {"action": action})
        assert changed.status_code == 200, changed.text
        assert changed.json()["available_funds"] == "10.00"


def test_the_status_filter_leaves_out_an_expired_hold_too(
    api: Api, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = customer_body(balance_control="prepaid", credit_limit=..., available_funds="5.00")
    customer_id = api.post("/customers", body).json()["id"]
    held = api.post(
        f"/customers/{customer_id}/authorizations",
        {"amount": "5.00", "service": "voice", "ttl_seconds": 60},
    )
    assert held.status_code == 201, held.text

    def listed_as(status: str) -> bool:
        page = api.get("/customers", params={"status": status, "limit": 500}).json()
        return customer_id in [c["id"] for c in page["items"]]

    assert api.get(f"/customers/{customer_id}").json()["status"] == "no_available_funds"
    assert listed_as("no_available_funds") and not listed_as("active")

    monkeypatch.setattr(clock, "_shift", clock._shift)
    clock.run_clock_from(clock.utcnow() + timedelta(minutes=2))
    with db.reading() as session:
        assert session.get_one(Customer, customer_id).reserved_micros == 5_000_000
    assert api.get(f"/customers/{customer_id}").json()["status"] == "active"
    assert listed_as("active") and not listed_as("no_available_funds")
