"""Operator transactions: signs, precision, refusals, idempotency and the ledger listing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kassa.db.engine import Database
from kassa.db.models import LedgerEntry, OutboxEvent
from tests.conftest import Api, customer_body

SIGNS = {
    "payment": "-",
    "refund": "+",
    "manual_charge": "+",
    "manual_credit": "-",
    "promotional_credit": "-",
}


def _customer(api: Api, **overrides: object) -> dict[str, object]:
    response = api.post("/customers", customer_body(**overrides))
    assert response.status_code == 201, response.text
    return dict(response.json())


def _ledger_sum(db: Database, customer_id: int) -> int:
    with db.reading() as session:
        return int(
            session.scalar(
                select(func.coalesce(func.sum(LedgerEntry.amount_micros), 0)).where(
                    LedgerEntry.customer_id == customer_id
                )
            )
        )


def _entries(db: Database, customer_id: int) -> int:
    with db.reading() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(LedgerEntry)
                .where(LedgerEntry.customer_id == customer_id)
            )
        )


@pytest.mark.parametrize("entry_type", sorted(SIGNS))
def test_each_type_moves_the_balance_its_way(api: Api, db: Database, entry_type: str) -> None:
    customer = _customer(api)
    response = api.post(
        f"/customers/{customer['id']}/transactions",
        {"type": entry_type, "amount": "12.50", "visible_comment": "seen", "internal_comment": "x"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    expected = "-12.50" if SIGNS[entry_type] == "-" else "12.50"
    assert body["amount"] == "12.50"
    assert body["balance_after"] == expected
    assert body["visible_comment"] == "seen" and body["internal_comment"] == "x"
    assert body["user_id"] is not None
    got = api.get(f"/customers/{customer['id']}").json()
    assert got["balance"] == expected
    assert _ledger_sum(db, int(customer["id"])) == int(float(expected) * 1_000_000)


@pytest.mark.parametrize(
    ("amount", "message_part"),
    [
        ("-1.00", "negative"),
        ("0", "greater than zero"),
        ("0.00", "greater than zero"),
        ("1.001", "decimal"),
        ("abc", "not a decimal"),
        ("", "empty"),
        ("NaN", "number"),
        (True, "decimal number"),
    ],
)
def test_bad_amounts_are_refused_and_change_nothing(
    api: Api, db: Database, amount: object, message_part: str
) -> None:
    customer = _customer(api)
    response = api.post(
        f"/customers/{customer['id']}/transactions", {"type": "payment", "amount": amount}
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    errors = response.json()["errors"]
    assert errors and errors[0]["field"] == "amount"
    assert message_part in errors[0]["message"]
    assert _entries(db, int(customer["id"])) == 0


def test_json_numbers_are_read_exactly(api: Api) -> None:
    customer = _customer(api)
    response = api.post(
        f"/customers/{customer['id']}/transactions", {"type": "manual_charge", "amount": 0.1}
    )
    assert response.status_code == 201
    assert response.json()["amount"] == "0.10"


def test_zero_decimal_currency(api: Api) -> None:
    assert api.put("/currencies/JPY", {"enabled": True}).status_code == 200
    customer = _customer(api, currency="JPY", credit_limit="1000")
    url = f"/customers/{customer['id']}/transactions"
    assert api.post(url, {"type": "payment", "amount": "1.5"}).status_code == 422
    ok = api.post(url, {"type": "payment", "amount": "150"})
    assert ok.status_code == 201 and ok.json()["amount"] == "150"


def test_unknown_type_customer_and_closed_customer(api: Api) -> None:
    customer = _customer(api)
    url = f"/customers/{customer['id']}/transactions"
    bad_type = api.post(url, {"type": "usage", "amount": "1"})
    assert bad_type.status_code == 422 and bad_type.json()["errors"][0]["field"] == "type"
    missing = api.post("/customers/999999/transactions", {"type": "payment", "amount": "1"})
    assert missing.status_code == 404 and missing.json()["code"] == "customer_not_found"
    extra = api.post(url, {"type": "payment", "amount": "1", "colour": "red"})
    assert extra.status_code == 422 and extra.json()["errors"][0]["field"] == "colour"
    assert api.post(f"/customers/{customer['id']}/status", {"action": "close"}).status_code == 200
    closed = api.post(url, {"type": "payment", "amount": "1"})
    assert closed.status_code == 409 and closed.json()["code"] == "customer_closed"


def test_blocked_customer_can_still_pay(api: Api) -> None:
    customer = _customer(api)
    api.post(f"/customers/{customer['id']}/status", {"action": "block"})
    response = api.post(
        f"/customers/{customer['id']}/transactions", {"type": "payment", "amount": "5"}
    )
    assert response.status_code == 201


def test_idempotency_key_replays_and_refuses_reuse(api: Api, db: Database) -> None:
    customer = _customer(api)
    url = f"/customers/{customer['id']}/transactions"
    key = {"Idempotency-Key": "pay-1"}
    first = api.post(url, {"type": "payment", "amount": "5.00"}, headers=key)
    again = api.post(url, {"type": "payment", "amount": "5.00"}, headers=key)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again.headers.get("idempotent-replayed") == "true"
    other = api.post(url, {"type": "payment", "amount": "6.00"}, headers=key)
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"
    assert _entries(db, int(customer["id"])) == 1
    # A key is the caller's own: another user's identical key is another request.
    token = api.token_for("operator")
    theirs = api.as_token(token).post(url, {"type": "payment", "amount": "5.00"}, headers=key)
    assert theirs.status_code == 201 and theirs.json()["id"] != first.json()["id"]


def test_listing_is_newest_first_and_paged(api: Api) -> None:
    customer = _customer(api, balance_control="prepaid", credit_limit=..., available_funds="1.00")
    url = f"/customers/{customer['id']}/transactions"
    for cents in range(1, 8):
        api.post(url, {"type": "payment", "amount": f"0.0{cents}"})
    seen: list[int] = []
    cursor = None
    while True:
        page = api.get(url, params={"limit": 3, **({"cursor": cursor} if cursor else {})}).json()
        seen.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen, reverse=True) and len(seen) == 8
    only = api.get(url, params={"type": "payment"}).json()["items"]
    assert len(only) == 8
    assert api.get(url, params={"limit": 0}).status_code == 422
    assert api.get(url, params={"cursor": "%%%"}).status_code == 422
    assert api.get("/customers/424242/transactions").status_code == 404


def test_roles(api: Api) -> None:
    customer = _customer(api)
    url = f"/customers/{customer['id']}/transactions"
    viewer = api.as_token(api.token_for("viewer"))
    service = api.as_token(api.token_for("service"))
    assert viewer.post(url, {"type": "payment", "amount": "1"}).status_code == 403
    assert service.post(url, {"type": "payment", "amount": "1"}).status_code == 403
    assert viewer.get(url).status_code == 200
    assert api.as_token(None).post(url, {"type": "payment", "amount": "1"}).status_code == 401


def test_payment_event_and_credit_limit_alerts(api: Api, db: Database) -> None:
    klass = api.post(
        "/customer-classes", {"name": "Alerts", "credit_limit_warnings": ["50", "80"]}
    ).json()
    customer = _customer(api, customer_class_id=klass["id"], credit_limit="100.00")
    url = f"/customers/{customer['id']}/transactions"
    api.post(url, {"type": "manual_charge", "amount": "60"})  # crosses 50%
    api.post(url, {"type": "manual_charge", "amount": "10"})  # 70%: nothing new
    api.post(url, {"type": "manual_charge", "amount": "35"})  # crosses 80% and the limit
    api.post(url, {"type": "payment", "amount": "60"})  # back to 45%: re-armed
    api.post(url, {"type": "manual_charge", "amount": "10"})  # crosses 50% again

    with db.reading() as session:
        stored = list(
            session.scalars(
                select(OutboxEvent)
                .where(OutboxEvent.customer_id == customer["id"])
                .order_by(OutboxEvent.id)
            )
        )
        entries = list(
            session.scalars(
                select(LedgerEntry.id)
                .where(LedgerEntry.customer_id == customer["id"])
                .order_by(LedgerEntry.id)
            )
        )
    events = [(e.event_type, e.payload.get("threshold_percent")) for e in stored]
    assert events == [
        ("credit_limit_warning", "50"),
        ("credit_limit_warning", "80"),
        ("credit_limit_reached", None),
        ("payment_received", None),
        ("credit_limit_warning", "50"),
    ]
    # Each crossing is keyed by the entry that made it: the second 50% crossing is its own.
    c = customer["id"]
    assert [e.dedupe_key for e in stored] == [
        f"credit_limit_warning:{c}:50%:{entries[0]}",
        f"credit_limit_warning:{c}:80%:{entries[2]}",
        f"credit_limit_reached:{c}:{entries[2]}",
        None,
        f"credit_limit_warning:{c}:50%:{entries[4]}",
    ]
    assert api.get(f"/customers/{customer['id']}").json()["status"] == "active"


def test_prepaid_funds_depleted_event_once(api: Api, db: Database) -> None:
    customer = _customer(api, balance_control="prepaid", credit_limit=..., available_funds="5.00")
    url = f"/customers/{customer['id']}/transactions"
    api.post(url, {"type": "manual_charge", "amount": "5.00"})
    api.post(url, {"type": "manual_charge", "amount": "1.00"})
    with db.reading() as session:
        depleted = session.scalar(
            select(func.count())
            .select_from(OutboxEvent)
            .where(
                OutboxEvent.customer_id == customer["id"],
                OutboxEvent.event_type == "funds_depleted",
            )
        )
    assert depleted == 1
    shown = api.get(f"/customers/{customer['id']}").json()
    assert shown["status"] == "no_available_funds" and shown["available_funds"] == "-1.00"
