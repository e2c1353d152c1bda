"""kassa.core.ids: ids typed as text."""

from __future__ import annotations

import pytest

from kassa.core.ids import MAX_ID, id_from_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 1),
        (" 42 ", 42),
        (str(MAX_ID), MAX_ID),
        ("", None),
        ("0", None),
        ("-1", None),
        ("1.0", None),
        ("²", None),
        ("٣", None),
        (str(MAX_ID + 1), None),
        ("1" * 30, None),
    ],
)
def test_id_from_text(text: str, expected: int | None) -> None:
    assert id_from_text(text) == expected
