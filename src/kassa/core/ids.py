"""Row ids as input: positive and inside a 64-bit integer, the range both databases store.

A larger number would fail inside the database driver instead of being refused as bad input.
"""

from __future__ import annotations

from typing import Annotated

from annotated_types import Interval

MAX_ID = 2**63 - 1

Id = Annotated[int, Interval(ge=1, le=MAX_ID)]


def id_from_text(raw: str) -> int | None:
    """The id a text spells (surrounding blanks aside), or None when it spells none: not
    digits (``str.isdigit`` also takes superscripts, which ``int`` refuses), zero, or past
    what the databases store."""
    raw = raw.strip()
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 19):
        return None
    value = int(raw)
    return value if 1 <= value <= MAX_ID else None
