"""A tariff's rates from a CSV file: all or nothing, every bad line named."""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import replace

from fastapi.testclient import TestClient

from kassa.app import create_app
from kassa.core.settings import Settings
from kassa.db.engine import Database
from tests.api.rating_support import HEADER, all_rates, make_tariff, put_csv, rate_body
from tests.api.support import assert_problem
from tests.api.test_audit import trail
from tests.conftest import Api

Unchanged = Callable[[], AbstractContextManager[None]]


def test_import_adds_rates(api: Api) -> None:
    tariff = make_tariff(api)
    csv = (
        f"{HEADER},description\n"
        '4420,0.0120,60,60,6,0.00,0,,"United Kingdom, London"\n'
        "44,0.02,60,,,,5,2027-01-01,United Kingdom\n"
        ",0.1,60,30,30,0.05,0,2027-03-01T12:00:00Z,\n"
    )
    response = put_csv(api, tariff["id"], csv)
    assert response.status_code == 200, response.text
    assert response.json() == {"imported": 3}
    rates = {r["prefix"]: r for r in all_rates(api, tariff["id"])}
    assert rates["4420"]["description"] == "United Kingdom, London"
    assert rates["4420"]["effective_from"] is None
    assert (rates["44"]["first_interval"], rates["44"]["next_interval"]) == (1, 1)
    assert rates["44"]["free_units"] == 5
    assert rates["44"]["effective_from"] == "2027-01-01T00:00:00Z"
    assert rates[""]["connect_fee"] == "0.05"
    assert rates[""]["effective_from"] == "2027-03-01T12:00:00Z"
    assert rates[""]["description"] is None
    (imported,) = trail(api, "tariff", tariff["id"])[1:]
    assert imported["action"] == "import"
    assert imported["after"] == {"imported": 3, "replaced": 0}


def test_the_description_column_is_optional(api: Api) -> None:
    tariff = make_tariff(api)
    response = put_csv(api, tariff["id"], f"\ufeff{HEADER}\r\n420,0.01,60,60,1,0,0,\r\n")
    assert response.json() == {"imported": 1}
    (rate,) = all_rates(api, tariff["id"])
    assert rate["description"] is None


def test_a_row_replaces_the_rate_with_the_same_prefix_and_effective_from(api: Api) -> None:
    tariff = make_tariff(api)
    path = f"/tariffs/{tariff['id']}/rates"
    kept = api.post(path, rate_body(prefix="1")).json()
    api.post(path, rate_body(prefix="4420", price="0.5"))
    api.post(path, rate_body(prefix="4420", price="0.7", effective_from="2027-01-01T00:00:00Z"))
    response = put_csv(
        api,
        tariff["id"],
        f"{HEADER}\n4420,0.9,60,60,6,0,0,\n4420,0.8,60,60,6,0,0,2027-01-01T00:00:00+00:00\n"
        "4421,0.3,60,60,6,0,0,\n",
    )
    assert response.json() == {"imported": 3}
    rates = all_rates(api, tariff["id"])
    assert len(rates) == 4
    prices = {(r["prefix"], r["effective_from"]): r["price"] for r in rates}
    assert prices == {
        ("1", None): "0.012",
        ("4420", None): "0.90",
        ("4420", "2027-01-01T00:00:00Z"): "0.80",
        ("4421", None): "0.30",
    }
    assert kept in rates
    assert trail(api, "tariff", tariff["id"])[-1]["after"] == {"imported": 3, "replaced": 2}


def test_bad_rows_are_all_reported_and_nothing_is_imported(
    api: Api, nothing_changes: Unchanged
) -> None:
    tariff = make_tariff(api)
    csv = (
        f"{HEADER},description\n"
        "4420,0.0120,60,60,6,0.00,0,,London\n"
        "4421,abc,60,60,6,0.00,0,,\n"
        "+44,0.01,0,60,6,0,0,,\n"
        "\n"
        "4422,0.01,60,60,6,0,0,soon,\n"
        "4423,0.01,60\n"
        "4420,0.02,60,60,6,0,0,,again\n"
        "4424,0.0000001,60,60,6,-1,x,2027-01-01T00:00:00,\n"
        "4425,,60,60,6,0,0,,\n"
        "4426,0.1,60,60,6,0,0,,ok,extra\n"
    )
    with nothing_changes():
        response = put_csv(api, tariff["id"], csv)
    body = assert_problem(response, 422, "invalid_rate_file")
    found = [(e["line"], e.get("column"), e["field"]) for e in body["errors"]]
    assert found == [
        (3, "price", "price"),
        (4, "prefix", "prefix"),
        (4, "per", "per"),
        (6, "effective_from", "effective_from"),
        (7, "first_interval", "first_interval"),
        (8, "prefix", "prefix"),
        (9, "price", "price"),
        (9, "connect_fee", "connect_fee"),
        (9, "free_units", "free_units"),
        (9, "effective_from", "effective_from"),
        (10, "price", "price"),
        (11, None, "line"),
    ]
    first = body["errors"][0]
    assert first["message"].startswith("line 3, column price: ")
    assert "line 2" in body["errors"][5]["message"]
    assert "nothing was imported" in body["detail"]


