"""The table every benchmark ends with: one row a figure, Kassa's value beside its floor."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Row:
    backend: str
    figure: str
    value: str
    baseline: str
    ratio: str
    target: str
    passed: bool | None  # None: a figure shown for information, with no target


def print_table(rows: list[Row], title: str) -> None:
    header = ("backend", "figure", "value", "baseline", "ratio", "target", "result")
    cells = [
        (r.backend, r.figure, r.value, r.baseline, r.ratio, r.target,
         "" if r.passed is None else ("PASS" if r.passed else "FAIL"))
        for r in rows
    ]  # fmt: skip
    widths = [max(len(str(c[i])) for c in [header, *cells]) for i in range(len(header))]
    print()
    print(title)
    for line in [header, tuple("-" * w for w in widths), *cells]:
        print("  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
