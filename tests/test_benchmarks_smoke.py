"""benchmarks/customers.py runs end to end on SQLite (a smoke run: the figures are not judged)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "customers.py"


@pytest.mark.slow
def test_customers_benchmark_quick_run_on_sqlite() -> None:
    command = [sys.executable, str(SCRIPT), "--quick", "--backend", "sqlite", "--duration", "1"]
    began = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert time.monotonic() - began < 60
    table = done.stdout
    for figure in (
        "create_customer (service, 1 tx each)",
        "POST /customers, 1 client",
        "POST /customers, 8 clients",
        "server CPU per request",
        "search prefix, selective",
        "search substring, selective",
        "list limit=50, deep cursor page",
    ):
        assert figure in table, table
    assert "PASS" in table or "FAIL" in table
