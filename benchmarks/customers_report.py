"""Measurements and the table they end up in."""

from __future__ import annotations

import argparse
import statistics
from dataclasses import dataclass

from bench_report import Row, print_table


@dataclass
class Sample:
    """What one side did: operations, wall seconds, and CPU seconds of the code under test."""

    count: int = 0
    seconds: float = 0.0
    cpu: float = 0.0

    def add(self, other: Sample) -> None:
        self.count += other.count
        self.seconds += other.seconds
        self.cpu += other.cpu

    @property
    def rate(self) -> float:
        return self.count / self.seconds

    @property
    def cpu_per_op(self) -> float:
        return self.cpu / self.count if self.count else float("nan")


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1))))
    return ordered[rank]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def throughput_row(
    backend: str, figure: str, value: list[Sample], floor: list[Sample], target: float | None
) -> Row:
    v = statistics.median(s.rate for s in value)
    b = statistics.median(s.rate for s in floor)
    ratio = v / b
    return Row(
        backend,
        figure,
        f"{v:,.0f}/s",
        f"{b:,.0f}/s",
        f"{ratio:.1%}",
        f">= {target:.0%}" if target is not None else "-",
        None if target is None else ratio >= target,
    )


def cpu_row(backend: str, figure: str, value: list[Sample], floor: list[Sample]) -> Row:
    """CPU per operation: what a busy machine divides among the requests, so the throughput
    ratio tends to the inverse of this one as load grows."""
    v = statistics.median(s.cpu_per_op for s in value)
    b = statistics.median(s.cpu_per_op for s in floor)
    return Row(backend, figure, ms(v), ms(b), f"{v / b:.1f}x", "-", None)


def latency_row(
    backend: str,
    figure: str,
    value: list[tuple[float, float]],
    floor: list[tuple[float, float]],
    target: float | None,
) -> Row:
    p50 = statistics.median(v[0] for v in value)
    p95 = statistics.median(v[1] for v in value)
    b50 = statistics.median(v[0] for v in floor)
    b95 = statistics.median(v[1] for v in floor)
    ratio = p95 / b95
    return Row(
        backend,
        figure,
        f"{p50 * 1000:.1f} / {p95 * 1000:.1f} ms",
        f"{b50 * 1000:.1f} / {b95 * 1000:.1f} ms",
        f"{ratio:.2f}x p95",
        f"<= {target:.0f}x" if target is not None else "-",
        None if target is None else ratio <= target,
    )


def print_rows(rows: list[Row], args: argparse.Namespace, tool: str) -> None:
    print_table(
        rows,
        f"Kassa customer benchmarks: median of {args.runs} run(s), {args.duration:g} s per "
        f"HTTP figure, {args.workers} uvicorn worker(s), load from {tool}, "
        f"{args.customers:,} customers for latency; latency is p50 / p95",
    )
