"""benchmarks/rating.py runs end to end and prints every figure it measures (a smoke run:
whether Kassa meets its targets is not judged here, only that each row was measured)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.benchmark_table import Expected, assert_table

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "rating.py"
LOOKUP_ROWS = [Expected("(a) rate lookup, 2,000 prefixes", judged=True)]
SERVICE_ROWS = [Expected("(c) service rated reserve+commit, 1 thread", judged=True)]
HTTP_ROWS = [
    Expected("(b) HTTP rated auth/s, 20 accounts", judged=True),
    Expected("(b) HTTP rated latency, 20 accounts"),
]


@pytest.mark.slow
def test_rating_benchmark_quick_run_on_sqlite() -> None:
    http = shutil.which("wrk") is not None
    command = [sys.executable, str(SCRIPT), "--quick", "--backend", "sqlite"]
    if not http:
        command += ["--figures", "ac"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    table = done.stdout
    assert_table(table, "sqlite", LOOKUP_ROWS + (HTTP_ROWS if http else []) + SERVICE_ROWS)
    assert "raw SQL" in table
    if http:
        assert "money auth/s" in table
