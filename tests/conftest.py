"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

The schema always comes from the migrations. SQLite tests copy a migrated template file;
PostgreSQL tests share one migrated database per test worker and empty it between tests.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from kassa.app import create_app
from kassa.bootstrap import bootstrap, seed_reference_data
from kassa.core import clock
from kassa.core.settings import Settings
from kassa.db import migrate
from kassa.db.engine import Database, make_engine

PG_SERVER = os.environ.get("KASSA_TEST_PG_SERVER", "postgresql+psycopg://postgres@127.0.0.1:5432")
BACKENDS = ("sqlite", "postgresql")
ADMIN_TOKEN = "kassa_test_admin_token"
ADMIN_PASSWORD = "test-admin-password"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--clock-at",
        metavar="ISO_INSTANT",
        help="run Kassa's clock from this UTC instant (e.g. 2028-02-29T12:00:00Z) instead of now",
    )


def pytest_configure(config: pytest.Config) -> None:
    at = config.getoption("--clock-at")
    if at:
        clock.run_clock_from(datetime.fromisoformat(at))


def _worker() -> str:
    # One database per test process: parallel runs on one machine must not share it.
    return f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"


def create_pg_database(name: str) -> str:
    admin = make_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return f"{PG_SERVER}/{name}"


def drop_pg_database(name: str) -> None:
    admin = make_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "kassa.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    name = f"kassa_test_{_worker()}"
    url = create_pg_database(name)
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield url
    drop_pg_database(name)


def _reset_postgres(url: str) -> None:
    engine = make_engine(url, poolclass=None)
    with engine.begin() as conn:
        tables = [
            row[0]
            for row in conn.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename <> 'alembic_version'"
                )
            )
        ]
        conn.exec_driver_sql(
            "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
        )
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database (reference data seeded) of the parametrized backend."""
    if backend == "sqlite":
        path = tmp_path / "kassa.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("pg_url")
        _reset_postgres(url)
    db = Database(url)
    with db.transaction() as session:
        seed_reference_data(session)
    db.dispose()
    return url


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        admin_token=ADMIN_TOKEN,
        admin_password=ADMIN_PASSWORD,
        secret_key="test-secret-key",
        # Background workers stay off: tests drive sweeping, billing and delivery themselves.
        sweep_interval_seconds=0,
        billing_interval_seconds=0,
        notify_interval_seconds=0,
    )


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database.from_settings(settings)
    bootstrap(database, settings)
    yield database
    database.dispose()


@dataclass
class Api:
    """A TestClient that speaks to /api/v1 as a given token."""

    client: TestClient
    token: str | None = ADMIN_TOKEN

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        result = dict(headers or {})
        if self.token is not None:
            result.setdefault("Authorization", f"Bearer {self.token}")
        return result

    def request(self, method: str, path: str, json: Any = None, **kw: Any) -> httpx.Response:
        headers = self._headers(kw.pop("headers", None))
        if json is not None:
            kw["json"] = json
        return self.client.request(method, "/api/v1" + path, headers=headers, **kw)

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> httpx.Response:
        return self.request("POST", path, json, **kw)

    def patch(self, path: str, json: Any = None, **kw: Any) -> httpx.Response:
        return self.request("PATCH", path, json, **kw)

    def put(self, path: str, json: Any = None, **kw: Any) -> httpx.Response:
        return self.request("PUT", path, json, **kw)

    def delete(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("DELETE", path, **kw)

    def as_token(self, token: str | None) -> Api:
        return Api(self.client, token)

    def token_for(self, role: str) -> str:
        """Create a user of ``role`` and return a fresh API token of theirs."""
        name = f"{role}-{os.urandom(4).hex()}"
        user = self.post("/users", {"username": name, "role": role, "password": "password-123"})
        assert user.status_code == 201, user.text
        token = self.post(f"/users/{user.json()['id']}/tokens", {"name": "test"})
        assert token.status_code == 201, token.text
        return str(token.json()["token"])


@pytest.fixture
def client(settings: Settings, db: Database) -> Iterator[TestClient]:
    with TestClient(create_app(settings, db)) as test_client:
        yield test_client


@pytest.fixture
def api(client: TestClient) -> Api:
    return Api(client)


def customer_body(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "name": f"Customer {os.urandom(4).hex()}",
        "balance_control": "postpaid",
        "currency": "USD",
        "credit_limit": "500.00",
        "business_model_id": 1,
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}
