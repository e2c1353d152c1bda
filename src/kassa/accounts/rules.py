"""What an account's fields may hold, checked without the database: before a password is
hashed, so a refused request costs no hash."""

from __future__ import annotations

import re

from kassa.core.errors import FieldErrors

MAX_IDENTIFIER_LENGTH = 128
# A phone number as the network sends it, or a login (SIP, RADIUS, a device id).
IDENTIFIER_RE = re.compile(r"\+[0-9]+|[A-Za-z0-9._@-]+")
MIN_PASSWORD_LENGTH = 6
MAX_PASSWORD_LENGTH = 128
MAX_SESSIONS = 100_000


def clean_identifier(value: str | None, errors: FieldErrors, field: str = "identifier") -> str:
    """The identifier trimmed of surrounding blanks, or a field error saying what it may be."""
    identifier = (value or "").strip()
    if not identifier:
        errors.add(field, "must not be empty")
    elif len(identifier) > MAX_IDENTIFIER_LENGTH:
        errors.add(field, f"must be at most {MAX_IDENTIFIER_LENGTH} characters")
    elif not IDENTIFIER_RE.fullmatch(identifier):
        errors.add(
            field,
            "use a phone number ('+' and digits) or letters, digits and . _ @ - "
            f"(got '{identifier}')",
        )
    return identifier


def check_password(value: str | None, errors: FieldErrors, field: str = "password") -> None:
    if value is None:
        return
    if len(value) < MIN_PASSWORD_LENGTH:
        errors.add(field, f"must be at least {MIN_PASSWORD_LENGTH} characters")
    elif len(value) > MAX_PASSWORD_LENGTH:
        errors.add(field, f"must be at most {MAX_PASSWORD_LENGTH} characters")
    elif not value.isprintable():
        errors.add(field, "must not contain control characters")
    elif not value.strip():
        errors.add(field, "must not be only blanks")


def check_max_sessions(value: int | None, errors: FieldErrors, field: str = "max_sessions") -> None:
    if value is not None and not 1 <= value <= MAX_SESSIONS:
        errors.add(field, f"must be from 1 to {MAX_SESSIONS}, or null for no limit")
