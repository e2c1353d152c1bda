"""A client generated from /openapi.json by openapi-python-client speaks to a running Kassa over
real HTTP, and reads its refusals as problems rather than failing on them."""

from __future__ import annotations

import importlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from kassa.db.engine import Database
from tests.conftest import ADMIN_TOKEN, customer_body

BIN = Path(sys.executable).parent
PACKAGE = "kassa_client"
# The generator has no reader for PDF nor writer for CSV; as bytes, the document download and
# the rate import are generated too.
GENERATOR_CONFIG = {
    "content_type_overrides": {
        "application/pdf": "application/octet-stream",
        "text/csv": "application/octet-stream",
    }
}
START_SECONDS = 120


def _generate(document: dict[str, Any], folder: Path) -> None:
    spec = folder / "openapi.json"
    spec.write_text(json.dumps(document))
    config = folder / "generator.json"
    config.write_text(json.dumps(GENERATOR_CONFIG))
    result = subprocess.run(
        [
            str(BIN / "openapi-python-client"),
            "generate",
            "--path",
            str(spec),
            "--config",
            str(config),
            "--meta",
            "none",
            "--output-path",
            str(folder / PACKAGE),
            "--fail-on-warning",
        ],
        cwd=folder,
        # It formats what it wrote with the ruff beside it.
        env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (folder / PACKAGE / "client.py").exists(), result.stdout


@contextmanager
def _generated_package(folder: Path) -> Iterator[None]:
    sys.path.insert(0, str(folder))
    try:
        yield
    finally:
        sys.path.remove(str(folder))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def _module(name: str) -> ModuleType:
    return importlib.import_module(f"{PACKAGE}.{name}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _server(database_url: str, log: Path) -> Iterator[str]:
    """``uvicorn`` serving Kassa on the test's database; its base URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KASSA_")}
    env.update(
        KASSA_DATABASE_URL=database_url,
        KASSA_SECRET_KEY="test-secret-key",
        KASSA_SWEEP_INTERVAL_SECONDS="0",
        KASSA_BILLING_INTERVAL_SECONDS="0",
        KASSA_NOTIFY_INTERVAL_SECONDS="0",
    )
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    command = [
        sys.executable,
        *("-m", "uvicorn", "kassa.app:create_app", "--factory"),
        *("--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"),
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            assert process.poll() is None, f"the server exited:\n{log.read_text()}"
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"no answer from {base}:\n{log.read_text()}"
            time.sleep(0.2)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.mark.slow
def test_a_generated_client_reads_refusals_as_problems(
    client: TestClient, db: Database, database_url: str, tmp_path: Path
) -> None:
    document = client.get("/openapi.json").json()
    _generate(document, tmp_path)
    with _generated_package(tmp_path), _server(database_url, tmp_path / "server.log") as base:
        package = importlib.import_module(PACKAGE)
        models = _module("models")
        create_customer = _module("api.customers.create_customer")
        get_customer = _module("api.customers.get_customer")
        reserve = _module("api.authorizations.reserve")
        admin = package.AuthenticatedClient(base_url=base, token=ADMIN_TOKEN)

        refused = create_customer.sync_detailed(
            client=admin, body=models.CustomerIn.from_dict(customer_body(credit_limit="-5"))
        )
        assert refused.status_code == 422, refused.content
        problem = refused.parsed
        assert isinstance(problem, models.Problem), refused.content
        assert problem.status == 422
        assert problem.code == "validation_failed"
        assert problem.errors[0].field == "credit_limit"
        assert problem.errors[0].message

        created = create_customer.sync_detailed(
            client=admin, body=models.CustomerIn.from_dict(customer_body(credit_limit="500.00"))
        )
        assert created.status_code == 201, created.content
        customer = created.parsed
        assert isinstance(customer, models.CustomerOut)
        assert customer.credit_limit == "500.00"

        too_much = reserve.sync_detailed(
            customer.id,
            client=admin,
            body=models.ReserveIn.from_dict({"amount": "10000", "service": "voice"}),
        )
        assert too_much.status_code == 402, too_much.content
        assert isinstance(too_much.parsed, models.Problem)
        assert too_much.parsed.code == "insufficient_funds"
        assert too_much.parsed.available_funds == "500.00"

        stranger = package.AuthenticatedClient(base_url=base, token="kassa_not_a_token")
        unknown = get_customer.sync_detailed(customer.id, client=stranger)
        assert unknown.status_code == 401, unknown.content
        assert isinstance(unknown.parsed, models.Problem)
        assert unknown.parsed.code == "invalid_token"
