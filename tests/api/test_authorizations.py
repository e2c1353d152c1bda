"""Reserve, extend, commit, release: grants, refusals and bad input, each changing nothing."""

from __future__ import annotations

import time

import httpx
import pytest
from sqlalchemy import func, select

from kassa.background import Housekeeper
from kassa.db.engine import Database
from kassa.db.models import Authorization, Customer, LedgerEntry
from tests.conftest import Api, customer_body


def _prepaid(api: Api, funds: str = "10.00", **overrides: object) -> int:
    body = customer_body(
        balance_control="prepaid", credit_limit=..., available_funds=funds, **overrides
    )
    response = api.post("/customers", body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _reserve(api: Api, customer_id: int, amount: str = "1.00", **extra: object) -> httpx.Response:
    return api.post(
        f"/customers/{customer_id}/authorizations", {"amount": amount, "service": "voice", **extra}
    )


def _state(db: Database, customer_id: int) -> tuple[int, int, int, int]:
    """(balance, reserved, ledger entries, authorizations) straight from the database."""
    with db.reading() as session:
        customer = session.get_one(Customer, customer_id)
        entries = session.scalar(
            select(func.count())
            .select_from(LedgerEntry)
            .where(LedgerEntry.customer_id == customer_id)
        )
        auths = session.scalar(
            select(func.count())
            .select_from(Authorization)
            .where(Authorization.customer_id == customer_id)
        )
        return customer.balance_micros, customer.reserved_micros, int(entries or 0), int(auths or 0)


def test_reserve_extend_commit(api: Api, db: Database) -> None:
    customer = _prepaid(api)
    reserved = _reserve(api, customer, "4.00", session_id="call-42", ttl_seconds=60)
    assert reserved.status_code == 201, reserved.text
    auth = reserved.json()
    assert auth["status"] == "reserved" and auth["amount"] == "4.00"
    assert auth["available_funds"] == "6.00" and auth["session_id"] == "call-42"
    extended = api.post(f"/authorizations/{auth['id']}/extend", {"amount": "2.00"})
    assert extended.status_code == 200 and extended.json()["amount"] == "6.00"
    listed = api.get(f"/customers/{customer}/authorizations", params={"status": "reserved"})
    assert [a["id"] for a in listed.json()["items"]] == [auth["id"]]
    committed = api.post(f"/authorizations/{auth['id']}/commit", {"amount": "5.123456"})
    assert committed.status_code == 200, committed.text
    body = committed.json()
    assert body["status"] == "committed" and body["committed_amount"] == "5.123456"
    assert body["transaction_id"] is not None
    shown = api.get(f"/customers/{customer}").json()
    assert shown["balance"] == "-4.876544" and shown["reserved"] == "0.00"
    assert shown["available_funds"] == "4.876544"
    entry = api.get(f"/customers/{customer}/transactions").json()["items"][0]
    assert entry["type"] == "usage" and entry["id"] == body["transaction_id"]
    assert entry["authorization_id"] == auth["id"] and entry["service"] == "voice"
    assert api.get(f"/authorizations/{auth['id']}").json()["status"] == "committed"


def test_release_frees_everything_and_posts_nothing(api: Api, db: Database) -> None:
    customer = _prepaid(api)
    auth = _reserve(api, customer, "3.00").json()
    released = api.post(f"/authorizations/{auth['id']}/release")
    assert released.status_code == 200 and released.json()["status"] == "released"
    balance, reserved, entries, _ = _state(db, customer)
    assert (balance, reserved, entries) == (-10_000_000, 0, 1)


def test_exact_and_partial_grants(api: Api) -> None:
    customer = _prepaid(api, "1.00")
    assert _reserve(api, customer, "0.60").status_code == 201
    refused = _reserve(api, customer, "0.60")
    assert refused.status_code == 402
    assert refused.json()["code"] == "insufficient_funds"
    assert refused.json()["available_funds"] == "0.40"
    partial = _reserve(api, customer, "0.60", min_amount="0.25")
    assert partial.status_code == 201 and partial.json()["amount"] == "0.40"
    assert partial.json()["available_funds"] == "0.00"
    assert _reserve(api, customer, "0.10", min_amount="0.01").status_code == 402


def test_postpaid_credit_limit_and_unlimited(api: Api) -> None:
    limited = api.post("/customers", customer_body(credit_limit="5.00")).json()["id"]
    assert _reserve(api, limited, "5.00").status_code == 201
    assert _reserve(api, limited, "0.01").status_code == 402
    unlimited = api.post("/customers", customer_body(credit_limit=None)).json()
    granted = _reserve(api, unlimited["id"], "100000.00")
    assert granted.status_code == 201 and granted.json()["available_funds"] is None


def test_not_active_customers_are_refused(api: Api, db: Database) -> None:
    customer = _prepaid(api)
    api.post(f"/customers/{customer}/status", {"action": "block"})
    refused = _reserve(api, customer)
    assert refused.status_code == 403
    assert refused.json()["code"] == "customer_not_active"
    assert refused.json()["customer_status"] == "blocked"
    api.post(f"/customers/{customer}/status", {"action": "close"})
    closed = _reserve(api, customer)
    assert closed.status_code == 409 and closed.json()["code"] == "customer_closed"
    assert _state(db, customer)[1:] == (0, 1, 0)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": "-1", "service": "voice"}, "amount"),
        ({"amount": "0", "service": "voice"}, "amount"),
        ({"amount": "0.0000001", "service": "voice"}, "amount"),
        ({"amount": "ten", "service": "voice"}, "amount"),
        ({"amount": "1", "service": "data"}, "service"),
        ({"amount": "1"}, "service"),
        ({"amount": "1", "service": "voice", "min_amount": "2"}, "min_amount"),
        ({"amount": "1", "service": "voice", "min_amount": "-0.5"}, "min_amount"),
        ({"amount": "1", "service": "voice", "ttl_seconds": 0}, "ttl_seconds"),
        ({"amount": "1", "service": "voice", "ttl_seconds": 86401}, "ttl_seconds"),
        ({"service": "voice"}, "amount"),
    ],
)
def test_bad_reservations_change_nothing(
    api: Api, db: Database, body: dict[str, object], field: str
) -> None:
    customer = _prepaid(api)
    before = _state(db, customer)
    response = api.post(f"/customers/{customer}/authorizations", body)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field
    assert _state(db, customer) == before


