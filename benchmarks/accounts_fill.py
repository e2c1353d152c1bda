"""A large account table for the accounts benchmark, filled fast and cached between runs
(SQLite under benchmarks/.cache, PostgreSQL as ``kassa_bench_accounts``).

The customers come from customers_fill (ten accounts each); every account gets the product of
its customer's currency. Identifiers alternate between phone numbers and SIP logins, built
from the row number, so the same rows come back on every fill and on both databases.
"""

from __future__ import annotations

import itertools
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import customers_fill
from customers_databases import (
    CACHE,
    PG_SERVER,
    log,
    pg_exists,
    prepare,
    recreate_pg,
    remove_sqlite,
)
from customers_sql import connect, is_sqlite, sqlite_timestamp
from sqlalchemy import inspect, text

from kassa.db import migrate
from kassa.db.engine import make_engine

FILL_VERSION = "1"
MARKER_KEY = "benchmark_accounts_fill"
ACCOUNTS_PER_CUSTOMER = 10
CHUNK = 50_000
PG_FILLED_DB = "kassa_bench_accounts"
DEFAULT_ACCOUNTS = 1_000_000
COLUMNS = (
    "customer_id, identifier, product_id, status, max_sessions, password_hash, "
    "created_at, updated_at"
)
# The shape of an Argon2 hash, never checked here: the lookups read the row, not the password.
FAKE_HASH = "$argon2id$v=19$m=65536,t=3,p=4$YmVuY2htYXJrc2FsdA$YmVuY2htYXJraGFzaHZhbHVlMDEyMzQ1Njc"


def identifier(row: int) -> str:
    """Row ``row`` (0-based): even rows a phone number, odd rows a SIP login."""
    if row % 2 == 0:
        return f"+420{600_000_000 + row}"
    return f"sip{row:08d}@voip.example.net"


def _marker(count: int) -> str:
    return f"{count}:{FILL_VERSION}"


def is_current(url: str, count: int) -> bool:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            tables = inspect(conn).get_table_names()
            if "app_settings" not in tables or "alembic_version" not in tables:
                return False
            found = conn.execute(
                text("SELECT value FROM app_settings WHERE key = :k"), {"k": MARKER_KEY}
            ).scalar()
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        return found == _marker(count) and revision == migrate.head_revision(engine)
    finally:
        engine.dispose()


def _products(conn: Any, sqlite: bool) -> dict[str, int]:
    now = datetime.now(UTC)
    stamp: Any = sqlite_timestamp(now) if sqlite else now
    mark = "?" if sqlite else "%s"
    found = {}
    for currency in ("USD", "EUR"):
        name = f"Benchmark voice {currency}"
        if sqlite:
            conn.execute("BEGIN IMMEDIATE")
        (found[currency],) = conn.execute(
            "INSERT INTO products (name, name_key, currency, description, created_at, updated_at)"
            f" VALUES ({', '.join([mark] * 6)}) RETURNING id",
            (name, name.casefold(), currency, "", stamp, stamp),
        ).fetchone()
        if sqlite:
            conn.execute("COMMIT")
    return found


def _rows(
    count: int, customers: list[tuple[int, str]], products: dict[str, int], sqlite: bool
) -> Iterator[tuple[Any, ...]]:
    epoch = datetime(2024, 1, 1, tzinfo=UTC)
    for row in range(count):
        customer_id, currency = customers[row % len(customers)]
        created = epoch + timedelta(seconds=row * 30)
        stamp: Any = sqlite_timestamp(created) if sqlite else created
        status = "closed" if row % 200 == 0 else "blocked" if row % 50 == 0 else "active"
        yield (
            customer_id,
            identifier(row),
            products[currency],
            status,
            None if row % 3 == 0 else row % 4 + 1,
            FAKE_HASH if row % 2 else None,
            stamp,
            stamp,
        )


def fill(url: str, count: int) -> None:
    """``count`` accounts (and their customers) into an empty, bootstrapped database."""
    customers_fill.fill(url, max(1, count // ACCOUNTS_PER_CUSTOMER))
    conn = connect(url)
    sqlite = is_sqlite(url)
    customers = [(int(i), str(c)) for i, c in conn.execute("SELECT id, currency FROM customers")]
    customers.sort()
    products = _products(conn, sqlite)
    started = time.perf_counter()
    rows = _rows(count, customers, products, sqlite)
    if sqlite:
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-262144")
    done = 0
    while done < count:
        chunk = list(itertools.islice(rows, CHUNK))
        if sqlite:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(
                f"INSERT INTO accounts ({COLUMNS}) VALUES ({', '.join('?' * 8)})", chunk
            )
            conn.execute("COMMIT")
        else:
            copy_sql = f"COPY accounts ({COLUMNS}) FROM STDIN"
            with conn.transaction(), conn.cursor() as cur, cur.copy(copy_sql) as copy:
                for item in chunk:
                    copy.write_row(item)
        done += len(chunk)
        rate = done / (time.perf_counter() - started)
        print(
            f"    filled {done:>9,} / {count:,} accounts  {rate:>8,.0f}/s  "
            f"eta {(count - done) / rate:5.0f} s",
            file=sys.stderr,
            flush=True,
        )
    mark = "?, ?" if sqlite else "%s, %s"
    conn.execute(
        f"INSERT INTO app_settings (key, value) VALUES ({mark})", (MARKER_KEY, _marker(count))
    )
    if sqlite:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    else:
        conn.execute("VACUUM ANALYZE accounts")
    conn.close()
    log(f"    accounts filled in {time.perf_counter() - started:.0f} s")


def pg_filled_name(count: int) -> str:
    return PG_FILLED_DB if count == DEFAULT_ACCOUNTS else f"{PG_FILLED_DB}_{count}"


def filled_database(backend: str, count: int, refill: bool) -> str:
    """The large table, reused while it holds this fill at the newest schema."""
    if backend == "sqlite":
        path = CACHE / f"accounts-{count}.db"
        url = f"sqlite:///{path}"
        exists = path.exists()
    else:
        url = f"{PG_SERVER}/{pg_filled_name(count)}"
        exists = pg_exists(pg_filled_name(count))
    if exists and not refill and is_current(url, count):
        log(f"[{backend}] reusing the filled database ({count:,} accounts): {url}")
        return url
    log(f"[{backend}] filling {count:,} accounts into {url}")
    if backend == "sqlite":
        remove_sqlite(CACHE / f"accounts-{count}.db")
    else:
        recreate_pg(pg_filled_name(count))
    prepare(url)
    fill(url, count)
    return url
