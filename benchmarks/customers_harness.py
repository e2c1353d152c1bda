"""Servers under test and the load that is put on them.

Both apps (Kassa and the minimal floor) are started the same way: a uvicorn subprocess on
127.0.0.1 with the same flags and worker count. Load comes from ``wrk`` when it is installed
(it barely uses the CPU the servers need) or else from Python threads, each holding one
keep-alive ``httpx`` connection.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WRK_SCRIPT = HERE / "customers_wrk.lua"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Server:
    url: str
    pid: int

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server's processes have used so far; NaN off Linux."""
        try:
            return sum(_own_cpu(pid) for pid in _tree(self.pid))
        except OSError:
            return float("nan")


def _tree(pid: int) -> list[int]:
    found = [pid]
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found += _tree(int(child))
    return found


def _own_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class App:
    """An app for uvicorn's ``--factory`` and the environment it reads its settings from."""

    factory: str
    env: dict[str, str]
    app_dir: Path | None = None


@contextmanager
def serving(apps: list[App], *, workers: int) -> Iterator[list[Server]]:
    """Run each app as ``kassa serve`` does (uvicorn, ``--factory``, 127.0.0.1) until the block
    ends. They start side by side, so the block waits for the slowest start only."""
    with ExitStack() as stack:
        started = []
        for app in apps:
            port = free_port()
            command = [
                sys.executable, "-m", "uvicorn", "--factory", app.factory,
                "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
            ]  # fmt: skip
            if app.app_dir is not None:
                command += ["--app-dir", str(app.app_dir)]
            log = stack.enter_context(tempfile.TemporaryFile())
            proc = subprocess.Popen(
                command,
                env={**os.environ, **app.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
            )
            stack.callback(_stop, proc)
            started.append((Server(f"http://127.0.0.1:{port}", proc.pid), proc, log))
        for server, proc, log in started:
            _wait_healthy(server.url, proc, log)
        yield [server for server, _, _ in started]


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _wait_healthy(base: str, proc: subprocess.Popen[bytes], log: Any) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"server exited early:\n{log.read().decode(errors='replace')}")
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{base} did not become healthy in 120 s")


def customer_body(name: str, business_model_id: int) -> dict[str, Any]:
    """What the load generators post: a postpaid customer with every common field set."""
    return {
        "name": name,
        "balance_control": "postpaid",
        "currency": "USD",
        "credit_limit": "500.00",
        "business_model_id": business_model_id,
        "billing_period": "monthly",
        "billing_timezone": "Europe/Prague",
        "email": "billing@example.com",
    }


@dataclass
class Throughput:
    requests: int
    seconds: float
    errors: int

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


def has_wrk() -> bool:
    return shutil.which("wrk") is not None


def post_customers(
    base: str, token: str, *, clients: int, seconds: float, prefix: str, model_id: int, tool: str
) -> Throughput:
    if tool == "wrk":
        return _wrk(base, token, clients, seconds, prefix, model_id)
    return _threads(base, token, clients, seconds, prefix, model_id)


def _wrk(
    base: str, token: str, clients: int, seconds: float, prefix: str, model_id: int
) -> Throughput:
    env = {
        **os.environ,
        "BENCH_TOKEN": token,
        "BENCH_PREFIX": prefix,
        "BENCH_MODEL_ID": str(model_id),
    }
    threads = min(clients, 2)
    command = [
        "wrk", f"-t{threads}", f"-c{clients}", f"-d{max(1, round(seconds))}s",
        "--timeout", "30s", "-s", str(WRK_SCRIPT), f"{base}/api/v1/customers",
    ]  # fmt: skip
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    requests = errors = 0
    elapsed = seconds
    for line in out.splitlines():
        words = line.split()
        if "requests in" in line:
            requests = int(words[0])
            elapsed = _wrk_seconds(words[3].rstrip(","))
        elif line.strip().startswith("Non-2xx"):
            errors += int(words[-1])
        elif line.strip().startswith("Socket errors"):
            errors += sum(int(w.rstrip(",")) for w in words if w.rstrip(",").isdigit())
    return Throughput(requests, elapsed, errors)


def _wrk_seconds(text: str) -> float:
    for unit, factor in (("ms", 0.001), ("us", 0.000001), ("s", 1.0), ("m", 60.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    return float(text)


def _threads(
    base: str, token: str, clients: int, seconds: float, prefix: str, model_id: int
) -> Throughput:
    counts = [0] * clients
    errors = [0] * clients
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def worker(n: int) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            client.get("/health")
            start.wait()
            i = 0
            while time.perf_counter() < stop_at[0]:
                body = customer_body(f"{prefix} {n}-{i}", model_id)
                if client.post("/api/v1/customers", json=body).status_code == 201:
                    counts[n] += 1
                else:
                    errors[n] += 1
                i += 1

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    for t in pool:
        t.start()
    began = time.perf_counter()
    stop_at[0] = began + seconds
    start.wait()
    for t in pool:
        t.join()
    return Throughput(sum(counts), time.perf_counter() - began, sum(errors))


def latencies(
    base: str, token: str, targets: dict[str, Callable[[int], str]], seconds: float
) -> dict[str, list[float]]:
    """One client, the targets taken in turn so each sees the same moments of the run."""
    samples: dict[str, list[float]] = {label: [] for label in targets}
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        for i in range(5):
            for path in targets.values():
                _get(client, path(i))
        deadline = time.perf_counter() + seconds * len(targets)
        i = 0
        while time.perf_counter() < deadline:
            for label, path in targets.items():
                url = path(i)
                began = time.perf_counter()
                _get(client, url)
                samples[label].append(time.perf_counter() - began)
            i += 1
    return samples


def _get(client: httpx.Client, url: str) -> None:
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}: {response.text[:300]}")