def test_unknown_customer_and_authorization(api: Api) -> None:
    assert _reserve(api, 987654).status_code == 404
    for action, body in (
        ("extend", {"amount": "1"}),
        ("commit", {"amount": "1"}),
        ("release", None),
    ):
        response = api.post(f"/authorizations/987654/{action}", body)
        assert response.status_code == 404
        assert response.json()["code"] == "authorization_not_found"
    assert api.get("/authorizations/987654").status_code == 404


@pytest.mark.parametrize(
    ("amount", "status", "code"),
    [
        ("4.01", 422, "amount_exceeds_reservation"),
        ("0", 422, "validation_failed"),
        ("-1", 422, "validation_failed"),
        ("1.0000001", 422, "validation_failed"),
        ("x", 422, "validation_failed"),
    ],
)
def test_bad_commits_change_nothing(
    api: Api, db: Database, amount: str, status: int, code: str
) -> None:
    customer = _prepaid(api)
    auth = _reserve(api, customer, "4.00").json()
    before = _state(db, customer)
    response = api.post(f"/authorizations/{auth['id']}/commit", {"amount": amount})
    assert response.status_code == status and response.json()["code"] == code
    assert _state(db, customer) == before
    assert api.get(f"/authorizations/{auth['id']}").json()["status"] == "reserved"


def test_double_commit_commit_after_release_and_extend_closed(api: Api, db: Database) -> None:
    customer = _prepaid(api)
    auth = _reserve(api, customer, "2.00").json()
    assert api.post(f"/authorizations/{auth['id']}/commit", {"amount": "1"}).status_code == 200
    before = _state(db, customer)
    again = api.post(f"/authorizations/{auth['id']}/commit", {"amount": "1"})
    assert again.status_code == 409 and again.json()["code"] == "authorization_not_open"
    assert api.post(f"/authorizations/{auth['id']}/release").status_code == 409
    assert api.post(f"/authorizations/{auth['id']}/extend", {"amount": "1"}).status_code == 409
    other = _reserve(api, customer, "2.00").json()
    api.post(f"/authorizations/{other['id']}/release")
    after_release = api.post(f"/authorizations/{other['id']}/commit", {"amount": "1"})
    assert after_release.status_code == 409
    assert _state(db, customer)[:3] == before[:3]


def test_extend_beyond_funds_is_402_and_changes_nothing(api: Api, db: Database) -> None:
    customer = _prepaid(api, "5.00")
    auth = _reserve(api, customer, "4.00").json()
    before = _state(db, customer)
    refused = api.post(f"/authorizations/{auth['id']}/extend", {"amount": "1.01"})
    assert refused.status_code == 402 and refused.json()["available_funds"] == "1.00"
    assert _state(db, customer) == before
    assert api.get(f"/authorizations/{auth['id']}").json()["amount"] == "4.00"


