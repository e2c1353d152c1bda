"""Engines and sessions.

SQLite runs in WAL mode with ``synchronous=FULL`` (a payment must survive a power cut) and
opens write transactions with ``BEGIN IMMEDIATE``, so two processes on one file queue on the
write lock up front instead of failing mid-transaction. Read-only work uses a deferred BEGIN so
readers never wait for writers.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker

from kassa.core.settings import Settings
from kassa.db import reference_version  # noqa: F401  (registers the change listeners)

READ_ONLY = "kassa_read_only"
# How long a long job on SQLite leaves the write lock free between its transactions.
WRITERS_PAUSE_SECONDS = 0.02

# What a unit of work runs its statements on: an ORM session, or on the real-time path a bare
# Core connection (Database.core_transaction). Functions that only send Core statements take
# either.
Unit = Session | Connection
# The ORM session by a name of Kassa's: the API, the web UI and the CLI type the sessions they
# pass to the domain with it, and never import SQLAlchemy themselves.
DbSession = Session


def connection_of(unit: Unit) -> Connection:
    return unit.connection() if isinstance(unit, Session) else unit


def make_engine(url: str, *, busy_timeout_ms: int = 30_000, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000},
            **kwargs,
        )
        _configure_sqlite(engine, busy_timeout_ms)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", False)
    return create_engine(url, **kwargs)


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite would defer it).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Straight to the driver: SQLAlchemy's execution path would cost more than the BEGIN.
        driver = conn.connection.driver_connection
        assert driver is not None
        if conn.get_execution_options().get(READ_ONLY):
            driver.execute("BEGIN")
        else:
            driver.execute("BEGIN IMMEDIATE")


class Database:
    """One engine per process, and the two kinds of session Kassa opens on it."""

    def __init__(self, url: str, *, busy_timeout_ms: int = 30_000, **kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, busy_timeout_ms=busy_timeout_ms, **kwargs)
        self._writer = sessionmaker(self.engine, expire_on_commit=False)
        reader = self.engine.execution_options(**{READ_ONLY: True})
        if not self.is_sqlite:
            # Under READ COMMITTED each statement reads its own snapshot, in a transaction or
            # not; reading without one saves the BEGIN and COMMIT round trips.
            reader = reader.execution_options(isolation_level="AUTOCOMMIT")
        self._reader = sessionmaker(reader, expire_on_commit=False)
        # SQLite lets one writer in at a time. This process's threads queue on the lock, and
        # the processes on one file on an advisory lock beside it, so a writer goes the moment
        # the one before it commits instead of polling the file lock in the busy handler's ever
        # longer sleeps (which starves throughput and stretches the tail under load).
        self._write_lock = threading.RLock() if self.is_sqlite else None
        self._writers = _WriterLock(self.engine.url.database) if self.is_sqlite else None

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        return cls(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def _write_turn(self) -> Iterator[None]:
        """On SQLite, this process's turn to write: its threads queue on the thread lock, the
        processes on one file on the advisory lock beside it. PostgreSQL needs neither."""
        if self._write_lock is None or self._writers is None:
            yield
            return
        with self._write_lock, self._writers:
            yield

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A read-write unit of work: committed when the block ends, rolled back on error."""
        with self._write_turn(), self._writer() as session, session.begin():
            yield session

    @contextmanager
    def core_transaction(self) -> Iterator[Connection]:
        """A read-write transaction on a bare Core connection, for the real-time path: building
        and tearing down an ORM session costs more than a reserve's statements on SQLite."""
        with self._write_turn(), self.engine.connect() as connection, connection.begin():
            yield connection

    def make_way_for_writers(self) -> None:
        """Between the transactions of a long job on SQLite: a moment without the write lock.

        Neither the thread lock nor the file lock is fair: a job that asks again the moment it
        lets go wins again and again, and a real-time call queued behind it waits for many of
        its transactions instead of one. Waiting writers take the lock in this pause (a few of
        them need a few milliseconds). PostgreSQL queues lock waiters in order: no pause."""
        if self.is_sqlite:
            time.sleep(WRITERS_PAUSE_SECONDS)

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with self._reader() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
        if self._writers is not None:
            self._writers.close()


class _WriterLock:
    """An exclusive ``flock`` on ``<database>-writer.lock``, held while this process writes.

    The kernel wakes a waiting process as soon as the holder lets go. The busy timeout stays
    as the guard against writers that do not take this lock (the sqlite3 shell, backups).
    Re-entrant within the process, as the thread lock around it is."""

    def __init__(self, database: str | None) -> None:
        in_memory = not database or database == ":memory:" or database.startswith("file:")
        self.path = None if in_memory else f"{database}-writer.lock"
        self._fd: int | None = None
        self._pid = 0
        self._depth = 0

    def __enter__(self) -> None:
        if self.path is None:
            return
        if self._depth == 0:
            fd = self._file()
            fcntl.flock(fd, fcntl.LOCK_EX)
        self._depth += 1

    def __exit__(self, *_exc: object) -> None:
        if self.path is None:
            return
        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._fd is not None and self._pid == os.getpid():
            os.close(self._fd)
        self._fd = None

    def _file(self) -> int:
        # A forked child must not share its parent's open file (and so its lock).
        if self._fd is None or self._pid != os.getpid():
            assert self.path is not None
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            self._pid = os.getpid()
        return self._fd
