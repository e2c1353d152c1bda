"""The tests that involve the calendar pass on any day, not just on the day they were written.

Those tests are marked ``calendar``. Each chosen day runs them in a pytest of their own under
libfaketime, which moves the clock of that process and its children (Kassa reads the time only
through ``utcnow``; the databases' own clocks are never consulted). The days are the ones where
a test that assumed "today" would go wrong: the last day of a month late in the evening,
29 February, and the day a time zone springs forward.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DAYS = {
    "month's last day, late": "2027-01-31 23:40:00",
    "29 February": "2028-02-29 12:00:00",
    "Europe springs forward": "2027-03-28 00:30:00",
}


@pytest.mark.slow
@pytest.mark.parametrize("day", DAYS.values(), ids=list(DAYS))
def test_calendar_tests_pass_on(day: str, tmp_path: Path) -> None:
    faketime = shutil.which("faketime")
    assert faketime, "the calendar tests need libfaketime: apt-get install faketime"
    env = {**os.environ, "TZ": "UTC", "PYTEST_XDIST_WORKER": f"day{os.getpid()}"}
    env.pop("PYTEST_ADDOPTS", None)
    result = subprocess.run(
        [
            faketime,
            "-f",
            f"@{day}",
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
