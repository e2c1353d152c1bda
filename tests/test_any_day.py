"""The tests that involve the calendar pass on any day, not just on the day they were written.

Those tests are marked ``calendar``. Each chosen day runs them in a pytest of their own with
``--clock-at``, which starts Kassa's clock (``kassa.core.clock.utcnow``, the only place Kassa
reads the time; the databases' clocks are never consulted) at that instant. The days are the
ones where a test that assumed "today" would go wrong: the last day of a month late in the
evening, 29 February, the nights the clocks of New York and Prague spring forward and fall
back (each instant inside the hour that is skipped or repeated there), and a year's last days.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DAYS = {
    "month's last day, late": "2027-01-31T23:40:00Z",
    "29 February": "2028-02-29T12:00:00Z",
    # 01:30 in Prague, half an hour before 02:00 CET becomes 03:00 CEST.
    "Europe springs forward": "2027-03-28T00:30:00Z",
    # 02:30 CEST in Prague, the first time round: at 03:00 CEST the clock goes back to 02:00 CET.
    "Europe falls back": "2027-10-31T00:30:00Z",
    # 01:30 EST in New York, half an hour before 02:00 EST becomes 03:00 EDT.
    "New York springs forward": "2027-03-14T06:30:00Z",
    # 01:30 EDT in New York, the first time round: at 02:00 EDT the clock goes back to 01:00 EST.
    "New York falls back": "2027-11-07T05:30:00Z",
    # Daily periods of a few days' run end in two years: two series of invoice numbers.
    "a year's last days": "2027-12-30T12:00:00Z",
}


@pytest.mark.slow
@pytest.mark.parametrize("day", DAYS.values(), ids=list(DAYS))
def test_calendar_tests_pass_on(day: str, tmp_path: Path) -> None:
    env = {**os.environ, "PYTEST_XDIST_WORKER": f"day{os.getpid()}"}
    env.pop("PYTEST_ADDOPTS", None)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            "-m",
            "calendar and not browser",
            "--clock-at",
            day,
            "--basetemp",
            str(tmp_path / "run"),
            "tests",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
