"""benchmarks/billing_subscriptions.py runs end to end and prints its figure beside its floor
(a smoke run: whether Kassa meets its target is not judged here, only that it was measured)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.benchmark_table import Expected, assert_table

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "billing_subscriptions.py"
ROWS = [Expected("bill run + fees, customers/s", judged=True)]


@pytest.mark.slow
def test_subscription_benchmark_quick_run_on_sqlite() -> None:
    command = [sys.executable, str(SCRIPT), "--quick", "--backend", "sqlite", "--runs", "1"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert_table(done.stdout, "sqlite", ROWS)
