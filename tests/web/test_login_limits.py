"""Failed sign-ins lock the username and the client address, for ever longer; an admin lifts
the lock; and password checks past what their threads can take are refused at once."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from kassa.app import create_app
from kassa.auth import passwords
from kassa.core.clock import utcnow
from kassa.core.settings import Settings
from kassa.db.engine import Database
from kassa.db.models import AuditLog, LoginThrottle, User
from tests.conftest import ADMIN_PASSWORD, ADMIN_TOKEN, Api
from tests.web.conftest import csrf_of

MAX_FAILURES = 3
MAX_PER_ADDRESS = 5


@pytest.fixture(autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        )
        yield


@pytest.fixture
def limited(settings: Settings) -> Settings:
    return replace(
        settings,
        login_max_failures=MAX_FAILURES,
        login_max_failures_per_address=MAX_PER_ADDRESS,
        login_lockout_seconds=60,
        login_lockout_max_seconds=3600,
        trusted_proxies="none",
        login_refusal_delay_seconds=0,
    )


def browser(settings: Settings, db: Database, address: str = "192.0.2.10") -> TestClient:
    return TestClient(create_app(settings, db), client=(address, 40000))


def sign_in(client: TestClient, username: str, password: str, **headers: str):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get("/login").text)
    return client.post(
        "/login",
        data={"csrf_token": token, "username": username, "password": password},
        headers=headers,
        follow_redirects=False,
    )


def fail(client: TestClient, username: str, times: int) -> None:
    for _ in range(times - 1):
        assert sign_in(client, username, "wrong-password").status_code == 401
    # The failure that reaches the limit says so at once.
    assert sign_in(client, username, "wrong-password").status_code == 429


def locked_message(answer) -> str:  # type: ignore[no-untyped-def]
    """The refusal's words, without the seconds left (which move on between two answers)."""
    assert answer.status_code == 429, answer.text
    (message,) = re.findall(r'role="alert">([^<]*)<', answer.text)
    assert "signing in is locked for" in message
    return re.sub(r"\d+", "N", message)


def retry_after(answer) -> int:  # type: ignore[no-untyped-def]
    assert answer.status_code == 429, answer.text
    return int(answer.headers["retry-after"])


def end_locks(db: Database) -> None:
    """Time passes: every lock ends a moment ago, nothing else is forgotten."""
    with db.transaction() as session:
        session.execute(
            update(LoginThrottle)
            .where(LoginThrottle.locked_until.is_not(None))
            .values(locked_until=utcnow() - timedelta(seconds=1))
        )


def test_a_username_is_locked_whether_or_not_it_exists(limited: Settings, db: Database) -> None:
    one, other = browser(limited, db, "192.0.2.1"), browser(limited, db, "192.0.2.2")
    fail(one, "admin", MAX_FAILURES)
    fail(other, "no-such-user", MAX_FAILURES)
    # Both answers read alike: a lock tells nothing about which names are real.
    real, made_up = sign_in(one, "admin", "wrong"), sign_in(other, "no-such-user", "wrong")
    assert locked_message(real) == locked_message(made_up)
    assert 55 <= retry_after(real) <= 60
    # The right password does not get through a lock, from any address.
    third = browser(limited, db, "192.0.2.3")
    assert locked_message(sign_in(third, "admin", ADMIN_PASSWORD))


def test_each_failure_after_a_lock_doubles_it(limited: Settings, db: Database) -> None:
    client = browser(limited, db)
    fail(client, "admin", MAX_FAILURES)
    for expected in (120, 240, 480):
        end_locks(db)
        answer = sign_in(client, "admin", "still-wrong")
        assert expected - 5 <= retry_after(answer) <= expected
    end_locks(db)
    assert sign_in(client, "admin", ADMIN_PASSWORD).status_code == 303


