"""A real Kassa deployment per test: a fresh database and two API server processes on it.

The servers are separate ``uvicorn`` processes on two ports, so every guarantee below is proved
across processes (separate engines, connection pools and, on SQLite, separate file handles),
not only across threads of one process. Clients spread over both ports.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from kassa.bootstrap import bootstrap
from kassa.core.settings import Settings
from kassa.db import migrate
from kassa.db.engine import Database, make_engine
from tests.concurrency.harness import Cluster
from tests.conftest import ADMIN_PASSWORD, ADMIN_TOKEN, PG_SERVER, create_pg_database

SERVER_PROCESSES = 2
SECRET_KEY = "concurrency-test-secret"
STARTUP_SECONDS = 60


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A PostgreSQL database of this run alone (overrides the shared one of tests/conftest.py).

    Servers here hold connections for seconds; a database name shared with another pytest run
    on the same server would be truncated or dropped under them."""
    name = f"kassa_concurrency_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"
    url = create_pg_database(name)
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield url
    admin = make_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_server(
    database_url: str, port: int, log: Path, extra_env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KASSA_")}
    env.update(KASSA_DATABASE_URL=database_url, KASSA_SECRET_KEY=SECRET_KEY, **(extra_env or {}))
    with log.open("wb") as out:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "kassa.app:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
                "--log-level",
                "warning",
                # Clients pause (waiting for reservations to lapse); keep their connections.
                "--timeout-keep-alive",
                "120",
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server {url} exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"server {url} did not become healthy:\n{log.read_text()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


@contextmanager
def running_cluster(
    database_url: str,
    tmp_path: Path,
    processes: int = SERVER_PROCESSES,
    extra_env: dict[str, str] | None = None,
) -> Iterator[Cluster]:
    """A bootstrapped database and ``processes`` running API servers on it, each started with
    ``extra_env`` added to its environment."""
    settings = Settings(
        database_url=database_url,
        admin_token=ADMIN_TOKEN,
        admin_password=ADMIN_PASSWORD,
        secret_key=SECRET_KEY,
    )
    servers: list[subprocess.Popen[bytes]] = []
    logs: list[Path] = []
    urls: list[str] = []
    try:
        for index in range(processes):
            port = _free_port()
            log = tmp_path / f"server-{index}.log"
            servers.append(_start_server(database_url, port, log, extra_env))
            logs.append(log)
            urls.append(f"http://127.0.0.1:{port}")
        # While the servers import (they read nothing from the database until asked).
        db = Database(database_url)
        bootstrap(db, settings)
        db.dispose()
        for url, process, log in zip(urls, servers, logs, strict=True):
            _wait_healthy(url, process, log)
        yield Cluster(urls=urls, token=ADMIN_TOKEN, database_url=database_url, logs=logs)
    finally:
        for process in servers:
            _stop(process)


@pytest.fixture
def cluster(database_url: str, tmp_path: Path) -> Iterator[Cluster]:
    """A bootstrapped database and two running API servers on it."""
    with running_cluster(database_url, tmp_path) as running:
        yield running
