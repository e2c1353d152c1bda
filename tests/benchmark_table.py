"""Reading the table a benchmark prints (benchmarks/bench_report.py) back into its rows, and
checking that each expected row is there and carries measured numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass

from benchmarks.bench_report import Row

COLUMNS = ("backend", "figure", "value", "baseline", "ratio", "target", "result")
# A number standing alone: not the 50 of "p50", not a digit inside a longer word.
NUMBER_RE = re.compile(r"(?<![A-Za-z\d.,])\d[\d,]*(?:\.\d+)?")
ASIDE_RE = re.compile(r"\([^)]*\)")
VERDICTS = {"PASS": True, "FAIL": False, "": None}


@dataclass(frozen=True)
class Expected:
    """One row the table must have: its figure (the start of it, where the rest depends on the
    data), whether it sets Kassa beside a floor, and whether it has a target to pass."""

    figure: str
    floor: bool = True
    judged: bool = False


def read_table(output: str) -> list[Row]:
    lines = output.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split() == list(COLUMNS))
    # The dashes under the header give each column's start, whatever its cells contain.
    starts = [m.start() for m in re.finditer(r"-+", lines[header + 1])]
    assert len(starts) == len(COLUMNS), lines[header + 1]
    rows = []
    for line in lines[header + 2 :]:
        if not line.strip():
            break
        *cells, result = [
            line[a:b].strip() for a, b in zip(starts, [*starts[1:], None], strict=True)
        ]
        assert result in VERDICTS, line
        rows.append(Row(*cells, VERDICTS[result]))
    return rows


def numbers(cell: str) -> list[float]:
    """The numbers a cell states, leaving out its asides in parentheses."""
    return [float(n.replace(",", "")) for n in NUMBER_RE.findall(ASIDE_RE.sub("", cell))]


def assert_measured(row: Row, expected: Expected) -> None:
    cells = {"value": row.value}
    if expected.floor:
        cells |= {"baseline": row.baseline, "ratio": row.ratio}
    for column, cell in cells.items():
        found = numbers(cell)
        assert found, f"{row.figure}: no number in {column} {cell!r}"
        assert all(n > 0 for n in found), f"{row.figure}: {column} {cell!r}"
    if expected.judged:
        assert numbers(row.target), f"{row.figure}: target {row.target!r}"
        assert row.passed is not None, f"{row.figure}: no PASS or FAIL"
    else:
        assert row.passed is None, f"{row.figure}: PASS or FAIL without a target"


def assert_table(output: str, backend: str, expected: list[Expected]) -> None:
    """The table has exactly the expected rows, in order, each with its numbers."""
    rows = read_table(output)
    figures = [r.figure for r in rows]
    assert len(rows) == len(expected), figures
    for row, wanted in zip(rows, expected, strict=True):
        assert row.figure.startswith(wanted.figure), (wanted.figure, figures)
        assert row.backend == backend, row
        assert_measured(row, wanted)