def test_signing_in_forgets_the_usernames_failures(limited: Settings, db: Database) -> None:
    client = browser(limited, db)
    for _ in range(2):
        for _ in range(MAX_FAILURES - 1):
            assert sign_in(client, "admin", "wrong-password").status_code == 401
        assert sign_in(client, "admin", ADMIN_PASSWORD).status_code == 303
        client.cookies.clear()


def test_an_address_is_limited_across_usernames(limited: Settings, db: Database) -> None:
    guesser = browser(limited, db, "198.51.100.7")
    for n in range(MAX_PER_ADDRESS - 1):
        assert sign_in(guesser, f"name-{n}", "guess").status_code == 401
    assert sign_in(guesser, "one-more", "guess").status_code == 429
    assert locked_message(sign_in(guesser, "admin", ADMIN_PASSWORD))
    # Others sign in; the admin sees the address and lifts the lock on the Users page.
    admin = browser(limited, db, "198.51.100.8")
    assert sign_in(admin, "admin", ADMIN_PASSWORD).status_code == 303
    page = admin.get("/users")
    assert "198.51.100.7" in page.text
    lifted = admin.post(
        "/users/lockouts/lift", data={"csrf_token": csrf_of(page.text), "address": "198.51.100.7"}
    )
    assert "Sign-ins from 198.51.100.7 are allowed again" in lifted.text
    assert sign_in(guesser, "admin", ADMIN_PASSWORD).status_code == 303


def test_forwarded_for_counts_only_from_a_trusted_proxy(limited: Settings, db: Database) -> None:
    behind_proxy = replace(limited, trusted_proxies="192.0.2.200")
    proxy = browser(behind_proxy, db, "192.0.2.200")
    for n in range(MAX_PER_ADDRESS - 1):
        sign_in(proxy, f"name-{n}", "guess", **{"X-Forwarded-For": "203.0.113.9"})
    assert sign_in(proxy, "x", "guess", **{"X-Forwarded-For": "203.0.113.9"}).status_code == 429
    # Behind the proxy, another client is another address.
    assert (
        sign_in(proxy, "admin", ADMIN_PASSWORD, **{"X-Forwarded-For": "203.0.113.10"}).status_code
        == 303
    )
    # A client that is not the proxy cannot pick its address by the header.
    direct = browser(behind_proxy, db, "192.0.2.99")
    for n in range(MAX_PER_ADDRESS):
        sign_in(direct, f"other-{n}", "guess", **{"X-Forwarded-For": f"203.0.113.{50 + n}"})
    with db.reading() as session:
        keys = set(
            session.scalars(select(LoginThrottle.key).where(LoginThrottle.scope == "address"))
        )
    assert keys == {"203.0.113.9", "192.0.2.99"}


def test_an_admin_unlocks_a_user_through_the_api(limited: Settings, db: Database) -> None:
    client = browser(limited, db)
    fail(client, "admin", MAX_FAILURES)
    api = Api(client, ADMIN_TOKEN)
    (lock,) = [x for x in api.get("/login-lockouts").json() if x["scope"] == "user"]
    assert lock["key"] == "admin" and lock["failures"] == MAX_FAILURES
    users = api.get("/users").json()["items"]
    admin = next(u for u in users if u["username"] == "admin")
    assert admin["locked_until"] is not None
    unlocked = api.post(f"/users/{admin['id']}/unlock")
    assert unlocked.status_code == 200
    assert unlocked.json()["locked_until"] is None
    assert [x for x in api.get("/login-lockouts").json() if x["scope"] == "user"] == []
    assert sign_in(client, "admin", ADMIN_PASSWORD).status_code == 303
    with db.reading() as session:
        entry = session.scalars(select(AuditLog).where(AuditLog.action == "unlock")).one()
    assert entry.entity_id == "user:admin"
    assert entry.before is not None and entry.before["failures"] == MAX_FAILURES


