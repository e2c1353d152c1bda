"""Opaque keyset cursors: the client gets back what it was given and never does arithmetic."""

from __future__ import annotations

import base64
import binascii

from kassa.core.errors import ValidationFailed
from kassa.core.ids import id_from_text

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


def encode_cursor(key: object) -> str:
    return base64.urlsafe_b64encode(str(key).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = base64.urlsafe_b64decode(padded.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise ValidationFailed.field("cursor", "is not a cursor this API gave out") from exc
    # Keys handed out are ids and codes; anything else (a NUL byte, say) would reach the
    # database driver as a comparison value.
    if not raw or not raw.isprintable():
        raise ValidationFailed.field("cursor", "is not a cursor this API gave out")
    return raw


def decode_int_cursor(cursor: str | None) -> int | None:
    if cursor is None or cursor == "":
        return None
    key = id_from_text(decode_cursor(cursor))
    if key is None:
        raise ValidationFailed.field("cursor", "is not a cursor this API gave out")
    return key


def check_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if limit < 1 or limit > MAX_LIMIT:
        raise ValidationFailed.field("limit", f"must be between 1 and {MAX_LIMIT}")
    return limit
