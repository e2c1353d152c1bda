"""Servers under test and the wrk load put on them, for benchmarks/authorize.py.

Kassa runs as operators run it, ``kassa serve --workers N --no-access-log``; the minimal floor
is served the same way, by uvicorn with the same worker count and no access log (the log is
uvicorn's cost, not the application's). Load comes from ``wrk`` driving ``authorize_wrk.lua``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WRK_SCRIPT = HERE / "authorize_wrk.lua"
WRK_INSTALL = "apt-get install -y wrk (Debian/Ubuntu) or brew install wrk (macOS)"


def wrk_path() -> str | None:
    return shutil.which("wrk")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class App:
    """An ASGI app factory to serve, with its environment; ``kassa_serve`` serves it with the
    ``kassa serve`` command instead of plain uvicorn."""

    factory: str
    env: dict[str, str]
    app_dir: Path | None = None
    kassa_serve: bool = False


@contextmanager
def serve(apps: list[App], *, workers: int) -> Iterator[list[str]]:
    """Run ``uvicorn --factory`` for every app (started together, since starting is slow)
    until the block ends; yields their base URLs."""
    with ExitStack() as stack:
        started = [stack.enter_context(_started(app, workers)) for app in apps]
        for base, proc, log in started:
            _wait_healthy(base, proc, log, workers)
        yield [base for base, _, _ in started]


@contextmanager
def _started(app: App, workers: int) -> Iterator[tuple[str, subprocess.Popen[bytes], Any]]:
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", "--factory", app.factory,
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    if app.kassa_serve:
        command = [
            str(Path(sys.executable).with_name("kassa")), "serve",
            "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
            "--no-access-log",
        ]  # fmt: skip
    if app.app_dir is not None:
        command += ["--app-dir", str(app.app_dir)]
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            command, env={**os.environ, **app.env}, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT
        )
        try:
            yield f"http://127.0.0.1:{port}", proc, log
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_healthy(base: str, proc: subprocess.Popen[bytes], log: Any, workers: int) -> None:
    deadline = time.monotonic() + 90
    healthy = 0
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            output = log.read().decode(errors="replace")
            raise RuntimeError(f"server exited early:\n{output}")
        try:
            with urllib.request.urlopen(f"{base}/health", timeout=2) as answer:
                if answer.status == 200:
                    healthy += 1
        except OSError:
            healthy = 0
        # Every worker must have built its app; a few answers in a row make that likely.
        if healthy >= 4 * workers:
            return
        time.sleep(0.05 if healthy else 0.2)
    raise RuntimeError(f"{base} did not become healthy in 90 s")


@dataclass(frozen=True)
class WrkResult:
    seconds: float
    requests: int
    reserves: int
    commits: int
    failures: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float

    @property
    def requests_per_s(self) -> float:
        return self.requests / self.seconds

    @property
    def pairs_per_s(self) -> float:
        return self.commits / self.seconds


def run_wrk(
    url: str,
    *,
    mode: str,
    duration: float,
    connections: int,
    threads: int,
    token: str = "",
    customers: list[int] | None = None,
    service: str = "voice",
    accounts: list[str] | None = None,
    destinations: list[str] | None = None,
) -> WrkResult:
    wrk = wrk_path()
    if wrk is None:
        raise RuntimeError(f"wrk is not installed; install it with: {WRK_INSTALL}")
    env = {
        **os.environ,
        "BENCH_MODE": mode,
        "BENCH_TOKEN": token,
        "BENCH_CUSTOMERS": ",".join(str(c) for c in customers or []),
        "BENCH_SERVICE": service,
        "BENCH_ACCOUNTS": ",".join(a.lstrip("+") for a in accounts or []),
        "BENCH_DESTINATIONS": ",".join(d.lstrip("+") for d in destinations or []),
    }
    command = [
        wrk, "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(duration))}s",
        "--timeout", "30s", "-s", str(WRK_SCRIPT), url,
    ]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("AUTHORIZE_BENCH ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    if done.stderr.strip():
        print(done.stderr.strip(), file=sys.stderr)
    fields = dict(part.split("=", 1) for part in line.split()[1:])
    n = {k: int(v) for k, v in fields.items()}
    return WrkResult(
        seconds=n["duration_us"] / 1e6,
        requests=n["requests"],
        reserves=n["reserves"],
        commits=n["commits"],
        failures=n["failures"] + n["socket_errors"],
        p50_ms=n["p50_us"] / 1000,
        p90_ms=n["p90_us"] / 1000,
        p99_ms=n["p99_us"] / 1000,
        max_ms=n["max_us"] / 1000,
    )
