"""Client processes: each a separate interpreter (multiprocessing "spawn") with its own
keep-alive connection. They speak HTTP with the standard library, so that 32 of them start
in a few seconds even on a small machine."""

from __future__ import annotations

import http.client
import json
import multiprocessing
from multiprocessing.context import SpawnContext
from multiprocessing.synchronize import Barrier
from typing import Any
from urllib.parse import urlsplit

Answer = tuple[int, str, dict[str, str]]


def _post_once(
    base_url: str,
    path: str,
    body: dict[str, Any],
    headers: dict[str, str],
    barrier: Barrier,
    answers: multiprocessing.Queue,
) -> None:
    try:
        url = urlsplit(base_url)
        conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=90)
        conn.request("GET", "/health")
        probe = conn.getresponse()
        probe.read()
        assert probe.status == 200, probe.status
        barrier.wait(timeout=120)
        payload = json.dumps(body).encode()
        conn.request(
            "POST",
            url.path + path,
            body=payload,
            headers={**headers, "Content-Type": "application/json"},
        )
        response = conn.getresponse()
        text = response.read().decode()
        answers.put((response.status, text, {k.lower(): v for k, v in response.getheaders()}))
        conn.close()
    except BaseException as exc:
        answers.put((0, repr(exc), {}))
        raise


def post_from_processes(
    base_urls: list[str],
    path: str,
    body: dict[str, Any],
    headers: dict[str, str],
    count: int,
) -> list[Answer]:
    """Send one identical POST from each of ``count`` processes at the same moment.

    Every process connects first; a barrier releases them together. Returns every answer as
    (status, text, lower-cased headers); a client that failed to get one reports status 0."""
    ctx: SpawnContext = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(count)
    answers = ctx.Queue()
    processes = [
        ctx.Process(
            target=_post_once,
            args=(base_urls[i % len(base_urls)], path, body, headers, barrier, answers),
            daemon=True,
        )
        for i in range(count)
    ]
    for process in processes:
        process.start()
    try:
        return [answers.get(timeout=240) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
