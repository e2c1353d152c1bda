"""The raw database floor: the driver Kassa uses, configured as Kassa configures it, and the
customer row Kassa writes, inserted with one SQL statement per transaction.

Shared by the minimal HTTP app and the in-process baseline, so both floors do the same work.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import psycopg
from bench_db import connect_sqlite, is_sqlite, pg_conninfo

MICROS = 1_000_000

INSERT_COLUMNS = (
    "name, name_key, balance_control, currency, credit_limit_micros, balance_micros, "
    "reserved_micros, business_model_id, customer_class_id, billing_period, billing_timezone, "
    "email, custom_data, status, created_at, updated_at"
)


def connect(url: str) -> Any:
    """A DB-API connection with Kassa's settings: on SQLite WAL, ``synchronous=FULL``, foreign
    keys and a busy timeout, transactions opened by the caller (``BEGIN IMMEDIATE``)."""
    if is_sqlite(url):
        return connect_sqlite(url)
    return psycopg.connect(pg_conninfo(url), autocommit=True)


def name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def sqlite_timestamp(value: datetime) -> str:
    """How SQLAlchemy stores a UTC datetime in SQLite, so both writers leave the same text."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def default_class_id(conn: Any) -> int:
    row = conn.execute("SELECT id FROM customer_classes WHERE is_default").fetchone()
    return int(row[0])


def is_sqlite_connection(conn: Any) -> bool:
    return isinstance(conn, sqlite3.Connection)


def customer_row(body: dict[str, Any], class_id: int, sqlite: bool) -> tuple[Any, ...]:
    name = " ".join(body["name"].split())
    limit = body.get("credit_limit")
    now = datetime.now(UTC)
    stamp: Any = sqlite_timestamp(now) if sqlite else now
    return (
        name,
        name_key(name),
        body["balance_control"],
        body["currency"],
        None if limit is None else int(Decimal(str(limit)) * MICROS),
        0,
        0,
        body["business_model_id"],
        body.get("customer_class_id") or class_id,
        body.get("billing_period", "monthly"),
        body.get("billing_timezone", "UTC"),
        body.get("email"),
        json.dumps(body.get("custom_data") or {}),
        "active",
        stamp,
        stamp,
    )


def insert_customer(conn: Any, row: tuple[Any, ...]) -> int:
    """One customer, one transaction, committed before returning its id."""
    placeholders = ", ".join(["?"] * len(row))
    if is_sqlite_connection(conn):
        conn.execute("BEGIN IMMEDIATE")
        try:
            (new_id,) = conn.execute(
                f"INSERT INTO customers ({INSERT_COLUMNS}) VALUES ({placeholders}) RETURNING id",
                row,
            ).fetchone()
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return int(new_id)
    placeholders = ", ".join(["%s"] * len(row))
    with conn.transaction():
        (new_id,) = conn.execute(
            f"INSERT INTO customers ({INSERT_COLUMNS}) VALUES ({placeholders}) RETURNING id",
            row,
        ).fetchone()
    return int(new_id)
