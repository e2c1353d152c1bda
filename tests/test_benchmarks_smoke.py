"""benchmarks/customers.py runs end to end on SQLite and prints every figure it measures (a smoke
run: whether Kassa meets its targets is not judged here, only that each row was measured)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.benchmark_table import Expected, assert_table

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "customers.py"
ROWS = [
    Expected("create_customer (service, 1 tx each)"),
    Expected("CPU per customer (this process)"),
    Expected("POST /customers, 1 client", judged=True),
    Expected("server CPU per request"),
    Expected("POST /customers, 8 clients", judged=True),
    Expected("server CPU per request"),
    Expected("search prefix, selective", judged=True),
    Expected("search substring, selective", judged=True),
    Expected("search 'networks', unselective"),
    Expected("list limit=50, first page"),
    Expected("list limit=50, deep cursor page"),
]


@pytest.mark.slow
def test_customers_benchmark_quick_run_on_sqlite() -> None:
    command = [sys.executable, str(SCRIPT), "--quick", "--backend", "sqlite", "--duration", "1"]
    began = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert time.monotonic() - began < 60
    assert_table(done.stdout, "sqlite", ROWS)
