"""The database under test, reached the way Kassa reaches it: the floors every benchmark prints
beside Kassa's figures use these, so that they pay for the same settings and nothing more."""

from __future__ import annotations

import sqlite3


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def sqlite_path(url: str) -> str:
    return url.split("///", 1)[1]


def pg_conninfo(url: str) -> str:
    """``postgresql+psycopg://...`` (SQLAlchemy's spelling) as libpq understands it."""
    scheme, rest = url.split("://", 1)
    return "postgresql://" + rest if scheme.startswith("postgresql") else url


def connect_sqlite(url: str) -> sqlite3.Connection:
    """An SQLite connection with Kassa's settings: WAL, ``synchronous=FULL``, foreign keys and
    a busy timeout; the caller opens transactions (``BEGIN IMMEDIATE`` to write)."""
    conn = sqlite3.connect(
        sqlite_path(url), isolation_level=None, check_same_thread=False, timeout=30
    )
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn
