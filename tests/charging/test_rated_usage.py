"""CDR import: records naming an account and units are rated by its product at the time they
happened, once per external id; a record that cannot be rated is rejected alone."""

from __future__ import annotations

from datetime import UTC, datetime

from kassa.db.engine import Database
from kassa.db.models.rate import ALWAYS_EFFECTIVE
from tests.charging.support import LONDON, line, state
from tests.conftest import Api
from tests.rating_rows import RateRow


def _record(who: str, external_id: str, **change: object) -> dict[str, object]:
    record: dict[str, object] = {
        "account": who,
        "service": "voice",
        "destination": LONDON,
        "units": 61,
        "occurred_at": "2030-03-01T10:00:00Z",
        "external_id": external_id,
    }
    record.update(change)
    return {k: v for k, v in record.items() if v is not ...}


def test_cdrs_are_rated_posted_once_and_bad_ones_rejected(api: Api, db: Database) -> None:
    rates = [
        RateRow("44", description="UK"),
        RateRow("44", price_micros=24_000, effective_from=datetime(2030, 2, 1, tzinfo=UTC)),
        RateRow("4420", price_micros=60_000, effective_from=datetime(2031, 1, 1, tzinfo=UTC)),
    ]
    lined = line(api, db, "10.00", *rates)
    money = {
        "customer_id": lined.customer_id,
        "service": "voice",
        "amount": "0.015",
        "occurred_at": "2030-03-01T10:00:00Z",
        "external_id": "money-1",
    }
    batch = [
        _record(lined.account, "cdr-1"),
        _record(lined.account, "cdr-1"),
        _record(lined.account, "cdr-2", destination="+33123"),
        _record(lined.account, "cdr-3", occurred_at="2030-01-15T10:00:00Z", units=120),
        money,
        _record("+999", "cdr-4"),
        _record(lined.account, "cdr-5", service="data"),
        _record(lined.account, "cdr-6", units=..., amount="1.00"),
        _record(lined.account, "cdr-7", destination="44-20"),
    ]
    answer = api.post("/usage", {"records": batch})
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [r["status"] for r in results] == [
        "posted",
        "duplicate",
        "rejected",
        "posted",
        "posted",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
    ]
    assert results[2]["code"] == "no_rate"
    assert results[2]["errors"][0]["field"] == "records[2].destination"
    assert results[5]["code"] == "account_not_found"
    assert results[5]["errors"][0]["field"] == "records[5].account"
    assert results[6]["errors"][0]["field"] == "records[6].service"
    assert results[7]["errors"][0]["field"] == "records[7].amount"
    assert results[8]["errors"][0]["field"] == "records[8].destination"
    entries = {
        e["external_id"]: e
        for e in api.get(f"/customers/{lined.customer_id}/transactions").json()["items"]
    }
    # 61 s bill as 66: at 0.024 a minute from February, at 0.012 before.
    assert entries["cdr-1"]["amount"] == "0.0264" and entries["cdr-1"]["units"] == 61
    assert entries["cdr-1"]["destination"] == LONDON and entries["cdr-1"]["rate_prefix"] == "44"
    assert entries["cdr-1"]["unit"] == "second" and entries["cdr-1"]["account_id"] is not None
    assert entries["cdr-3"]["amount"] == "0.024" and entries["cdr-3"]["rate_description"] == "UK"
    assert entries["money-1"]["amount"] == "0.015" and entries["money-1"]["units"] is None
    again = api.post("/usage", {"records": [_record(lined.account, "cdr-1")]}).json()
    assert again["results"][0]["status"] == "duplicate"
    balance, reserved, count, _ = state(db, lined.customer_id)
    assert (balance, reserved, count) == (-10_000_000 + 26_400 + 24_000 + 15_000, 0, 4)


def test_a_record_needs_a_customer_or_an_account(api: Api, db: Database) -> None:
    lined = line(api, db, "1.00", RateRow("", effective_from=ALWAYS_EFFECTIVE))
    batch = [
        _record(lined.account, "a", account=...),
        _record(lined.account, "b", units=...),
        _record(lined.account, "c", customer_id=lined.customer_id),
        {**_record(lined.account, "d", account=..., destination=..., units=...), "customer_id": 1},
    ]
    results = api.post("/usage", {"records": batch}).json()["results"]
    assert [r["status"] for r in results] == ["rejected"] * 4
    assert [r["errors"][0]["field"] for r in results] == [
        "records[0].customer_id",
        "records[1].units",
        "records[2].customer_id",
        "records[3].amount",
    ]
    assert state(db, lined.customer_id)[2] == 1
