"""``kassa serve``: in-process with the server stubbed, and for real as a subprocess."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from kassa.cli import serve
from kassa.cli.main import app
from kassa.db.models import ApiToken, User
from tests.cli.conftest import Kassa

KASSA = Path(sys.executable).with_name("kassa")
TOKEN_LINE = re.compile(r"API token: (kassa_\S+)")
PASSWORD_LINE = re.compile(r"Password:  (\S+)")


def test_serve_prepares_the_database_then_runs_the_app_factory(
    kassa: Kassa, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(serve.uvicorn, "run", lambda app, **kw: calls.append({"app": app, **kw}))
    env = {
        "KASSA_DATABASE_URL": None,
        "KASSA_ADMIN_PASSWORD": "from-the-environment",
        "KASSA_ADMIN_TOKEN": "kassa_from_the_environment",
    }
    result = kassa("serve", "--port", "9123", "--workers", "3", env=env)
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:9123/docs" in result.output
    assert "taken from KASSA_ADMIN_PASSWORD" in result.output
    assert "taken from KASSA_ADMIN_TOKEN" in result.output
    assert "from-the-environment" not in result.output
    [call] = calls
    assert call["app"] == "kassa.app:create_app"
    assert call["factory"] is True
    assert call["workers"] == 3
    assert call["port"] == 9123
    assert call["access_log"] is True
    # Kassa itself decides whose X-Forwarded-* to believe (KASSA_TRUSTED_PROXIES).
    assert call["proxy_headers"] is False
    assert kassa.count(User) == 1
    assert kassa.count(ApiToken) == 1

    again = kassa("serve", "--no-access-log", env=env)
    assert again.exit_code == 0
    assert "Created the admin user" not in again.output
    assert calls[-1]["access_log"] is False
    assert kassa.count(User) == 1


def test_reload_and_workers_do_not_mix() -> None:
    result = CliRunner().invoke(app, ["serve", "--reload", "--workers", "2"])
    assert result.exit_code == 2
    assert "--reload" in result.output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# Starting Python processes on a busy machine can take long; a healthy server answers at once.
START_SECONDS = 180


def _start(args: list[str], cwd: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start the server and wait for /health. Retries when another process took the port
    between choosing it and binding it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KASSA_")}
    for _attempt in range(3):
        port = _free_port()
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [str(KASSA), *args, "--port", str(port)],
                cwd=cwd,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_SECONDS
        while proc.poll() is None:
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    return proc, base
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                _stop(proc)
                raise AssertionError(f"no answer from {base}:\n{log.read_text()}")
            time.sleep(0.2)
        if "address already in use" not in log.read_text():
            break
    raise AssertionError(f"kassa serve exited with {proc.returncode}:\n{log.read_text()}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@contextmanager
def _running(args: list[str], cwd: Path, log: Path) -> Iterator[str]:
    proc, base = _start(args, cwd, log)
    try:
        yield base
    finally:
        _stop(proc)


@pytest.mark.slow
def test_serve_for_real(tmp_path: Path) -> None:
    assert KASSA.exists(), "the kassa console script is installed with the package"
    url = f"sqlite:///{tmp_path / 'served.db'}"
    with _running(["--database-url", url, "serve"], tmp_path, tmp_path / "one.log") as base:
        output = (tmp_path / "one.log").read_text()
        assert f"Web UI:    {base}/" in output
        assert f"{base}/docs" in output
        token_match = TOKEN_LINE.search(output)
        assert token_match, output
        assert PASSWORD_LINE.search(output), output
        token = token_match.group(1)
        headers = {"Authorization": f"Bearer {token}"}
        customers = httpx.get(f"{base}/api/v1/customers", headers=headers, timeout=10)
        assert customers.status_code == 200, customers.text
        assert customers.json()["items"] == []
        assert httpx.get(f"{base}/api/v1/customers", timeout=10).status_code == 401

    args = ["--database-url", url, "serve", "--workers", "2"]
    with _running(args, tmp_path, tmp_path / "two.log") as base:
        output = (tmp_path / "two.log").read_text()
        assert "2 worker processes" in output
        # The admin exists already: nothing is generated, nothing shown again.
        assert "API token:" not in output
        for _ in range(10):
            answer = httpx.get(f"{base}/api/v1/customers", headers=headers, timeout=10)
            assert answer.status_code == 200, answer.text
    # The workers got the database from --database-url, not from the default.
    assert not (tmp_path / "kassa.db").exists()
