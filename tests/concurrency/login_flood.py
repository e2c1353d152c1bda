"""A flood of sign-ins with wrong passwords, from client processes of their own.

Each process (multiprocessing "spawn") runs a few threads; each thread fetches the sign-in
page once for its cookie and CSRF token, then posts wrong passwords back to back until told to
stop. They speak HTTP with the standard library and live outside the test process, so the
flood's own CPU does not slow the test's measuring client through one interpreter lock."""

from __future__ import annotations

import http.client
import multiprocessing
import re
import threading
from collections import Counter
from multiprocessing.context import SpawnContext
from multiprocessing.synchronize import Event
from urllib.parse import urlencode, urlsplit

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
COOKIE = "kassa_session"


def _flood_thread(base_url: str, username: str, stop: Event, counts: Counter[int]) -> None:
    try:
        _flood(base_url, username, stop, counts)
    except Exception:
        # Status 0: a client that lost its connection (the test fails on any).
        counts[0] += 1


def _flood(base_url: str, username: str, stop: Event, counts: Counter[int]) -> None:
    url = urlsplit(base_url)
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=120)
    conn.request("GET", "/login")
    page = conn.getresponse()
    html = page.read().decode()
    cookie = page.getheader("set-cookie", "").split(";", 1)[0]
    match = CSRF.search(html)
    assert page.status == 200 and cookie.startswith(COOKIE) and match, (page.status, cookie)
    attempt = 0
    while not stop.is_set():
        attempt += 1
        body = urlencode(
            {"csrf_token": match.group(1), "username": username, "password": f"guess-{attempt}"}
        )
        conn.request(
            "POST",
            "/login",
            body=body,
            headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
        )
        answer = conn.getresponse()
        answer.read()
        counts[answer.status] += 1
    conn.close()


def _flood_process(
    base_url: str,
    username: str,
    threads: int,
    started: multiprocessing.Queue,
    stop: Event,
    results: multiprocessing.Queue,
) -> None:
    # One counter per thread: no two threads update one.
    counts: list[Counter[int]] = [Counter() for _ in range(threads)]
    try:
        workers = [
            threading.Thread(target=_flood_thread, args=(base_url, username, stop, mine))
            for mine in counts
        ]
        for worker in workers:
            worker.start()
        started.put(True)
        for worker in workers:
            worker.join()
    finally:
        results.put(dict(sum(counts, Counter())))


class LoginFlood:
    """``with LoginFlood(url, clients=24): ...`` floods while the block runs; ``statuses`` then
    holds how many answers of each status the flood got."""

    def __init__(self, base_url: str, *, clients: int, processes: int, username: str) -> None:
        assert clients % processes == 0
        self.ctx: SpawnContext = multiprocessing.get_context("spawn")
        self.stop = self.ctx.Event()
        self.started = self.ctx.Queue()
        self.results = self.ctx.Queue()
        self.processes = [
            self.ctx.Process(
                target=_flood_process,
                args=(
                    base_url,
                    username,
                    clients // processes,
                    self.started,
                    self.stop,
                    self.results,
                ),
                daemon=True,
            )
            for _ in range(processes)
        ]
        self.statuses: Counter[int] = Counter()

    def __enter__(self) -> LoginFlood:
        for process in self.processes:
            process.start()
        for _ in self.processes:
            self.started.get(timeout=120)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        try:
            for _ in self.processes:
                self.statuses.update(self.results.get(timeout=180))
        finally:
            for process in self.processes:
                process.join(timeout=30)
                if process.is_alive():
                    process.kill()
