"""benchmarks/authorize.py runs end to end (a smoke run: the figures are not judged here)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "authorize.py"


@pytest.mark.slow
def test_authorize_benchmark_quick_run_on_sqlite() -> None:
    http = shutil.which("wrk") is not None
    command = [sys.executable, str(SCRIPT), "--quick", "--backend", "sqlite"]
    if not http:
        command += ["--figures", "a"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    table = done.stdout
    assert "(a) service reserve+commit, 1 thread" in table
    assert "raw SQL" in table
    if http:
        for figure in ("(b) HTTP auth/s", "(b) HTTP latency", "(c) HTTP auth/s"):
            assert figure in table, table
        assert "/health" in table
