"""Rated reservations never grant more money than the funds: 32 clients over two server
processes reserve, extend, commit and release in units on several accounts of one prepaid
customer, some retrying with the same Idempotency-Key, until the funds run out."""

from __future__ import annotations

import random
import threading
from typing import Any

import httpx

from kassa.db.engine import Database
from kassa.rating.cost import RateTerms, cost_micros
from tests.charging.accounts_rows import make_account
from tests.concurrency.harness import (
    Cluster,
    answer_of,
    check_ledger,
    connect,
    micros,
    new_key,
    run_clients,
    snapshot,
)
from tests.rating_rows import RateRow, TariffRows, make_product

CLIENTS = 32
ROUNDS = 6
ACCOUNTS = 4
FUNDS = "3.00"
# 0.018 a minute, a first minute then 6 s steps; London dearer, with a connect fee.
RATES = [
    RateRow("", price_micros=18_000),
    RateRow("4420", price_micros=30_000, connect_fee_micros=5_000, description="London"),
]
DESTINATIONS = ["+442071234567", "+33123456789", None]


def _post(api: httpx.Client, path: str, body: dict[str, Any], key: str | None) -> Any:
    """POST once, or twice with the same key (a retry): both answers must be the same."""
    headers = {"Idempotency-Key": key} if key else {}
    response = api.post(path, json=body, headers=headers)
    answer = (response.status_code, answer_of(response))
    # Refusals are not kept: only a granted answer is the one every retry gets.
    if key is not None and response.status_code < 300:
        again = api.post(path, json=body, headers=headers)
        assert (again.status_code, answer_of(again)) == answer, (answer, again.text)
    return answer


def _session(api: httpx.Client, rng: random.Random, account: str) -> list[dict[str, Any]]:
    """One call: reserve, maybe extend, then commit part of the grant or release; returns the
    answers that granted money."""
    key = new_key() if rng.random() < 0.5 else None
    body = {
        "account": account,
        "service": "voice",
        "destination": rng.choice(DESTINATIONS),
        "units": rng.randrange(60, 900),
        "min_units": 60,
    }
    status, auth = _post(api, "/authorizations", body, key)
    if status != 201:
        assert status == 402 and auth["code"] == "insufficient_funds", auth
        assert micros(auth["available_funds"]) >= 0, auth
        return []
    grants = [auth]
    if rng.random() < 0.5:
        status, extended = _post(
            api,
            f"/authorizations/{auth['id']}/extend",
            {"units": rng.randrange(6, 300)},
            new_key() if key else None,
        )
        assert status in (200, 402), extended
        if status == 200:
            assert extended["granted_units"] > auth["granted_units"], extended
            grants.append(extended)
            auth = extended
    if rng.random() < 0.8:
        used = rng.randrange(1, auth["granted_units"] + 1)
        status, done = _post(
            api, f"/authorizations/{auth['id']}/commit", {"units": used}, new_key() if key else None
        )
        assert status == 200 and done["units"] == used and done["overrun_units"] == 0, done
    else:
        status, done = _post(
            api, f"/authorizations/{auth['id']}/release", {}, new_key() if key else None
        )
        assert status == 200 and done["status"] == "released", done
    return grants


def test_rated_grants_never_exceed_the_funds(cluster: Cluster) -> None:
    customer = cluster.create_customer(funds=FUNDS)
    db = Database(cluster.database_url)
    try:
        product = make_product(db, "USD", TariffRows(rates=RATES))
        accounts = [make_account(db, customer, product) for _ in range(ACCOUNTS)]
    finally:
        db.dispose()

    def client(index: int, barrier: threading.Barrier) -> tuple[list[dict[str, Any]], int]:
        rng = random.Random(index)
        grants: list[dict[str, Any]] = []
        refused = 0
        with cluster.client(index) as api:
            connect(api)
            barrier.wait()
            for _ in range(ROUNDS):
                granted = _session(api, rng, accounts[rng.randrange(ACCOUNTS)])
                grants += granted
                refused += not granted
        return grants, refused

    results = run_clients(CLIENTS, client)
    grants = [grant for granted, _ in results for grant in granted]
    # The funds ran out on the way: the limit was tested, not only the happy path.
    assert grants and sum(refused for _, refused in results) > 0
    for grant in grants:
        # The funds left right after each grant or extension: never below zero.
        assert micros(grant["available_funds"]) >= 0, grant

    snap = snapshot(cluster.database_url)
    check_ledger(snap)
    row = snap.customers[customer]
    assert row.available is not None and row.available >= 0, row
    assert row.reserved == 0, row
    used = sum(e["amount_micros"] for e in snap.entries[customer] if e["type"] == "usage")
    assert 0 < used <= micros(FUNDS)
    rated = [a for a in snap.authorizations.values() if a["customer_id"] == customer]
    assert len(rated) == len({g["id"] for g in grants})
    for auth in rated:
        terms = RateTerms(
            auth["price_micros"],
            auth["per"],
            auth["first_interval"],
            auth["next_interval"],
            auth["connect_fee_micros"],
            auth["free_units"],
        )
        assert auth["amount_micros"] == cost_micros(terms, auth["granted_units"]), auth
        if auth["status"] == "committed":
            (entry,) = [e for e in snap.entries[customer] if e["id"] == auth["entry_id"]]
            assert entry["units"] == auth["committed_units"], (auth, entry)
            assert entry["amount_micros"] == cost_micros(terms, auth["committed_units"]), entry
            assert entry["account_id"] == auth["account_id"] and entry["unit"] == "second"
    assert not cluster.server_errors(), cluster.server_errors()