def test_an_admin_lifts_an_address_lock_through_the_api(limited: Settings, db: Database) -> None:
    guesser = browser(limited, db, "198.51.100.20")
    for n in range(MAX_PER_ADDRESS):
        sign_in(guesser, f"name-{n}", "guess")
    api = Api(guesser, ADMIN_TOKEN)
    listed = [x for x in api.get("/login-lockouts").json() if x["scope"] == "address"]
    assert [x["key"] for x in listed] == ["198.51.100.20"]
    assert api.delete("/login-lockouts/address/198.51.100.20").status_code == 204
    assert api.delete("/login-lockouts/address/198.51.100.20").status_code == 404
    assert api.delete("/login-lockouts/planet/earth").status_code == 422
    assert sign_in(guesser, "admin", ADMIN_PASSWORD).status_code == 303


def test_an_admin_unlocks_a_user_on_the_users_page(limited: Settings, db: Database) -> None:
    # Signed in at their desk before someone elsewhere guessed at their password.
    desk = browser(limited, db, "192.0.2.31")
    assert sign_in(desk, "admin", ADMIN_PASSWORD).status_code == 303
    fail(browser(limited, db, "192.0.2.32"), "admin", MAX_FAILURES)
    with db.reading() as session:
        admin_id = session.scalar(select(User.id).where(User.username == "admin"))
    page = desk.get("/users")
    assert "Locked until" in page.text
    answer = desk.post(f"/users/{admin_id}/unlock", data={"csrf_token": csrf_of(page.text)})
    assert "may sign in again" in answer.text
    assert sign_in(browser(limited, db, "192.0.2.33"), "admin", ADMIN_PASSWORD).status_code == 303


def test_password_checks_past_the_queue_are_refused_at_once(
    settings: Settings, db: Database
) -> None:
    tight = replace(
        settings, password_hash_threads=1, password_hash_queue=0, login_refusal_delay_seconds=0
    )
    client = TestClient(create_app(tight, db))
    release = threading.Event()
    hashing = client.app.state.passwords.hashing  # type: ignore[attr-defined]
    # The one place there is, taken by a hash that takes until the test says.
    with hashing.reserve() as slot:
        busy = slot.submit(release.wait, 30)
        try:
            refused = sign_in(client, "admin", ADMIN_PASSWORD)
            assert refused.status_code == 503, refused.text
            assert refused.headers["retry-after"] == "1"
            assert "busy checking other sign-ins" in refused.text
            api = Api(client, ADMIN_TOKEN)
            created = api.post(
                "/users", {"username": "later", "role": "viewer", "password": "pw-12345"}
            )
            assert created.status_code == 503
            assert created.json()["code"] == "password_checks_busy"
        finally:
            release.set()
            busy.result(timeout=10)
    with db.reading() as session:
        assert session.scalars(select(LoginThrottle)).all() == []
        assert session.scalar(select(User.id).where(User.username == "later")) is None
    assert sign_in(client, "admin", ADMIN_PASSWORD).status_code == 303


def test_a_refusal_waits_a_moment_without_holding_the_queue(
    settings: Settings, db: Database
) -> None:
    paused = replace(
        settings, password_hash_threads=1, password_hash_queue=0, login_refusal_delay_seconds=1.5
    )
    app = create_app(paused, db)
    guesser, admin = TestClient(app, client=("192.0.2.50", 1)), TestClient(app)
    answers: dict[str, tuple[int, float]] = {}

    def guess() -> None:
        start = time.monotonic()
        answers["guess"] = (
            sign_in(guesser, "admin", "a-guess").status_code,
            time.monotonic() - start,
        )

    thread = threading.Thread(target=guess)
    thread.start()
    # While the guess waits for its answer, the one place in the hashing queue is free.
    time.sleep(0.7)
    start = time.monotonic()
    assert sign_in(admin, "admin", ADMIN_PASSWORD).status_code == 303
    assert time.monotonic() - start < 1.0
    thread.join(timeout=30)
    status, took = answers["guess"]
    assert status == 401 and took >= 1.5
