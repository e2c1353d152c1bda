"""Invoice numbers as the tests check them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable


def assert_gapless(numbers: Iterable[str]) -> None:
    """Each series (``INV-2027`` of ``INV-2027-000001``) numbers its invoices 1, 2, 3...
    without a gap: the default format starts a series anew each year, so invoices of periods
    ending on both sides of a new year are two series."""
    series: dict[str, list[int]] = defaultdict(list)
    for number in numbers:
        prefix, _, seq = number.rpartition("-")
        series[prefix].append(int(seq))
    for prefix, seqs in series.items():
        assert sorted(seqs) == list(range(1, len(seqs) + 1)), prefix
