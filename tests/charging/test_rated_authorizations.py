"""Rated reserve, extend, commit and release over the API: grants in units, refusals that
hold nothing, and a price fixed when the session starts."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import update

from kassa.db.engine import Database
from kassa.db.models import Rate
from tests.charging.accounts_rows import make_account, set_account_status
from tests.charging.support import LONDON, line, reserve, state
from tests.conftest import Api
from tests.rating_rows import RateRow, TariffRows, make_product


def test_reserve_extend_commit_in_units(api: Api, db: Database) -> None:
    lined = line(api, db, "10.00", RateRow(""), RateRow("4420", description="London"))
    reserved = reserve(api, lined.account, 3600, session_id="call-42", ttl_seconds=60)
    assert reserved.status_code == 201, reserved.text
    auth = reserved.json()
    assert auth["status"] == "reserved" and auth["customer_id"] == lined.customer_id
    assert auth["granted_units"] == 3600 and auth["amount"] == "0.72"
    assert auth["currency"] == "USD" and auth["available_funds"] == "9.28"
    assert auth["unit"] == "second" and auth["destination"] == LONDON
    assert auth["account_id"] is not None and auth["session_id"] == "call-42"
    assert auth["rate"] == {
        "tariff_id": auth["rate"]["tariff_id"],
        "prefix": "4420",
        "price": "0.012",
        "per": 60,
        "first_interval": 60,
        "next_interval": 6,
        "connect_fee": "0.00",
        "free_units": 0,
        "description": "London",
    }
    extended = api.post(f"/authorizations/{auth['id']}/extend", {"units": 300})
    assert extended.status_code == 200, extended.text
    assert extended.json()["granted_units"] == 3900 and extended.json()["amount"] == "0.78"
    assert extended.json()["available_funds"] == "9.22"
    committed = api.post(f"/authorizations/{auth['id']}/commit", {"units": 187})
    assert committed.status_code == 200, committed.text
    body = committed.json()
    # 187 s bill as 192 (60 + 22 steps of 6) at 0.012 a minute.
    assert body["status"] == "committed" and body["units"] == 187
    assert body["amount"] == "0.0384" and body["overrun_units"] == 0
    assert body["available_funds"] == "9.9616" and body["transaction_id"] is not None
    shown = api.get(f"/customers/{lined.customer_id}").json()
    assert shown["balance"] == "-9.9616" and shown["reserved"] == "0.00"
    entry = api.get(f"/customers/{lined.customer_id}/transactions").json()["items"][0]
    assert entry["id"] == body["transaction_id"] and entry["type"] == "usage"
    assert entry["amount"] == "0.0384" and entry["units"] == 187 and entry["unit"] == "second"
    assert entry["destination"] == LONDON and entry["account_id"] == auth["account_id"]
    assert entry["rate_prefix"] == "4420" and entry["rate_description"] == "London"
    assert entry["authorization_id"] == auth["id"]
    again = api.get(f"/authorizations/{auth['id']}").json()
    assert again["status"] == "committed" and again["units"] == 187
    assert again["rate"]["prefix"] == "4420"


def test_the_funds_decide_how_many_units(api: Api, db: Database) -> None:
    lined = line(api, db, "0.10")
    partial = reserve(api, lined.account, 3600)
    assert partial.status_code == 201, partial.text
    # 0.10 buys 500 s of billed time; the last whole 6 s step ends at 498.
    assert partial.json()["granted_units"] == 498 and partial.json()["amount"] == "0.0996"
    assert partial.json()["available_funds"] == "0.0004"
    refused = reserve(api, lined.account, 3600, min_units=1)
    assert refused.status_code == 402 and refused.json()["code"] == "insufficient_funds"
    assert refused.json()["available_funds"] == "0.0004"
    assert state(db, lined.customer_id)[1:] == (99_600, 1, 1)


def test_below_min_units_is_refused(api: Api, db: Database) -> None:
    lined = line(api, db, "0.10")
    refused = reserve(api, lined.account, 3600, min_units=600)
    assert refused.status_code == 402, refused.text
    assert refused.json()["available_funds"] == "0.10"
    # The default least is the first interval: 0.01 does not buy 60 s.
    poor = line(api, db, "0.01")
    assert reserve(api, poor.account, 3600).status_code == 402
    # ...unless fewer units are asked for than it.
    lined_small = line(api, db, "0.01", RateRow("", first_interval=1, next_interval=1))
    granted = reserve(api, lined_small.account, 100)
    assert granted.status_code == 201 and granted.json()["granted_units"] == 50
    assert state(db, lined.customer_id)[1:] == (0, 1, 0)


def test_no_limit_grants_every_unit(api: Api, db: Database) -> None:
    lined = line(api, db, None)
    granted = reserve(api, lined.account, 600_000_000)
    assert granted.status_code == 201, granted.text
    assert granted.json()["granted_units"] == 600_000_000
    assert granted.json()["available_funds"] is None and granted.json()["amount"] == "120000.00"


def test_connect_fee_and_free_units(api: Api, db: Database) -> None:
    rate = RateRow("", connect_fee_micros=50_000, free_units=30)
    lined = line(api, db, "1.00", rate)
    auth = reserve(api, lined.account, 20).json()
    assert auth["granted_units"] == 20 and auth["amount"] == "0.05"
    committed = api.post(f"/authorizations/{auth['id']}/commit", {"units": 0}).json()
    assert committed["amount"] == "0.00" and committed["units"] == 0
    auth = reserve(api, lined.account, 91).json()
    # 61 s past the free 30 bill as 66: 0.0132, plus the fee.
    assert auth["amount"] == "0.0632"


def test_commit_past_the_grant_posts_the_overrun(api: Api, db: Database) -> None:
    lined = line(api, db, "0.10")
    auth = reserve(api, lined.account, 3600).json()
    committed = api.post(f"/authorizations/{auth['id']}/commit", {"units": 600})
    assert committed.status_code == 200, committed.text
    assert committed.json()["units"] == 600 and committed.json()["overrun_units"] == 102
    assert committed.json()["amount"] == "0.12"
    balance, reserved, entries, _ = state(db, lined.customer_id)
    assert (balance, reserved, entries) == (20_000, 0, 2)


def test_a_rate_change_after_reserve_leaves_the_price(api: Api, db: Database) -> None:
    lined = line(api, db, "10.00")
    auth = reserve(api, lined.account, 600).json()
    with db.transaction() as session:
        session.execute(
            update(Rate)
            .where(Rate.tariff_id == auth["rate"]["tariff_id"])
            .values(price_micros=600_000, first_interval=1, next_interval=1)
        )
    quoted = api.post(
        "/rating/quote",
        {"account": lined.account, "service": "voice", "destination": LONDON, "units": 61},
    )
    assert quoted.json()["amount"] == "0.61"
    extended = api.post(f"/authorizations/{auth['id']}/extend", {"units": 60}).json()
    assert extended["amount"] == "0.132" and extended["rate"]["price"] == "0.012"
    committed = api.post(f"/authorizations/{auth['id']}/commit", {"units": 61}).json()
    assert committed["amount"] == "0.0132"


def test_release_gives_the_hold_back(api: Api, db: Database) -> None:
    lined = line(api, db, "1.00")
    auth = reserve(api, lined.account, 600).json()
    released = api.post(f"/authorizations/{auth['id']}/release")
    assert released.status_code == 200 and released.json()["status"] == "released"
    assert released.json()["granted_units"] == 600 and released.json()["units"] is None
    assert state(db, lined.customer_id) == (-1_000_000, 0, 1, 1)


def test_refusals_hold_nothing(api: Api, db: Database) -> None:
    lined = line(api, db, "10.00", RateRow("44"))
    missing = reserve(api, "+999000111")
    assert missing.status_code == 404 and missing.json()["code"] == "account_not_found"
    no_rate = reserve(api, lined.account, destination="+33123456")
    assert no_rate.status_code == 422 and no_rate.json()["code"] == "no_rate"
    assert no_rate.json()["errors"][0]["field"] == "destination"
    no_destination = reserve(api, lined.account, destination=None)
    assert no_destination.json()["code"] == "no_rate"
    bad = reserve(api, lined.account, destination="44 20 7123")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "destination"
    service = reserve(api, lined.account, service="data")
    assert service.status_code == 422 and service.json()["errors"][0]["field"] == "service"
    set_account_status(db, lined.account, "blocked")
    blocked = reserve(api, lined.account)
    assert blocked.status_code == 403 and blocked.json()["code"] == "account_not_active"
    assert blocked.json()["account_status"] == "blocked"
    set_account_status(db, lined.account, "active")
    api.post(f"/customers/{lined.customer_id}/status", {"action": "block"})
    customer = reserve(api, lined.account)
    assert customer.status_code == 403 and customer.json()["code"] == "customer_not_active"
    assert customer.json()["customer_status"] == "blocked"
    api.post(f"/customers/{lined.customer_id}/status", {"action": "close"})
    closed = reserve(api, lined.account)
    assert closed.status_code == 409 and closed.json()["code"] == "customer_closed"
    assert state(db, lined.customer_id) == (-10_000_000, 0, 1, 0)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"units": 0}, "units"),
        ({"units": -5}, "units"),
        ({"units": "many"}, "units"),
        ({"units": 10**16}, "units"),
        ({"min_units": 7200}, "min_units"),
        ({"min_units": 0}, "min_units"),
        ({"account": ""}, "account"),
        ({"destination": "+"}, "destination"),
        ({"ttl_seconds": 0}, "ttl_seconds"),
        ({"amount": "1.00"}, "amount"),
    ],
)
def test_bad_rated_reservations_change_nothing(
    api: Api, db: Database, change: dict[str, object], field: str
) -> None:
    lined = line(api, db)
    body = {"account": lined.account, "service": "voice", "units": 3600, **change}
    refused = api.post("/authorizations", body)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == field
    assert state(db, lined.customer_id)[1:] == (0, 1, 0)


def test_max_sessions_counts_open_reservations(api: Api, db: Database) -> None:
    lined = line(api, db, "10.00", max_sessions=2)
    first = reserve(api, lined.account, 60).json()
    assert reserve(api, lined.account, 60).status_code == 201
    third = reserve(api, lined.account, 60)
    assert third.status_code == 409 and third.json()["code"] == "too_many_sessions"
    assert third.json()["max_sessions"] == 2
    api.post(f"/authorizations/{first['id']}/release")
    assert reserve(api, lined.account, 60).status_code == 201
    # Another account of the same customer has sessions of its own.
    other = make_account(db, lined.customer_id, lined.product_id, max_sessions=1)
    assert reserve(api, other, 60).status_code == 201


def test_extend_and_commit_take_the_field_of_their_kind(api: Api, db: Database) -> None:
    lined = line(api, db, "1.00")
    rated = reserve(api, lined.account, 60).json()
    money = api.post(
        f"/customers/{lined.customer_id}/authorizations", {"amount": "0.10", "service": "voice"}
    ).json()
    for path, body, field in [
        (f"/authorizations/{rated['id']}/extend", {"amount": "0.10"}, "amount"),
        (f"/authorizations/{rated['id']}/extend", {}, "units"),
        (f"/authorizations/{rated['id']}/commit", {"amount": "0.10"}, "amount"),
        (f"/authorizations/{rated['id']}/commit", {}, "units"),
        (f"/authorizations/{money['id']}/extend", {"units": 60}, "units"),
        (f"/authorizations/{money['id']}/extend", {}, "amount"),
        (f"/authorizations/{money['id']}/commit", {"units": 60}, "units"),
        (f"/authorizations/{money['id']}/commit", {}, "amount"),
    ]:
        refused = api.post(path, body)
        assert refused.status_code == 422, (path, body, refused.text)
        assert refused.json()["errors"][0]["field"] == field
    assert state(db, lined.customer_id)[:2] == (-1_000_000, 112_000)
    money_commit = api.post(f"/authorizations/{money['id']}/commit", {"amount": "0.05"})
    assert money_commit.json()["amount"] == "0.10" and money_commit.json()["units"] is None


def test_extend_grants_what_the_funds_cover(api: Api, db: Database) -> None:
    lined = line(api, db, "0.05")
    auth = reserve(api, lined.account, 60).json()
    assert auth["amount"] == "0.012"
    extended = api.post(f"/authorizations/{auth['id']}/extend", {"units": 3600})
    # 0.05 buys 250 s of billed time; the last whole step ends at 246.
    assert extended.status_code == 200 and extended.json()["granted_units"] == 246
    assert extended.json()["amount"] == "0.0492" and extended.json()["available_funds"] == "0.0008"
    refused = api.post(f"/authorizations/{auth['id']}/extend", {"units": 6})
    assert refused.status_code == 402 and refused.json()["code"] == "insufficient_funds"
    assert refused.json()["available_funds"] == "0.0008"
    assert state(db, lined.customer_id)[1] == 49_200


def test_idempotent_replays_post_once(api: Api, db: Database) -> None:
    lined = line(api, db, "10.00")
    key = {"Idempotency-Key": "rated-1"}
    first = reserve(api, lined.account, 600, headers=key)
    again = reserve(api, lined.account, 600, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    other = reserve(api, lined.account, 601, headers=key)
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"
    auth_id = first.json()["id"]
    for _ in range(2):
        extended = api.post(
            f"/authorizations/{auth_id}/extend", {"units": 60}, headers={"Idempotency-Key": "x-1"}
        )
        assert extended.json()["granted_units"] == 660
        committed = api.post(
            f"/authorizations/{auth_id}/commit", {"units": 100}, headers={"Idempotency-Key": "c-1"}
        )
        assert committed.status_code == 200 and committed.json()["amount"] == "0.0204"
    assert state(db, lined.customer_id) == (-10_000_000 + 20_400, 0, 2, 1)


def test_quote_holds_nothing(api: Api, db: Database) -> None:
    lined = line(api, db, "1.00", RateRow("", connect_fee_micros=10_000), RateRow("1"))
    body = {"account": lined.account, "service": "voice", "destination": LONDON, "units": 61}
    quoted = api.post("/rating/quote", body)
    assert quoted.status_code == 200, quoted.text
    assert quoted.json()["amount"] == "0.0232" and quoted.json()["currency"] == "USD"
    assert quoted.json()["rate"]["prefix"] == "" and quoted.json()["rate"]["connect_fee"] == "0.01"
    assert api.post("/rating/quote", {**body, "account": "nobody"}).status_code == 404
    product = make_product(db, "USD", TariffRows(rates=[RateRow("1")]))
    narrow = make_account(db, lined.customer_id, product)
    refused = api.post("/rating/quote", {**body, "account": narrow})
    assert refused.status_code == 422 and refused.json()["code"] == "no_rate"
    assert state(db, lined.customer_id) == (-1_000_000, 0, 1, 0)


def test_an_expired_rated_authorization_commits_but_does_not_extend(api: Api, db: Database) -> None:
    lined = line(api, db, "1.00", max_sessions=1)
    auth = reserve(api, lined.account, 600, ttl_seconds=1).json()
    time.sleep(1.1)
    # The lapsed session no longer counts against max_sessions, nor its hold against the funds.
    assert api.get(f"/customers/{lined.customer_id}").json()["available_funds"] == "1.00"
    late = api.post(f"/authorizations/{auth['id']}/extend", {"units": 60})
    assert late.status_code == 409 and late.json()["code"] == "authorization_expired"
    committed = api.post(f"/authorizations/{auth['id']}/commit", {"units": 90})
    assert committed.status_code == 200 and committed.json()["amount"] == "0.018"
    assert reserve(api, lined.account, 60).status_code == 201


def test_a_cost_no_balance_can_take_is_refused_and_posts_nothing(api: Api, db: Database) -> None:
    # 10**15 units at 50.00 a unit cost 5 * 10**16, past any balance and past 64 bits in micros.
    lined = line(api, db, None, RateRow("", price_micros=50_000_000, per=1, first_interval=1,
                                        next_interval=1))  # fmt: skip
    auth = reserve(api, lined.account, 60).json()
    before = state(db, lined.customer_id)
    refused = api.post(f"/authorizations/{auth['id']}/commit", {"units": 10**15})
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "amount_too_large"
    assert refused.json()["errors"][0]["field"] == "units"
    assert state(db, lined.customer_id) == before
    cdr = {
        "account": lined.account, "service": "voice", "destination": LONDON,
        "units": 10**15, "occurred_at": "2030-03-01T10:00:00Z", "external_id": "huge",
    }  # fmt: skip
    result = api.post("/usage", {"records": [cdr]}).json()["results"][0]
    assert result["status"] == "rejected" and result["code"] == "amount_too_large"
    assert result["errors"][0]["field"] == "records[0].units"
    assert state(db, lined.customer_id) == before
