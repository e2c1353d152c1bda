"""Row ids as input: positive and inside a 64-bit integer, the range both databases store.

A larger number would fail inside the database driver instead of being refused as bad input.
"""

from __future__ import annotations

from typing import Annotated

from annotated_types import Interval

MAX_ID = 2**63 - 1

Id = Annotated[int, Interval(ge=1, le=MAX_ID)]
