"""Web UI fixtures: the real app served by uvicorn on a free port, and Debian's Chromium.

The server runs in a thread of the test process against the parametrized database, so every
browser test runs on SQLite and on PostgreSQL like the rest of the suite.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient

from kassa.app import create_app
from kassa.auth.actor import SYSTEM
from kassa.auth.passwords import hash_password
from kassa.auth.service import create_user
from kassa.core.settings import Settings
from kassa.db.engine import Database
from tests.conftest import ADMIN_PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
USER_PASSWORD = "password-123"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_user(db: Database, role: str, username: str | None = None) -> str:
    username = username or f"{role}-user"
    with db.transaction() as session:
        create_user(
            session,
            SYSTEM,
            username=username,
            role=role,
            password_hash=hash_password(USER_PASSWORD),
        )
    return username


def csrf_of(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def web_login(client: TestClient, username: str = "admin", password: str = ADMIN_PASSWORD) -> None:
    token = csrf_of(client.get("/login").text)
    answer = client.post(
        "/login",
        data={"csrf_token": token, "username": username, "password": password},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text


@pytest.fixture
def web(client: TestClient) -> TestClient:
    """A TestClient signed in to the web UI as the admin."""
    web_login(client)
    return client


@pytest.fixture
def live_server(settings: Settings, db: Database) -> Iterator[str]:
    app = create_app(settings, db)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the web server did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, live_server: str) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    # Generous: a loaded CI machine can take seconds to serve a page; a real failure still fails.
    context.set_default_timeout(20_000)
    context.set_default_navigation_timeout(30_000)
    sync_api = pytest.importorskip("playwright.sync_api")
    sync_api.expect.set_options(timeout=15_000)
    tab = context.new_page()
    yield tab
    context.close()


def browser_login(page: Any, username: str = "admin", password: str = ADMIN_PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/customers")


@pytest.fixture
def admin_page(page: Any) -> Any:
    browser_login(page)
    return page
