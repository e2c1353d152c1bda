"""Password hashing on a few threads of its own, behind a bounded queue.

Argon2 is meant to be costly: 64 MiB and most of a core for a tenth of a second or more. On the
server's shared thread pool a flood of sign-ins would take every thread and core the real-time
money routes need. Here at most ``threads`` hashes run at once and ``queue`` more wait; past
that a request is refused at once (``Overloaded``) rather than queued without end. On Linux
the threads also run at a lower CPU priority, so the money routes get the cores first.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from kassa.auth import passwords
from kassa.core.errors import Overloaded

T = TypeVar("T")
log = logging.getLogger("kassa.auth")
# Added to the hashing threads' nice value: what is left of the CPU goes to them.
NICENESS = 10
RETRY_AFTER_SECONDS = 1


def _lower_priority() -> None:
    # Linux keeps a nice value per thread and its id is a task id; elsewhere the same call
    # would renice the whole process, so it is left alone.
    if not sys.platform.startswith("linux"):
        return
    tid = threading.get_native_id()
    try:
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + NICENESS)
    except OSError:
        log.warning("could not lower the priority of a password hashing thread")


class PasswordHashing:
    def __init__(self, threads: int, queue: int) -> None:
        if threads < 1 or queue < 0:
            raise ValueError("password hashing needs at least one thread and a queue of 0 or more")
        self._executor = ThreadPoolExecutor(
            max_workers=threads, thread_name_prefix="kassa-passwords", initializer=_lower_priority
        )
        self._room = threading.BoundedSemaphore(threads + queue)

    def reserve(self) -> HashingSlot:
        """A place in the queue, or ``Overloaded`` at once. Taken before anything else a
        request does, so that a refused one costs next to nothing."""
        if not self._room.acquire(blocking=False):
            raise Overloaded(
                "too many password checks at once; try again in a moment",
                code="password_checks_busy",
                retry_after=RETRY_AFTER_SECONDS,
            )
        return HashingSlot(self._executor, self._room.release)

    async def verify(self, password_hash: str, password: str) -> bool:
        with self.reserve() as slot:
            return await slot.verify(password_hash, password)

    async def hash(self, password: str) -> str:
        with self.reserve() as slot:
            return await slot.hash(password)


class HashingSlot:
    """One request's place: its hashes run one after another. The place is given back when
    the block ends, or after, when the last hash ends (a request cancelled mid-hash)."""

    def __init__(self, executor: ThreadPoolExecutor, release: Callable[[], None]) -> None:
        self._executor = executor
        self._release = release
        self._last: Future[object] | None = None

    def __enter__(self) -> HashingSlot:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._last is None:
            self._release()
        else:
            self._last.add_done_callback(lambda _done: self._release())

    def submit(self, work: Callable[..., T], *args: object) -> Future[T]:
        future = self._executor.submit(work, *args)
        self._last = future  # type: ignore[assignment]
        return future

    async def verify(self, password_hash: str, password: str) -> bool:
        return await asyncio.wrap_future(
            self.submit(passwords.verify_password, password_hash, password)
        )

    async def hash(self, password: str) -> str:
        return await asyncio.wrap_future(self.submit(passwords.hash_password, password))
