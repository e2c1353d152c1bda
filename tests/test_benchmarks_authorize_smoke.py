"""benchmarks/authorize.py runs end to end and prints every figure it measures (a smoke run:
whether Kassa meets its targets is not judged here, only that each row was measured)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.benchmark_table import Expected, assert_table

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "authorize.py"
SERVICE_ROWS = [Expected("(a) service reserve+commit, 1 thread", judged=True)]
HTTP_ROWS = [
    Expected("(b) HTTP auth/s, 20 customers", judged=True),
    Expected("(b) HTTP latency, 20 customers", judged=True),
    Expected("(b) HTTP req/s vs GET /health"),
    Expected("(c) HTTP auth/s, 1 hot customer", judged=True),
    Expected("(c) HTTP latency, 1 hot customer", judged=True),
    Expected("(c) HTTP req/s vs GET /health"),
]


@pytest.mark.slow
def test_authorize_benchmark_quick_run_on_sqlite() -> None:
    http = shutil.which("wrk") is not None
    command = [sys.executable, str(SCRIPT), "--quick", "--backend", "sqlite"]
    if not http:
        command += ["--figures", "a"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    table = done.stdout
    assert_table(table, "sqlite", SERVICE_ROWS + HTTP_ROWS if http else SERVICE_ROWS)
    assert "raw SQL" in table
    if http:
        assert "/health" in table