def test_errors_stop_at_a_hundred(api: Api) -> None:
    tariff = make_tariff(api)
    csv = HEADER + "\n" + "".join(f"{i},x,60,60,6,0,0,\n" for i in range(500))
    body = assert_problem(put_csv(api, tariff["id"], csv), 422, "invalid_rate_file")
    assert len(body["errors"]) == 100
    assert body["errors"][-1]["line"] == 101
    assert "first 100 errors" in body["detail"]


def test_header_errors(api: Api, nothing_changes: Unchanged) -> None:
    tariff = make_tariff(api)
    with nothing_changes():
        body = assert_problem(
            put_csv(api, tariff["id"], "prefix,cost,per\n1,2,3\n"), 422, "invalid_rate_file"
        )
        (error,) = body["errors"]
        assert (error["line"], error["column"]) == (1, "price")
        assert "'cost'" in error["message"]
        body = assert_problem(
            put_csv(api, tariff["id"], "4420,0.01,60,60,6,0,0,\n"), 422, "invalid_rate_file"
        )
        assert body["errors"][0]["line"] == 1
        body = assert_problem(put_csv(api, tariff["id"], f"{HEADER},description,note\n"), 422)
        assert body["errors"][0]["line"] == 1
        assert_problem(put_csv(api, tariff["id"], ""), 422, "invalid_rate_file", field="body")
        assert_problem(put_csv(api, tariff["id"], "\n \n"), 422, field="body")
        assert_problem(put_csv(api, tariff["id"], b"\xff\xfe"), 422, field="body")
    # An empty file of rates (the header alone) imports none.
    assert put_csv(api, tariff["id"], HEADER.upper()).json() == {"imported": 0}


def test_broken_csv_and_wrong_media_type(api: Api, nothing_changes: Unchanged) -> None:
    tariff = make_tariff(api)
    with nothing_changes():
        body = assert_problem(put_csv(api, tariff["id"], f'{HEADER}\n"44,0.1,60,60,6,0,0,\n'), 422)
        assert body["errors"][0]["line"] == 2
        assert_problem(put_csv(api, tariff["id"], f"{HEADER}\n\x00\n"), 422, field="body")
        assert_problem(
            put_csv(api, tariff["id"], f"{HEADER}\n", content_type="application/json"),
            415,
            "unsupported_media_type",
        )
        assert_problem(
            put_csv(api, tariff["id"], f"{HEADER},description\n44,0.1,60,60,6,0,0,,\x01\n"),
            422,
            field="description",
        )
    assert_problem(put_csv(api, 999999, f"{HEADER}\n"), 404, "tariff_not_found")
    viewer = api.as_token(api.token_for("viewer"))
    assert_problem(put_csv(viewer, tariff["id"], f"{HEADER}\n"), 403)


def test_a_hundred_thousand_rates_import_in_one_request(api: Api) -> None:
    """Some 5 MB, past the ordinary body limit: the upload routes take more. The import
    parses in Python and writes with bulk statements, so this runs in seconds."""
    tariff = make_tariff(api)
    lines = [f"{HEADER},description"]
    lines += [f"44{i:06d},0.{i % 1000:04d},60,60,6,0.00,0,,Destination {i}" for i in range(100_000)]
    csv = "\n".join(lines) + "\n"
    assert len(csv) > 4_000_000
    response = put_csv(api, tariff["id"], csv)
    assert response.status_code == 200, response.text[:500]
    assert response.json() == {"imported": 100_000}
    page = api.get(f"/tariffs/{tariff['id']}/rates", params={"prefix": "44012345"}).json()
    assert [(r["prefix"], r["price"], r["description"]) for r in page["items"]] == [
        ("44012345", "0.0345", "Destination 12345")
    ]
    # Again: every row replaces one.
    assert put_csv(api, tariff["id"], csv).json() == {"imported": 100_000}
    assert trail(api, "tariff", tariff["id"])[-1]["after"] == {
        "imported": 100_000,
        "replaced": 100_000,
    }


def test_uploads_have_their_own_body_limit(settings: Settings, db: Database) -> None:
    small = replace(settings, max_body_bytes=1000, max_upload_bytes=5000)
    with TestClient(create_app(small, db)) as client:
        api = Api(client)
        tariff = make_tariff(api)
        rows = "".join(f"{i},0.1,60,60,6,0,0,\n" for i in range(100, 200))
        assert 1000 < len(HEADER) + len(rows) < 5000
        assert put_csv(api, tariff["id"], f"{HEADER}\n{rows}").json() == {"imported": 100}
        assert_problem(put_csv(api, tariff["id"], "x" * 5001), 413, "payload_too_large")
        too_big = {"name": "x" * 1000, "currency": "USD", "service": "voice", "unit": "second"}
        assert_problem(api.post("/tariffs", too_big), 413, "payload_too_large")


def test_imports_and_rates_added_at_once_take_turns(api: Api, db: Database) -> None:
    """Each import reads the rates it replaces under the tariff's row lock: files sent at the
    same moment replace one another's rates instead of colliding on the unique key."""
    tariff = make_tariff(api)
    csv = HEADER + "\n" + "".join(f"{i},0.1,60,60,6,0,0,\n" for i in range(1000, 3000))
    results: list[int] = []

    def send() -> None:
        results.append(put_csv(api, tariff["id"], csv).status_code)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    added = api.post(f"/tariffs/{tariff['id']}/rates", rate_body(prefix="1500"))
    for thread in threads:
        thread.join(timeout=60)
    assert results == [200] * 4
    assert added.status_code in (201, 409)
    assert len(all_rates(api, tariff["id"])) == 2000
