"""benchmarks/billing.py runs end to end (a smoke run: the figures are not judged here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "billing.py"


@pytest.mark.slow
def test_billing_benchmark_quick_run_on_sqlite() -> None:
    command = [sys.executable, str(SCRIPT), "--quick", "--backend", "sqlite", "--runs", "1"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    table = done.stdout
    for figure in ("bill run, invoices/s", "customers/s", "invoice_pdf ms, median",
                   "invoice_pdf ms, p95", "render_invoice_html ms, median"):  # fmt: skip
        assert figure in table, table
    assert "PASS" in table or "FAIL" in table
