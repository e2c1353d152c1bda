"""benchmarks/billing.py runs end to end and prints every figure it measures (a smoke run: whether
Kassa meets its target is not judged here, only that each row was measured)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.benchmark_table import Expected, assert_table

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "billing.py"
ROWS = [
    Expected("bill run, invoices/s", judged=True),
    Expected("invoice_pdf ms, median"),
    Expected("invoice_pdf ms, p95"),
    Expected("render_invoice_html ms, median", floor=False),
    Expected("render_invoice_html ms, p95", floor=False),
]


@pytest.mark.slow
def test_billing_benchmark_quick_run_on_sqlite() -> None:
    command = [sys.executable, str(SCRIPT), "--quick", "--backend", "sqlite", "--runs", "1"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert_table(done.stdout, "sqlite", ROWS)
