"""benchmarks/accounts.py runs end to end on SQLite at a small size and prints every figure it
measures beside its floor (a smoke run: the figures themselves are not judged here)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.benchmark_table import Expected, assert_table

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "accounts.py"
ROWS = [
    Expected("GET /accounts?identifier=X vs GET /health"),
    Expected("GET /accounts/{id} vs GET /health"),
    Expected("GET /accounts?identifier=X vs GET /accounts/{id}"),
    Expected("GET /accounts?identifier=X vs raw SQL by identifier"),
    Expected("raw SQL by identifier vs raw SQL by id"),
]


@pytest.mark.slow
def test_accounts_benchmark_quick_run_on_sqlite() -> None:
    command = [
        sys.executable, str(SCRIPT), "--quick", "--backend", "sqlite",
        "--accounts", "2000", "--runs", "2", "--duration", "0.6",
    ]  # fmt: skip
    began = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert time.monotonic() - began < 90
    assert_table(done.stdout, "sqlite", ROWS)