def test_expired_reservation_stops_counting_and_commit_still_posts(api: Api, db: Database) -> None:
    customer = _prepaid(api, "5.00")
    short = _reserve(api, customer, "5.00", ttl_seconds=1).json()
    assert _reserve(api, customer, "1.00").status_code == 402
    time.sleep(1.2)
    shown = api.get(f"/customers/{customer}").json()
    assert shown["reserved"] == "0.00" and shown["available_funds"] == "5.00"
    assert api.get(f"/authorizations/{short['id']}").json()["status"] == "expired"
    extend = api.post(f"/authorizations/{short['id']}/extend", {"amount": "1"})
    assert extend.status_code == 409 and extend.json()["code"] == "authorization_expired"
    fresh = _reserve(api, customer, "5.00")
    assert fresh.status_code == 201, fresh.text
    late = api.post(f"/authorizations/{short['id']}/commit", {"amount": "2.50"})
    assert late.status_code == 200 and late.json()["status"] == "committed"
    balance, reserved, _, _ = _state(db, customer)
    assert balance == -2_500_000 and reserved == 5_000_000


def test_idempotent_reserve_and_commit(api: Api, db: Database) -> None:
    customer = _prepaid(api)
    key = {"Idempotency-Key": "auth-1"}
    first = api.post(
        f"/customers/{customer}/authorizations", {"amount": "1", "service": "voice"}, headers=key
    )
    again = api.post(
        f"/customers/{customer}/authorizations", {"amount": "1", "service": "voice"}, headers=key
    )
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert _state(db, customer)[3] == 1
    commit_key = {"Idempotency-Key": "commit-1"}
    url = f"/authorizations/{first.json()['id']}/commit"
    one = api.post(url, {"amount": "0.5"}, headers=commit_key)
    two = api.post(url, {"amount": "0.5"}, headers=commit_key)
    assert one.status_code == two.status_code == 200 and one.json() == two.json()
    assert _state(db, customer)[2] == 2


def test_service_role_authorizes_but_cannot_pay(api: Api) -> None:
    customer = _prepaid(api)
    service = api.as_token(api.token_for("service"))
    assert _reserve(service, customer).status_code == 201
    assert (
        service.post(f"/customers/{customer}/transactions", {"type": "payment", "amount": "1"})
    ).status_code == 403
    viewer = api.as_token(api.token_for("viewer"))
    assert _reserve(viewer, customer).status_code == 403


def test_usage_import_posts_once_and_reports_each_record(api: Api, db: Database) -> None:
    customer = api.post("/customers", customer_body()).json()["id"]
    record = {
        "customer_id": customer,
        "service": "voice",
        "amount": "0.015",
        "occurred_at": "2026-11-01T10:00:00Z",
        "external_id": "cdr-1",
    }
    batch = {
        "records": [
            record,
            record,
            {**record, "external_id": "cdr-2", "service": "data"},
            {**record, "external_id": "cdr-3", "customer_id": 999999},
            {**record, "external_id": "cdr-4", "amount": "0.0000001"},
        ]
    }
    response = api.post("/usage", batch)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [r["status"] for r in body["results"]] == [
        "posted",
        "duplicate",
        "rejected",
        "rejected",
        "rejected",
    ]
    assert body["results"][2]["errors"][0]["field"] == "records[2].service"
    assert body["results"][4]["errors"][0]["field"] == "records[4].amount"
    again = api.post("/usage", {"records": [record]}).json()
    assert again["results"][0]["status"] == "duplicate"
    balance, _, entries, _ = _state(db, customer)
    assert (balance, entries) == (15_000, 1)
    assert api.post("/usage", {"records": []}).status_code == 422


def test_housekeeper_sweeps_lapsed_reservations(api: Api, db: Database) -> None:
    customer = _prepaid(api, "5.00")
    lapsed = _reserve(api, customer, "2.00", ttl_seconds=1).json()
    live = _reserve(api, customer, "1.00").json()
    time.sleep(1.1)
    swept, _ = Housekeeper(db, 0).run_once()
    assert swept == 1
    with db.reading() as session:
        assert session.get_one(Authorization, lapsed["id"]).status == "expired"
        assert session.get_one(Authorization, lapsed["id"]).held_micros == 0
        assert session.get_one(Authorization, live["id"]).status == "reserved"
    assert _state(db, customer)[1] == 1_000_000
    assert Housekeeper(db, 0).run_once()[0] == 0
    # Releasing a swept reservation gives nothing back twice.
    released = api.post(f"/authorizations/{lapsed['id']}/release")
    assert released.status_code == 200, released.text
    assert released.json()["status"] == "released"
    assert released.json()["available_funds"] == "4.00"
    assert _state(db, customer)[1] == 1_000_000
