"""Text as input: no C0 control characters, except tab and line breaks where lines may break.

PostgreSQL text cannot hold NUL at all (the driver fails the statement), and the other C0
characters are never typed on purpose: both are refused as bad input, naming the field.
"""

from __future__ import annotations

import re

_ANY_CONTROL = re.compile("[\x00-\x1f]")
_CONTROL_BUT_LINES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def control_character_message(text: str, *, multiline: bool) -> str | None:
    """Why ``text`` is refused, or None. ``multiline`` allows tab, line feed and return."""
    found = (_CONTROL_BUT_LINES if multiline else _ANY_CONTROL).search(text)
    if found is None:
        return None
    return f"must not contain control characters (found U+{ord(found.group()):04X})"
