"""The databases the customer benchmarks run on: a fresh one per run for the creation figures,
and a large filled one, cached between runs (SQLite under benchmarks/.cache, PostgreSQL as
``kassa_bench_customers``)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import customers_fill as fill
import customers_sql as raw_sql

from kassa.bootstrap import bootstrap
from kassa.core.settings import Settings
from kassa.db import migrate
from kassa.db.engine import Database, make_engine

CACHE = Path(__file__).resolve().parent / ".cache"
TOKEN = "kassa_benchmark_admin_token"
PG_SERVER = os.environ.get("KASSA_BENCH_PG_SERVER", "postgresql+psycopg://postgres@127.0.0.1:5432")
PG_CREATE_DB = "kassa_bench_create"  # suffixed with the process id
PG_FILLED_DB = "kassa_bench_customers"
DEFAULT_CUSTOMERS = 1_000_000


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def settings_for(url: str) -> Settings:
    return Settings(database_url=url, admin_token=TOKEN, admin_password="benchmark-password")


def server_env(url: str) -> dict[str, str]:
    return {
        "KASSA_DATABASE_URL": url,
        "KASSA_ADMIN_TOKEN": TOKEN,
        "KASSA_SECRET_KEY": "benchmark-session-secret",
        # No scheduled billing rounds in the servers under test: a round over a million
        # customers is the billing benchmark's figure, and here it would only be noise.
        "KASSA_BILLING_INTERVAL_SECONDS": "0",
    }


def _pg_admin(*statements: str) -> None:
    admin = make_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)
    admin.dispose()


def recreate_pg(name: str) -> str:
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    return f"{PG_SERVER}/{name}"


def drop_pg(name: str) -> None:
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_exists(name: str) -> bool:
    admin = make_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        found = conn.exec_driver_sql(
            "SELECT 1 FROM pg_database WHERE datname = %(n)s", {"n": name}
        ).first()
    admin.dispose()
    return found is not None


def remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal", "-writer.lock"):
        Path(str(path) + suffix).unlink(missing_ok=True)


@contextmanager
def fresh_database(backend: str) -> Iterator[str]:
    """An empty, bootstrapped database of this run's own for the creation figures."""
    name = f"{PG_CREATE_DB}_{os.getpid()}"
    path = CACHE / f"create-{os.getpid()}.db"
    if backend == "sqlite":
        shutil.copy(sqlite_template(), path)
        url = f"sqlite:///{path}"
    else:
        url = recreate_pg(name)
        prepare(url)
    try:
        yield url
    finally:
        if backend == "sqlite":
            remove_sqlite(path)
        else:
            drop_pg(name)


def sqlite_template() -> Path:
    """A bootstrapped empty SQLite file at the newest schema, made once and copied after."""
    engine = make_engine("sqlite://")
    path = CACHE / f"empty-{migrate.head_revision(engine)}.db"
    engine.dispose()
    if not path.exists():
        building = path.with_suffix(f".{os.getpid()}.tmp")
        prepare(f"sqlite:///{building}")
        conn = sqlite3.connect(building)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        building.replace(path)
        remove_sqlite(building)
    return path


def prepare(url: str) -> None:
    db = Database(url)
    bootstrap(db, settings_for(url))
    db.dispose()


def filled_database(backend: str, count: int, refill: bool) -> str:
    """The large table, reused while it holds this fill at the newest schema; otherwise built
    again (faster than migrating a million rows, and the rows are then what Kassa makes now)."""
    if backend == "sqlite":
        path = CACHE / f"customers-{count}.db"
        url = f"sqlite:///{path}"
        exists = path.exists()
    else:
        name = pg_filled_name(count)
        url = f"{PG_SERVER}/{name}"
        exists = pg_exists(name)
    if exists and not refill and fill.is_current(url, count):
        log(f"[{backend}] reusing the filled database ({count:,} customers): {url}")
        return url
    log(f"[{backend}] filling {count:,} customers into {url}")
    if backend == "sqlite":
        remove_sqlite(CACHE / f"customers-{count}.db")
    else:
        recreate_pg(pg_filled_name(count))
    prepare(url)
    fill.fill(url, count)
    return url


def pg_filled_name(count: int) -> str:
    """The cached PostgreSQL table of the default size keeps the plain name; others their own."""
    return PG_FILLED_DB if count == DEFAULT_CUSTOMERS else f"{PG_FILLED_DB}_{count}"


def business_model_id(url: str) -> int:
    conn = raw_sql.connect(url)
    (model_id,) = conn.execute("SELECT min(id) FROM business_models").fetchone()
    conn.close()
    return int(model_id)
