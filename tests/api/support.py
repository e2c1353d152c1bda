"""Assertions the API tests share: problem+json answers, and "this request changed nothing"."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import select, text

from kassa.db.base import Base
from kassa.db.engine import Database

PROBLEM_KEYS = {"type", "title", "status", "detail", "code", "errors"}


def assert_problem(
    response: httpx.Response,
    status: int,
    code: str | None = None,
    field: str | None = None,
) -> dict[str, Any]:
    """An RFC 9457 answer of ``status`` with the stable ``code`` that names ``field``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), (
        response.headers["content-type"]
    )
    body: dict[str, Any] = response.json()
    assert body.keys() >= PROBLEM_KEYS, body
    assert body["status"] == status
    assert isinstance(body["code"], str) and body["code"], body
    assert body["code"] == body["code"].lower() and " " not in body["code"], body
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    assert body["type"].endswith(body["code"]), body
    for error in body["errors"]:
        assert set(error) >= {"field", "message"}, error
        assert error["field"] and error["message"], error
    if code is not None:
        assert body["code"] == code, body
    if field is not None:
        fields = [e["field"] for e in body["errors"]]
        assert field in fields, f"{field!r} not named in {fields}: {body}"
    return body


def database_state(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order: two equal states mean nothing changed."""
    state: dict[str, list[tuple[Any, ...]]] = {}
    with db.reading() as session:
        for table in Base.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            rows = session.execute(select(table).order_by(*order))
            state[table.name] = [tuple(row) for row in rows]
    return state


@contextmanager
def unchanged(db: Database) -> Iterator[None]:
    before = database_state(db)
    yield
    after = database_state(db)
    for name in before:
        assert after[name] == before[name], f"table {name} changed"


def ledger_of(db: Database, customer_id: int) -> list[tuple[str, int]]:
    with db.reading() as session:
        rows = session.execute(
            text(
                "SELECT type, amount_micros FROM ledger_entries WHERE customer_id = :id ORDER BY id"
            ),
            {"id": customer_id},
        )
        return [(str(t), int(a)) for t, a in rows]


def balance_micros(db: Database, customer_id: int) -> int:
    with db.reading() as session:
        value = session.execute(
            text("SELECT balance_micros FROM customers WHERE id = :id"), {"id": customer_id}
        ).scalar_one()
        return int(value)
